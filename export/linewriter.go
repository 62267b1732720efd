package export

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/rdbtool/rdbtool/rdb"
)

// blobChunk is how much of a large string writeBlob renders at a time.
const blobChunk = 64 << 10

// writeEntryLine writes the export line of e (as EntryLine renders it,
// byte for byte, without the newline) to w piece by piece: an element, or
// 64 KiB of a long string, at a time. Besides the decoded value, which
// the rdb package holds whole, memory stays small whatever the value's
// size: rendering the line whole took about five times a large value's
// size (its JSON text, the buffer's doubling, a copy for the line), and a
// 512 MB string over 3 GB.
//
// An error in the entry's data is returned as bad, before anything is
// written; a write error (w's) as err.
func writeEntryLine(w *bufio.Writer, e *rdb.Entry) (bad, err error) {
	v, err := e.Decode()
	if err != nil {
		return err, nil
	}
	if !slices.Contains(rdb.TypeNames, v.Kind) {
		return fmt.Errorf("cannot export a %s value", v.Kind), nil
	}
	b := w.AvailableBuffer()
	b = append(b, `{"db":`...)
	b = strconv.AppendInt(b, int64(e.DB), 10)
	b = append(b, `,"key":`...)
	w.Write(b)
	writeBlob(w, e.Key)
	b = w.AvailableBuffer()
	b = append(b, `,"type":`...)
	b = appendString(b, []byte(rdb.TypeName(e.Type)))
	b = append(b, `,"expire_ms":`...)
	b = strconv.AppendInt(b, e.ExpireMs, 10)
	if e.Idle >= 0 {
		b = append(b, `,"idle":`...)
		b = strconv.AppendInt(b, e.Idle, 10)
	}
	if e.Freq >= 0 {
		b = append(b, `,"freq":`...)
		b = strconv.AppendInt(b, int64(e.Freq), 10)
	}
	b = append(b, `,"value":`...)
	w.Write(b)
	if e.Type == rdb.TypeModule2 {
		b = w.AvailableBuffer()
		b = append(b, `{"module":`...)
		b = appendString(b, []byte(v.Module.Name))
		b = append(b, `,"encver":`...)
		b = strconv.AppendInt(b, int64(v.Module.EncVer), 10)
		b = append(b, `,"rdb_type":`...)
		b = strconv.AppendInt(b, int64(e.Type), 10)
		b = append(b, `,"raw":`...)
		w.Write(b)
		writeBlob(w, e.Value)
		w.WriteByte('}')
	} else {
		writeValue(w, v)
	}
	_, err = w.Write([]byte{'}'})
	return nil, err
}

// writeValue writes v as ValueJSON and encoding/json render it; v.Kind
// is one of the types writeEntryLine checked.
func writeValue(w *bufio.Writer, v *rdb.Value) {
	switch v.Kind {
	case "string":
		writeBlob(w, v.String)
	case "list":
		writeBlobs(w, v.List)
	case "set":
		writeBlobs(w, v.Set)
	case "zset":
		w.WriteByte('[')
		for i, m := range v.ZSet {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(`{"member":`)
			writeBlob(w, m.Member)
			s, _ := Score(m.Score).MarshalJSON()
			b := append(w.AvailableBuffer(), `,"score":`...)
			b = append(b, s...)
			w.Write(append(b, '}'))
		}
		w.WriteByte(']')
	case "hash":
		w.WriteByte('[')
		for i, f := range v.Hash {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(`{"field":`)
			writeBlob(w, f.Field)
			w.WriteString(`,"value":`)
			writeBlob(w, f.Value)
			b := w.AvailableBuffer()
			if f.ExpireMs >= 0 {
				b = append(b, `,"expire_ms":`...)
				b = strconv.AppendInt(b, f.ExpireMs, 10)
			}
			w.Write(append(b, '}'))
		}
		w.WriteByte(']')
	case "stream":
		writeStream(w, v.Stream)
	}
}

