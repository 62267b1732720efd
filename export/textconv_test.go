package export

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTextConvIsUTF8: the text for git diff is valid UTF-8 for every
// corpus file and the site dump, whatever bytes their keys and values hold.
func TestTextConvIsUTF8(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/*.rdb")
	files = append(files, "../testdata/dump.rdb")
	if len(files) < 10 {
		t.Fatal("no corpus")
	}
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err = TextConv(in, &out)
		in.Close()
		if err != nil {
			continue // damaged corpus files are textconv's error tests' business
		}
		if !utf8.Valid(out.Bytes()) {
			for i, line := range strings.Split(out.String(), "\n") {
				if !utf8.ValidString(line) {
					t.Errorf("%s: line %d is not UTF-8: %q", filepath.Base(f), i+1, line)
					break
				}
			}
		}
	}
}

func TestQuoteBytes(t *testing.T) {
	for in, want := range map[string]string{
		"plain":           `"plain"`,
		"tab\tq\"b\\":     `"tab\tq\"b\\"`,
		"\xff\xff\xfe":    `"\xff\xff\xfe"`,
		"grüß ☃":          `"grüß ☃"`,
		"\xe2\x98":        `"\xe2\x98"`, // a cut-off rune
		"ok\xc3(\x00\x7f": `"ok\xc3(\x00\x7f"`,
	} {
		if got := quoteBytes([]byte(in)); got != want {
			t.Errorf("quoteBytes(%q) = %s, want %s", in, got, want)
		}
	}
}
