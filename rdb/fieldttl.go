package rdb

// HasFieldExpiries reports whether typ is a hash type that can carry field
// expiries (Redis 7.4's 24 and 25, their release candidates' 22 and 23,
// Valkey's 22).
func HasFieldExpiries(typ byte) bool {
	return typ >= TypeHashMetadataPreGA && typ <= TypeHashListpackEx
}

// PersistFields removes the field expiries of a hash entry (HPERSIST on
// every field), re-encoding its value as a plain hash; with nowMs >= 0 the
// fields already past it are removed instead, as a server loading the file
// drops them. It returns how many fields lost their expiry, how many were
// removed and how many the hash has left (a server drops a hash left with
// none); an entry without field expiries is left untouched.
func PersistFields(e *Entry, nowMs int64) (persisted, removed, left int, err error) {
	if e == nil {
		return 0, 0, -1, errNilEntry
	}
	if !HasFieldExpiries(e.Type) {
		return 0, 0, -1, nil
	}
	v, err := e.Decode()
	if err != nil {
		return 0, 0, -1, err
	}
	kept := v.Hash[:0]
	for _, f := range v.Hash {
		switch {
		case f.ExpireMs < 0:
		case nowMs >= 0 && f.ExpireMs <= nowMs:
			removed++
			continue
		default:
			f.ExpireMs = -1
			persisted++
		}
		kept = append(kept, f)
	}
	if persisted == 0 && removed == 0 {
		return 0, 0, len(kept), nil
	}
	v.Hash = kept
	typ, raw, err := encodeValue(v, MaxVersion) // decoded: nothing repeated
	if err != nil {
		return 0, 0, -1, err
	}
	e.Type, e.Value, e.ValueLen = typ, raw, int64(len(raw))
	return persisted, removed, len(kept), nil
}
