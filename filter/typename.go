package filter

import "github.com/rdbtool/rdbtool/rdb"

// typeName maps a value type byte to its logical type (rdb.TypeName's
// contract), kept local until package rdb provides it.
func typeName(typ byte) string {
	switch typ {
	case rdb.TypeString:
		return "string"
	case rdb.TypeList, rdb.TypeListZiplist, rdb.TypeListQuicklist, rdb.TypeListQuicklist2:
		return "list"
	case rdb.TypeSet, rdb.TypeSetIntset, rdb.TypeSetListpack:
		return "set"
	case rdb.TypeZSet, rdb.TypeZSet2, rdb.TypeZSetZiplist, rdb.TypeZSetListpack:
		return "zset"
	case rdb.TypeHash, rdb.TypeHashZipmap, rdb.TypeHashZiplist, rdb.TypeHashListpack,
		rdb.TypeHashMetadataPreGA, rdb.TypeHashListpackExPreGA, rdb.TypeHashMetadata, rdb.TypeHashListpackEx:
		return "hash"
	case rdb.TypeStreamListpacks, rdb.TypeStreamListpacks2, rdb.TypeStreamListpacks3:
		return "stream"
	case rdb.TypeModule, rdb.TypeModule2:
		return "module"
	}
	return "unknown"
}
