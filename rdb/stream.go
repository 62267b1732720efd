package rdb

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
)

// A stream (t_stream.c) is stored as: the number of listpack nodes; per
// node a 16-byte master ID (ms, seq big endian) and a listpack; then the
// length, last ID, (type 19+) first ID, max deleted ID, entries added; then
// the consumer groups with their pending entries and consumers.
//
// Each listpack starts with the master entry: live count, deleted count,
// number of master fields, the master field names, 0. Then every entry:
// flags, ms and seq deltas from the master ID, then either the values of
// the master fields (flag SAMEFIELDS) or a field count and field/value
// pairs, then lp-count (the number of listpack elements of the entry
// minus one).

const (
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

func (d *vdec) streamID(what string) (StreamID, error) {
	ms, err := d.readUint(what)
	if err != nil {
		return StreamID{}, err
	}
	seq, err := d.readUint(what)
	if err != nil {
		return StreamID{}, err
	}
	return StreamID{ms, seq}, nil
}

func (d *vdec) rawStreamID(what string) (StreamID, error) {
	s, err := d.readRaw(16, what)
	if err != nil {
		return StreamID{}, err
	}
	return StreamID{binary.BigEndian.Uint64(s), binary.BigEndian.Uint64(s[8:])}, nil
}

// streamCap estimates a stream's entries from its nodes' master entry
// counts, so Entries is allocated once. Like listCap it reads ahead
// without moving d.p, stops at anything odd and bounds each count by the
// node's size (an entry takes 8 bytes or more).
func (d *vdec) streamCap(nodes int) int {
	save := d.p
	defer func() { d.p = save }()
	total := 0
	var h [16]byte
	for i := 0; i < nodes; i++ {
		if d.skipStr() != nil { // the master ID
			return total
		}
		head, size, _, ok := d.peekStr(h[:])
		if !ok || len(head) <= lpHeaderSize {
			return total
		}
		it := lpIter{b: head, p: lpHeaderSize, count: -1}
		e, done, err := it.next()
		if err != nil || done {
			return total
		}
		c, ok := e.int()
		if !ok || c < 0 {
			return total
		}
		total += int(min(uint64(c), size/8))
	}
	return min(total, maxAlloc/64)
}

func (d *vdec) stream(typ byte, v *Value) error {
	var st *Stream
	if v != nil {
		st = &Stream{}
		v.Stream = st
	}
	nodes, err := d.readCount("stream node count", 2)
	if err != nil {
		return err
	}
	if st != nil {
		st.Entries = make([]StreamEntry, 0, d.streamCap(nodes))
	}
	var live uint64
	var order streamNodes
	order.init()
	defer order.release()
	for i := 0; i < nodes; i++ {
		key, err := d.readStr(true)
		if err != nil {
			return err
		}
		if len(key) != 16 {
			return errCorrupt("stream node %d: master ID key is %d bytes, not 16", i, len(key))
		}
		master := StreamID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}
		lp, err := d.readBlob()
		if err != nil {
			return err
		}
		if st != nil {
			order.starts = append(order.starts, len(st.Entries))
		}
		n, err := streamWalkListpack(lp, master, st, &d.a)
		if err != nil {
			return fmt.Errorf("stream node %d: %w", i, err)
		}
		if err := order.add(i, master); err != nil {
			return err
		}
		live += n
	}
	if st != nil {
		order.sortEntries(st)
	}
	length, err := d.readUint("stream length")
	if err != nil {
		return err
	}
	// Redis trusts the stored length; files exist (XTRIM in 5.0) where it
	// differs from the live entries, so it is only checked against the
	// node count, as Redis does.
	_ = live
	if length > 0 && nodes == 0 {
		return errCorrupt("stream: length %d but no listpack nodes", length)
	}
	last, err := d.streamID("stream last ID")
	if err != nil {
		return err
	}
	var first, maxDel StreamID
	added := length
	if typ >= TypeStreamListpacks2 {
		if first, err = d.streamID("stream first ID"); err != nil {
			return err
		}
		if maxDel, err = d.streamID("stream max deleted ID"); err != nil {
			return err
		}
		if added, err = d.readUint("stream entries added"); err != nil {
			return err
		}
	} else if st != nil && len(st.Entries) > 0 {
		first = st.Entries[0].ID
	}
	if st != nil {
		st.Length, st.LastID, st.FirstID, st.MaxDeletedID, st.EntriesAdded = length, last, first, maxDel, added
	}
	groups, err := d.readCount("stream group count", 4)
	if err != nil {
		return err
	}
	if st != nil && groups > 0 {
		st.Groups = make([]StreamGroup, 0, groups)
	}
	var groupNames, consumerNames dupSet
	defer groupNames.reset()
	defer consumerNames.reset()
	var pel map[StreamID]bool // pending ID -> owned by a consumer
	for g := 0; g < groups; g++ {
		name, err := d.readElem(true)
		if err != nil {
			return err
		}
		if !groupNames.add(name) {
			return errCorrupt("stream: duplicate consumer group %q", trimQ(name))
		}
		gr := StreamGroup{Name: name, EntriesRead: -1}
		if gr.LastID, err = d.streamID("group last ID"); err != nil {
			return err
		}
		if typ >= TypeStreamListpacks2 {
			er, err := d.readUint("group entries read")
			if err != nil {
				return err
			}
			gr.EntriesRead = int64(er)
		} else if st != nil {
			gr.EntriesRead = st.estimateEntriesRead(gr.LastID)
		}
		npel, err := d.readCount("group pending count", 25)
		if err != nil {
			return err
		}
		if st != nil && npel > 0 {
			gr.Pending = make([]StreamPEL, 0, npel)
		}
		if npel > 0 {
			if pel == nil {
				pel = make(map[StreamID]bool, npel)
			} else {
				clear(pel)
			}
		}
		for j := 0; j < npel; j++ {
			var pe StreamPEL
			if pe.ID, err = d.rawStreamID("pending entry ID"); err != nil {
				return err
			}
			if _, dup := pel[pe.ID]; dup {
				return errCorrupt("stream group %q: pending entry %v listed twice", trimQ(name), pe.ID)
			}
			pel[pe.ID] = false
			if pe.DeliveryTime, err = d.readMillis("pending delivery time"); err != nil {
				return err
			}
			if pe.DeliveryCount, err = d.readUint("pending delivery count"); err != nil {
				return err
			}
			if st != nil {
				gr.Pending = append(gr.Pending, pe)
			}
		}
		ncons, err := d.readCount("group consumer count", 10)
		if err != nil {
			return err
		}
		if st != nil && ncons > 0 {
			gr.Consumers = make([]StreamConsumer, 0, ncons)
		}
		consumerNames.reset()
		for c := 0; c < ncons; c++ {
			cname, err := d.readElem(true)
			if err != nil {
				return err
			}
			if !consumerNames.add(cname) {
				return errCorrupt("stream group %q: duplicate consumer %q", trimQ(name), trimQ(cname))
			}
			co := StreamConsumer{Name: cname}
			if co.SeenTime, err = d.readMillis("consumer seen time"); err != nil {
				return err
			}
			if typ >= TypeStreamListpacks3 {
				if co.ActiveTime, err = d.readMillis("consumer active time"); err != nil {
					return err
				}
			} else {
				// not stored before type 3: Redis takes the seen time as its
				// best estimate, and so do we, so -1 keeps meaning "never active"
				co.ActiveTime = co.SeenTime
			}
			np, err := d.readCount("consumer pending count", 16)
			if err != nil {
				return err
			}
			if st != nil && np > 0 {
				co.Pending = make([]StreamID, 0, np)
			}
			for j := 0; j < np; j++ {
				id, err := d.rawStreamID("consumer pending ID")
				if err != nil {
					return err
				}
				if owned, ok := pel[id]; !ok || owned {
					return errCorrupt("stream group %q: consumer %q pending entry %v is not (or not only) in the group's pending list", trimQ(name), trimQ(cname), id)
				}
				pel[id] = true
				if st != nil {
					co.Pending = append(co.Pending, id)
				}
			}
			if st != nil {
				gr.Consumers = append(gr.Consumers, co)
			}
		}
		for id, owned := range pel {
			if !owned {
				return errCorrupt("stream group %q: pending entry %v has no consumer", trimQ(name), id)
			}
		}
		if st != nil {
			st.Groups = append(st.Groups, gr)
		}
	}
	return nil
}

