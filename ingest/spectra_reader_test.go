package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"
)

// spectraFixture is n autos keys with spectra of channels float32 values
// each (distinct per key), all valid.
func spectraFixture(n, channels int) ([]autoKey, [][]byte, []bool) {
	list := make([]autoKey, n)
	raw := make([][]byte, n)
	valid := make([]bool, n)
	for i := range list {
		pol := "e"
		if i%2 == 1 {
			pol = "n"
		}
		list[i] = autoKey{ant: int32(i / 2), pol: pol}
		raw[i] = make([]byte, 4*channels)
		for j := range channels {
			binary.LittleEndian.PutUint32(raw[i][4*j:], math.Float32bits(float32(i*1000+j)+0.5))
		}
		valid[i] = true
	}
	return list, raw, valid
}

// readSpectra drains a spectraReader fed the chunk ends given, reading
// with a buffer of size bufSize, and returns what it produced and whether
// sent was closed before the end.
func readSpectra(t *testing.T, r *spectraReader, ends []int, bufSize int) ([]byte, error) {
	t.Helper()
	fetched := make(chan int, len(ends))
	for _, e := range ends {
		fetched <- e
	}
	close(fetched)
	r.fetched, r.sent = fetched, make(chan struct{})
	if r.failed == nil {
		r.failed = func() error { return nil }
	}
	sent := r.sent
	var out []byte
	buf := make([]byte, bufSize)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			select {
			case <-sent:
			default:
				t.Fatal("EOF before sent was closed")
			}
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n == 0 {
			t.Fatal("Read returned 0 bytes and no error")
		}
	}
}

// wantSpectra is the COPY data for the rows of list at indexes keep, built
// row by row with putSpectrumRow.
func wantSpectra(list []autoKey, raw [][]byte, keep []int, ts int64) []byte {
	want := copyHeader()
	for _, i := range keep {
		row := make([]byte, spectrumRowSize(list[i].pol, len(raw[i])/4))
		putSpectrumRow(row, ts, list[i].ant, list[i].pol, raw[i])
		want = append(want, row...)
	}
	return append(want, 0xff, 0xff)
}

// TestSpectraReader: the reader's output is the header, one row per valid
// spectrum not already stored, in order, and the trailer, whatever the
// caller's buffer size (whole rows per Read, or a row in pieces when the
// buffer is smaller than a row) and however the chunks arrive.
func TestSpectraReader(t *testing.T) {
	list, raw, valid := spectraFixture(9, 6)
	valid[3] = false                                          // a bad key: skipped
	have := map[antPol]bool{{list[4].ant, list[4].pol}: true} // stored already
	keep := []int{0, 1, 2, 5, 6, 7, 8}
	want := wantSpectra(list, raw, keep, 42)
	rowSize := spectrumRowSize("e", 6)
	for _, bufSize := range []int{19, rowSize - 1, rowSize, rowSize + 1, 3 * rowSize, 65531} {
		for _, ends := range [][]int{{9}, {1, 2, 5, 9}, {4, 4, 9}} {
			r := &spectraReader{list: list, raw: raw, valid: valid, have: have, t: 42}
			got, err := readSpectra(t, r, ends, bufSize)
			if err != nil {
				t.Fatalf("buffer %d, chunks %v: %v", bufSize, ends, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("buffer %d, chunks %v: %d bytes differ from the %d wanted", bufSize, ends, len(got), len(want))
			}
		}
	}
}

// TestSpectraReaderWholeRows: with a buffer that holds whole rows, no row
// is split across Reads (each Read is one CopyData message); the header
// goes first on its own, before the reader waits for the first spectra.
func TestSpectraReaderWholeRows(t *testing.T) {
	list, raw, valid := spectraFixture(5, 6)
	rowSize := spectrumRowSize("e", 6)
	fetched := make(chan int, 1)
	fetched <- 5
	close(fetched)
	r := &spectraReader{list: list, raw: raw, valid: valid, t: 1, fetched: fetched,
		sent: make(chan struct{}), failed: func() error { return nil }}
	buf := make([]byte, 2*rowSize+3)
	var sizes []int
	for {
		n, err := r.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, n)
	}
	header := len(copyHeader())
	want := []int{header, 2 * rowSize, 2 * rowSize, rowSize, 2}
	if len(sizes) != len(want) {
		t.Fatalf("reads of %v bytes, want %v", sizes, want)
	}
	for i := range want {
		if sizes[i] != want[i] {
			t.Fatalf("reads of %v bytes, want %v", sizes, want)
		}
	}
}

// TestSpectraReaderFails: when the Redis reads stop on an error, the
// reader returns it (the COPY is abandoned, nothing stored); when they
// stop short without one (the pass was cancelled), it fails too rather
// than end a COPY that lacks spectra.
func TestSpectraReaderFails(t *testing.T) {
	list, raw, valid := spectraFixture(6, 4)
	boom := errors.New("GET auto:3e: connection reset")
	r := &spectraReader{list: list, raw: raw, valid: valid, t: 1, failed: func() error { return boom }}
	got, err := readSpectra(t, r, []int{2}, 1<<16)
	if !errors.Is(err, boom) {
		t.Fatalf("reads failed: got %v, want %v", err, boom)
	}
	if want := wantSpectra(list, raw, []int{0, 1}, 1); !bytes.Equal(got, want[:len(want)-2]) {
		t.Fatalf("before the error: %d bytes, want the header and the first two rows", len(got))
	}
	r = &spectraReader{list: list, raw: raw, valid: valid, t: 1}
	if _, err := readSpectra(t, r, []int{2, 4}, 1<<16); err == nil {
		t.Fatal("reads stopped at 4 of 6 keys: the COPY ended without error")
	}
}

// TestRawMedians: the medians taken from the raw bytes are MedianFloat32 of
// the decoded spectra; invalid ones are left alone.
func TestRawMedians(t *testing.T) {
	list, raw, valid := spectraFixture(4, 7)
	raw[2] = raw[2][:4*6] // an even count
	valid[1] = false
	medians := []float32{-1, -1, -1, -1}
	rawMedians(raw, valid, medians)
	for i := range list {
		want := float32(-1)
		if valid[i] {
			spec, _ := Float32sLE(raw[i])
			want = MedianFloat32(spec)
		}
		if medians[i] != want {
			t.Errorf("spectrum %d: median %v, want %v", i, medians[i], want)
		}
	}
}

// TestRowByRow: the row-by-row clause only for servers that have COPY ...
// WHERE (12 and later), whatever follows the version number.
func TestRowByRow(t *testing.T) {
	for v, want := range map[string]bool{
		"15.8 (Debian 15.8-1.pgdg120+1)": true,
		"12.0":                           true,
		"17devel":                        true,
		"11.22":                          false,
		"9.6.24":                         false,
		"":                               false,
		"unknown":                        false,
	} {
		if got := rowByRow(v) != ""; got != want {
			t.Errorf("server_version %q: row by row %v, want %v", v, got, want)
		}
	}
}
