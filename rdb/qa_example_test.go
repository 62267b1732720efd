package rdb_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/rdbtool/rdbtool/rdb"
)

// Write a small file with a Writer, then read it back record by record and
// decode its entries.
func Example() {
	var file bytes.Buffer
	w := rdb.NewWriter(&file, 10) // RDB 10: Redis 7.0 loads it
	if err := w.WriteAux("redis-ver", "7.0.15"); err != nil {
		log.Fatal(err)
	}
	e, err := rdb.NewEntry(0, []byte("greeting"), &rdb.Value{Kind: "string", String: []byte("hello")}, 10)
	if err != nil {
		log.Fatal(err)
	}
	e.ExpireMs = 4102444800000 // 2100-01-01 UTC; -1 means no expiry
	if err := w.WriteEntry(e); err != nil {
		log.Fatal(err)
	}
	l, err := rdb.NewEntry(2, []byte("queue"), &rdb.Value{Kind: "list", List: [][]byte{[]byte("a"), []byte("b")}}, 10)
	if err != nil {
		log.Fatal(err)
	}
	if err := w.WriteEntry(l); err != nil { // writes SELECTDB 2 first
		log.Fatal(err)
	}
	if err := w.Close(); err != nil { // end marker and CRC-64
		log.Fatal(err)
	}

	r := rdb.NewReader(&file)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err) // an *rdb.Error: offset, key, kind
		}
		switch x := rec.(type) {
		case *rdb.Header:
			fmt.Println("header", x.Magic, x.Version)
		case *rdb.Aux:
			fmt.Printf("aux %s=%s\n", x.Key, x.Value)
		case *rdb.SelectDB:
			fmt.Println("db", x.DB)
		case *rdb.Entry:
			v, err := x.Decode()
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("key %q in db %d: %s (%s), expires %d, string %q, list %q\n",
				x.Key, x.DB, v.Kind, x.Encoding(), x.ExpireMs, v.String, v.List)
		}
	}
	fmt.Println("checksum", r.Checksum().Status)
	// Output:
	// header REDIS 10
	// aux redis-ver=7.0.15
	// db 0
	// key "greeting" in db 0: string (raw), expires 4102444800000, string "hello", list []
	// db 2
	// key "queue" in db 2: list (quicklist2), expires -1, string "", list ["a" "b"]
	// checksum ok
}

// Errors carry the byte offset and the key being read; their kind is tested
// with errors.Is, the details with errors.As.
func ExampleError() {
	var file bytes.Buffer
	w := rdb.NewWriter(&file, 10)
	e, _ := rdb.NewEntry(0, []byte("k"), &rdb.Value{Kind: "string", String: []byte("a value")}, 10)
	_ = w.WriteEntry(e)
	_ = w.Close()
	cut := file.Bytes()[:16] // the file ends inside the value of "k"

	r := rdb.NewReader(bytes.NewReader(cut))
	var err error
	for err == nil {
		_, err = r.Next()
	}
	var re *rdb.Error
	if errors.As(err, &re) {
		fmt.Printf("offset %d, key %q\n", re.Offset, re.Key)
	}
	fmt.Println("truncated:", errors.Is(err, rdb.ErrTruncated))
	_, again := r.Next()
	fmt.Println("same error again:", again == err)
	// Output:
	// offset 15, key "k"
	// truncated: true
	// same error again: true
}

// An entry converts to the payload RESTORE takes, and a DUMP reply converts
// back to an entry.
func ExampleEntryFromDump() {
	e, _ := rdb.NewEntry(0, []byte("s"), &rdb.Value{Kind: "set", Set: [][]byte{[]byte("x"), []byte("y")}}, 10)
	payload := e.DumpPayload(10) // as DUMP returns it: RESTORE s 0 <payload>
	back, version, err := rdb.EntryFromDump([]byte("s"), payload)
	if err != nil {
		log.Fatal(err)
	}
	v, _ := back.Decode()
	fmt.Println(version, v.Kind, len(v.Set))
	// Output: 10 set 2
}