func writeBlobs(w *bufio.Writer, bs [][]byte) {
	w.WriteByte('[')
	for i, b := range bs {
		if i > 0 {
			w.WriteByte(',')
		}
		writeBlob(w, b)
	}
	w.WriteByte(']')
}

func appendID(b []byte, id rdb.StreamID) []byte {
	b = append(b, '"')
	b = strconv.AppendUint(b, id.Ms, 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, id.Seq, 10)
	return append(b, '"')
}

func writeStream(w *bufio.Writer, s *rdb.Stream) {
	b := append(w.AvailableBuffer(), `{"length":`...)
	b = strconv.AppendUint(b, s.Length, 10)
	b = append(b, `,"entries_added":`...)
	b = strconv.AppendUint(b, s.EntriesAdded, 10)
	b = append(b, `,"last_id":`...)
	b = appendID(b, s.LastID)
	b = append(b, `,"first_id":`...)
	b = appendID(b, s.FirstID)
	b = append(b, `,"max_deleted_id":`...)
	b = appendID(b, s.MaxDeletedID)
	b = append(b, `,"entries":[`...)
	w.Write(b)
	for i, e := range s.Entries {
		b = w.AvailableBuffer()
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendID(b, e.ID)
		b = append(b, `,"fields":[`...)
		w.Write(b)
		for j, f := range e.Fields {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteByte('[')
			writeBlob(w, f.Name)
			w.WriteByte(',')
			writeBlob(w, f.Value)
			w.WriteByte(']')
		}
		w.WriteString("]}")
	}
	w.WriteString(`],"groups":[`)
	for i, g := range s.Groups {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(`{"name":`)
		writeBlob(w, g.Name)
		b = append(w.AvailableBuffer(), `,"last_id":`...)
		b = appendID(b, g.LastID)
		b = append(b, `,"entries_read":`...)
		b = strconv.AppendInt(b, g.EntriesRead, 10)
		b = append(b, `,"pending":[`...)
		w.Write(b)
		for j, p := range g.Pending {
			b = w.AvailableBuffer()
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendID(b, p.ID)
			b = append(b, `,"delivery_time":`...)
			b = strconv.AppendInt(b, p.DeliveryTime, 10)
			b = append(b, `,"delivery_count":`...)
			b = strconv.AppendUint(b, p.DeliveryCount, 10)
			w.Write(append(b, '}'))
		}
		w.WriteString(`],"consumers":[`)
		for j, c := range g.Consumers {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteString(`{"name":`)
			writeBlob(w, c.Name)
			b = append(w.AvailableBuffer(), `,"seen_time":`...)
			b = strconv.AppendInt(b, c.SeenTime, 10)
			b = append(b, `,"active_time":`...)
			b = strconv.AppendInt(b, c.ActiveTime, 10)
			b = append(b, `,"pending":[`...)
			w.Write(b)
			for k, id := range c.Pending {
				b = w.AvailableBuffer()
				if k > 0 {
					b = append(b, ',')
				}
				w.Write(appendID(b, id))
			}
			w.WriteString("]}")
		}
		w.WriteString("]}")
	}
	w.WriteString("]}")
}

// writeBlob writes b as appendBlob renders it, a chunk at a time.
func writeBlob(w *bufio.Writer, b []byte) {
	if len(b) <= blobChunk {
		w.Write(appendBlob(w.AvailableBuffer(), b))
		return
	}
	if !utf8.Valid(b) {
		w.WriteString(`{"base64":"`)
		enc := base64.NewEncoder(base64.StdEncoding, w)
		enc.Write(b)
		enc.Close()
		w.WriteString(`"}`)
		return
	}
	w.WriteByte('"')
	var buf []byte
	for len(b) > 0 {
		n := min(len(b), blobChunk)
		for n < len(b) && !utf8.RuneStart(b[n]) {
			n++ // cut between runes: b is valid UTF-8
		}
		buf = appendStringBody(buf[:0], b[:n])
		w.Write(buf)
		b = b[n:]
	}
	w.WriteByte('"')
}