// Redis loads a stream's nodes into a radix tree keyed by their master
// IDs (16 bytes big endian, so the tree's order is the IDs' order): a
// master ID given twice is refused ("Listpack re-added with existing
// key"), nodes stored in any other order are loaded and iterated sorted by
// master ID. Nothing checks the entries inside a node against each other
// or against the master ID, not even deep sanitisation: Redis loads such a
// node and iterates its entries as stored. Decoding gives the entries in
// Redis's iteration order (XRANGE - +): nodes by master ID, each node's
// entries as stored. That is ID order for every stream Redis writes; a
// damaged stream that is not in ID order all the same is refused by
// EncodeValue (ErrInvalidValue), as no version can write it.

// streamNodes follows the master IDs of a stream's nodes as they are read.
type streamNodes struct {
	ids    *[]StreamID      // master IDs in file order (pooled)
	starts []int            // when decoding: index of each node's first entry
	seen   map[StreamID]int // master ID -> node; built at the first node out of order
}

var streamIDPool = sync.Pool{New: func() any { return new([]StreamID) }}

// maxPooledStreamIDs bounds the slices kept in streamIDPool (1 MiB).
const maxPooledStreamIDs = 1 << 16

func (n *streamNodes) init() {
	n.ids = streamIDPool.Get().(*[]StreamID)
	*n.ids = (*n.ids)[:0]
}

