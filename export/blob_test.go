package export

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
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

// blobByJSON is Blob.UnmarshalJSON by encoding/json alone, as it was
// before the shortcuts for the forms export writes.
func blobByJSON(data []byte) (Blob, error) {
	var b Blob
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, err
		}
		return Blob(s), nil
	}
	var o struct {
		Base64 *string `json:"base64"`
	}
	if err := json.Unmarshal(data, &o); err != nil || o.Base64 == nil {
		return nil, b.UnmarshalJSON(data) // (its message)
	}
	return base64.StdEncoding.DecodeString(*o.Base64)
}

// blobSeeds are JSON forms of bytes: plain, escaped, invalid UTF-8 or
// control characters in a string, base64 as export writes it and
// otherwise, and what is not bytes.
var blobSeeds = []string{
	`"plain"`, `""`, `"é\u2028"`, `"a\"b"`, `"a\\b"`, `"tab\tin"`, "\"raw\ttab\"", "\"\xff\"", "\"\xe2\x82\"", `"\ud800"`,
	`{"base64":"/wA="}`, `{"base64":""}`, `{"base64":"/wA"}`, `{"base64":"!!"}`, `{"base64":"\/wA="}`, `{ "base64" : "/wA=" }`,
	`{"base64":"/wA=","x":1}`, `{"base64":"/wA="}}`, `{"base64":"a","base64":"AAEC"}`, `{"BASE64":"/wA="}`, `{"base64":null}`,
	`{"hex":"00"}`, `5`, `[1]`, `null`, `"unterminated`, ` "spaced" `,
}

func TestBlobShortcutsSameAsJSON(t *testing.T) {
	for _, in := range blobSeeds {
		checkBlobSame(t, []byte(in))
	}
}

func checkBlobSame(t *testing.T, in []byte) {
	t.Helper()
	var got Blob
	err := got.UnmarshalJSON(in)
	want, werr := blobByJSON(in)
	if fmt.Sprint(err) != fmt.Sprint(werr) || err == nil && (!bytes.Equal(got, want) || (got == nil) != (want == nil)) {
		t.Fatalf("%q: got %q (nil %v), %v; encoding/json %q (nil %v), %v", in, got, got == nil, err, want, want == nil, werr)
	}
}

func FuzzBlobUnmarshal(f *testing.F) {
	for _, in := range blobSeeds {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkBlobSame(t, in) })
}
