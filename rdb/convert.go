package rdb

import (
	"errors"
	"fmt"
)

// ErrUnconvertible: a value that the target RDB version cannot express
// (module values, streams before version 9, ...).
var ErrUnconvertible = errors.New("value cannot be expressed in the target RDB version")

// ConvertEntry re-encodes e's value in place when the server of RDB
// version version cannot load its type (listpacks become ziplists or plain
// types, quicklist 2 becomes quicklist, hash field expiries are dropped,
// streams lose the metadata older versions lack, ...). It returns a warning
// for every piece of data that was dropped. Entries already loadable are
// left untouched (no warnings, no error). Values nothing older can express
// give an error wrapping ErrUnconvertible.
func ConvertEntry(e *Entry, version int) (warnings []string, err error) {
	needs := !TypeSupported(e.Type, version)
	if !needs && e.Type == TypeHashMetadataPreGA && len(e.Value) > 0 {
		// Type 22 is Valkey's hash with field expiries in Valkey files and
		// the 7.4 release candidates' layout in Redis files.
		needs = isValkeyHash2(e.Value) != (version >= 80)
	}
	if !needs {
		return nil, nil
	}
	if e.Value == nil && e.ValueLen > 0 {
		return nil, fmt.Errorf("%w: key %q: value bytes not kept, cannot convert", ErrUnconvertible, e.Key)
	}
	if e.Type == TypeModule || e.Type == TypeModule2 {
		return nil, fmt.Errorf("%w: key %q: module values (type %d) can only be rewritten by their module", ErrUnconvertible, e.Key, e.Type)
	}
	v, err := DecodeValue(e.Type, e.Value)
	if err != nil {
		return nil, err
	}
	ev := effectiveVersion(version)
	switch v.Kind {
	case "hash":
		if ev < 12 && version < 80 {
			n := 0
			for i := range v.Hash {
				if v.Hash[i].ExpireMs >= 0 {
					v.Hash[i].ExpireMs = -1
					n++
				}
			}
			if n > 0 {
				warnings = append(warnings, fmt.Sprintf("key %q: %d hash field expiries dropped (RDB version %d has none)", e.Key, n, version))
			}
		}
	case "stream":
		if ev < 9 {
			return nil, fmt.Errorf("%w: key %q: streams need RDB version 9 (Redis 5.0), not %d", ErrUnconvertible, e.Key, version)
		}
		st := v.Stream
		if e.Type >= TypeStreamListpacks2 && ev < 10 {
			warnings = append(warnings, fmt.Sprintf("key %q: stream first/max-deleted IDs, entries-added and consumer-group entries-read dropped (RDB version %d)", e.Key, version))
		}
		if e.Type >= TypeStreamListpacks3 && ev < 11 {
			for _, g := range st.Groups {
				if len(g.Consumers) > 0 {
					warnings = append(warnings, fmt.Sprintf("key %q: stream consumer active times dropped (RDB version %d)", e.Key, version))
					break
				}
			}
		}
	}
	typ, raw, err := EncodeValue(v, version)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", e.Key, err)
	}
	e.Type, e.Value, e.ValueLen = typ, raw, int64(len(raw))
	return warnings, nil
}
