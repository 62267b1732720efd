// Package minidb reads the sizes of miniredis's databases, which miniredis
// keeps but does not export: how many keys each holds, how many have a TTL,
// how many hashes have field TTLs. miniredis's own API has no cheap count
// (DB(i).Keys() sorts every key) and no list of the databases in use.
//
// The fields are read through reflect, under miniredis's lock, from the
// version this module pins (v2.40.0). Should miniredis change its layout,
// DBs reports ok false and each caller falls back to the slower public API;
// the package's test fails then, so the change is noticed.
package minidb

import (
	"reflect"
	"slices"

	"github.com/alicebob/miniredis/v2"
)

// DB is the size of one of miniredis's databases.
type DB struct {
	ID        int
	Keys      int // keys it holds
	Expires   int // keys with a TTL
	FieldTTLs int // hashes with a field TTL
}

// DBs returns every database m has (used or created by DB(i)), by ID, or
// ok false when miniredis's layout is not the one this package knows. It
// takes m's lock: do not call it while holding it.
func DBs(m *miniredis.Miniredis) (dbs []DB, ok bool) {
	defer func() {
		if recover() != nil {
			dbs, ok = nil, false
		}
	}()
	m.Lock()
	defer m.Unlock()
	all := reflect.ValueOf(m).Elem().FieldByName("dbs")
	if all.Kind() != reflect.Map || all.Type().Key().Kind() != reflect.Int {
		return nil, false
	}
	for it := all.MapRange(); it.Next(); {
		db := it.Value()
		if db.Kind() != reflect.Pointer || db.IsNil() {
			return nil, false
		}
		var n [3]int
		for i, name := range []string{"keys", "ttl", "hashTTLs"} {
			f := db.Elem().FieldByName(name)
			if f.Kind() != reflect.Map {
				return nil, false
			}
			n[i] = f.Len()
		}
		dbs = append(dbs, DB{ID: int(it.Key().Int()), Keys: n[0], Expires: n[1], FieldTTLs: n[2]})
	}
	slices.SortFunc(dbs, func(a, b DB) int { return a.ID - b.ID })
	return dbs, true
}
