package export

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestBlob(t *testing.T) {
	cases := map[string]string{
		"plain":         `"plain"`,
		"":              `""`,
		"a\"b\\c\n\x01": `"a\"b\\c\n\u0001"`,
		"<&>":           `"\u003c\u0026\u003e"`,
		"é\u2028":       `"é\u2028"`,
		"\xff\x00":      `{"base64":"/wA="}`,
	}
	for in, want := range cases {
		got, err := json.Marshal(Blob(in))
		if err != nil || string(got) != want {
			t.Errorf("Marshal(%q) = %s, want %s", in, got, want)
		}
		// Same as encoding/json for valid UTF-8.
		if std, _ := json.Marshal(in); !bytes.HasPrefix(got, []byte("{")) && string(std) != string(got) {
			t.Errorf("Marshal(%q) = %s, encoding/json %s", in, got, std)
		}
		var back Blob
		if err := json.Unmarshal(got, &back); err != nil || string(back) != in {
			t.Errorf("round trip %q: %q %v", in, back, err)
		}
	}
	var b Blob
	for _, bad := range []string{`5`, `{"hex":"00"}`, `{"base64":"!!"}`, `[1]`} {
		if err := json.Unmarshal([]byte(bad), &b); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzBlob(f *testing.F) {
	f.Add([]byte("x\xffy"))
	f.Add([]byte("\u2029<"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := json.Marshal(Blob(in))
		if err != nil || !json.Valid(out) {
			t.Fatalf("invalid JSON %s for %q", out, in)
		}
		var back Blob
		if err := json.Unmarshal(out, &back); err != nil || !bytes.Equal(back, in) {
			t.Fatalf("round trip %q -> %s -> %q", in, out, back)
		}
	})
}
