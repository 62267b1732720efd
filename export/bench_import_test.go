package export

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/rdbtool/rdbtool/rdb"
)

// benchExport is the JSON-lines export of a generated dump: strings,
// lists, sets, zsets and hashes of a few short elements, half of them
// binary (base64 in JSON), half text.
func benchExport(b *testing.B, keys int) []byte {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	elem := func(i int) []byte {
		p := make([]byte, 8+rng.IntN(40))
		for k := range p {
			if i%2 == 0 {
				p[k] = byte(rng.Uint32())
			} else {
				p[k] = 'a' + byte(rng.IntN(26))
			}
		}
		return p
	}
	var dump bytes.Buffer
	w := rdb.NewWriter(&dump, 12)
	for i := 0; i < keys; i++ {
		v := &rdb.Value{}
		switch i % 5 {
		case 0:
			v.Kind, v.String = "string", elem(i)
		case 1:
			v.Kind = "list"
			for k := 0; k < 8; k++ {
				v.List = append(v.List, elem(i))
			}
		case 2:
			v.Kind = "set"
			for k := 0; k < 8; k++ {
				v.Set = append(v.Set, append(elem(i), byte('0'+k)))
			}
		case 3:
			v.Kind = "zset"
			for k := 0; k < 8; k++ {
				v.ZSet = append(v.ZSet, rdb.ZMember{Member: append(elem(i), byte('0'+k)), Score: rng.Float64() * 1000})
			}
		case 4:
			v.Kind = "hash"
			for k := 0; k < 8; k++ {
				v.Hash = append(v.Hash, rdb.HashField{Field: append(elem(i), byte('0'+k)), Value: elem(i), ExpireMs: -1})
			}
		}
		e, err := rdb.NewEntry(0, []byte("key:"+strconv.Itoa(i)), v, 12)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.WriteEntry(e); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	var jl bytes.Buffer
	if _, err := Export(&dump, &jl); err != nil {
		b.Fatal(err)
	}
	return jl.Bytes()
}

// BenchmarkImport: import throughput (MB/s of JSON lines) on an export as
// rdbtool export writes it.
func BenchmarkImport(b *testing.B) {
	jl := benchExport(b, 20000)
	b.SetBytes(int64(len(jl)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Import(bytes.NewReader(jl), io.Discard, 0); err != nil {
			b.Fatal(err)
		}
	}
}