func (n *streamNodes) release() {
	if cap(*n.ids) <= maxPooledStreamIDs {
		streamIDPool.Put(n.ids)
	}
	n.ids = nil
}

// add records node i's master ID. While the IDs increase, no ID can
// repeat and nothing more is kept; from the first one that does not, a map
// finds repeats.
func (n *streamNodes) add(i int, master StreamID) error {
	ids := *n.ids
	if n.seen == nil && len(ids) > 0 && !ids[len(ids)-1].Less(master) {
		n.seen = make(map[StreamID]int, 2*len(ids))
		for j, id := range ids {
			n.seen[id] = j
		}
	}
	if n.seen != nil {
		if j, dup := n.seen[master]; dup {
			return errCorrupt("stream node %d: master ID %v repeats node %d's (Redis refuses it: listpack re-added with existing key)", i, master, j)
		}
		n.seen[master] = i
	}
	*n.ids = append(ids, master)
	return nil
}

// sortEntries puts the nodes' entries in master ID order when the nodes
// were stored in another order; each node's entries keep their order.
func (n *streamNodes) sortEntries(st *Stream) {
	if n.seen == nil {
		return
	}
	ids := *n.ids
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		x, y := ids[a], ids[b]
		if c := cmp.Compare(x.Ms, y.Ms); c != 0 {
			return c
		}
		return cmp.Compare(x.Seq, y.Seq)
	})
	out := make([]StreamEntry, 0, len(st.Entries))
	for _, i := range idx {
		hi := len(st.Entries)
		if i+1 < len(n.starts) {
			hi = n.starts[i+1]
		}
		out = append(out, st.Entries[n.starts[i]:hi]...)
	}
	st.Entries = out
}

// streamWalkListpack checks one stream node and, when st is not nil,
// appends its live entries. It returns the number of live entries.
func streamWalkListpack(lp []byte, master StreamID, st *Stream, a *arena) (uint64, error) {
	it, err := lpOpen(lp)
	if err != nil {
		return 0, err
	}
	count, err := it.mustInt("master entry count")
	if err != nil {
		return 0, err
	}
	deleted, err := it.mustInt("master deleted count")
	if err != nil {
		return 0, err
	}
	nmf, err := it.mustInt("master field count")
	if err != nil {
		return 0, err
	}
	// Every element takes at least 2 bytes: bound the counts by the size.
	limit := int64(len(lp))
	if count < 0 || deleted < 0 || nmf < 0 || count > limit || deleted > limit || nmf > limit {
		return 0, errCorrupt("stream listpack: invalid master entry counts %d/%d/%d", count, deleted, nmf)
	}
	var masterFields [][]byte
	if st != nil {
		masterFields = make([][]byte, 0, nmf)
		// room for the node's fields in one piece when its entries use the
		// master fields (as most do); each field value takes 2 bytes or more
		a.fnext = int(nmf)
		if nmf > 0 {
			a.fnext = int(min(count, limit/2/nmf) * nmf)
		}
	}
	for j := int64(0); j < nmf; j++ {
		e, err := it.must("a master field")
		if err != nil {
			return 0, err
		}
		if st != nil {
			masterFields = append(masterFields, a.entry(e))
		}
	}
	if z, err := it.mustInt("the master entry terminator"); err != nil {
		return 0, err
	} else if z != 0 {
		return 0, errCorrupt("stream listpack: master entry terminator is %d, not 0", z)
	}
	var live int64
	for k := int64(0); k < count+deleted; k++ {
		flags, err := it.mustInt("entry flags")
		if err != nil {
			return 0, err
		}
		msd, err := it.mustInt("entry ID ms delta")
		if err != nil {
			return 0, err
		}
		seqd, err := it.mustInt("entry ID seq delta")
		if err != nil {
			return 0, err
		}
		keep := st != nil && flags&streamFlagDeleted == 0
		var ent StreamEntry
		fields, extra := nmf, int64(3)
		if flags&streamFlagSameFields == 0 {
			if fields, err = it.mustInt("entry field count"); err != nil {
				return 0, err
			}
			if fields < 0 || fields > limit {
				return 0, errCorrupt("stream listpack: entry %d has %d fields", k, fields)
			}
			extra += fields + 1
			if keep {
				ent.Fields = a.fields(int(fields))
			}
			for j := int64(0); j < fields; j++ {
				f, err := it.must("a field name")
				if err != nil {
					return 0, err
				}
				val, err := it.must("a field value")
				if err != nil {
					return 0, err
				}
				if keep {
					ent.Fields = append(ent.Fields, StreamField{Name: a.entry(f), Value: a.entry(val)})
				}
			}
		} else {
			if keep {
				ent.Fields = a.fields(int(fields))
			}
			for j := int64(0); j < fields; j++ {
				val, err := it.must("a field value")
				if err != nil {
					return 0, err
				}
				if keep {
					ent.Fields = append(ent.Fields, StreamField{Name: masterFields[j], Value: a.entry(val)})
				}
			}
		}
		lpc, err := it.mustInt("entry lp-count")
		if err != nil {
			return 0, err
		}
		if lpc != fields+extra {
			return 0, errCorrupt("stream listpack: entry %d lp-count %d, expected %d", k, lpc, fields+extra)
		}
		if flags&streamFlagDeleted == 0 {
			live++
		}
		if keep {
			ent.ID = StreamID{master.Ms + uint64(msd), master.Seq + uint64(seqd)}
			st.Entries = append(st.Entries, ent)
		}
	}
	if live != count {
		return 0, errCorrupt("stream listpack: master entry counts %d live entries, found %d", count, live)
	}
	if _, done, err := it.next(); err != nil {
		return 0, err
	} else if !done {
		return 0, errCorrupt("stream listpack: elements after the last entry")
	}
	return uint64(live), nil
}

// estimateEntriesRead is the entries-read counter Redis (>= 7.0) derives
// for a group when the file (stream type 1) does not store it
// (streamEstimateDistanceFromFirstEverEntry); -1 when it cannot tell.
func (s *Stream) estimateEntriesRead(id StreamID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	if s.Length == 0 && !s.LastID.Less(id) {
		return int64(s.EntriesAdded)
	}
	zero := StreamID{}
	if id != zero && id.Less(s.MaxDeletedID) {
		return -1
	}
	if id == s.LastID {
		return int64(s.EntriesAdded)
	}
	if s.LastID.Less(id) {
		return -1
	}
	if s.MaxDeletedID == zero || s.MaxDeletedID.Less(s.FirstID) {
		if id.Less(s.FirstID) {
			return int64(s.EntriesAdded - s.Length)
		}
		if id == s.FirstID {
			return int64(s.EntriesAdded - s.Length + 1)
		}
	}
	return -1
}
