package export

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Blob is binary-safe bytes in JSON: a JSON string when the bytes are valid
// UTF-8, else an object {"base64": "..."} (standard encoding, padded). Both
// forms decode back to the exact bytes.
type Blob []byte

// MarshalJSON writes a string or {"base64": ...}.
func (b Blob) MarshalJSON() ([]byte, error) {
	return appendBlob(nil, b), nil
}

// appendBlob appends b's JSON form to dst.
func appendBlob(dst []byte, b []byte) []byte {
	if utf8.Valid(b) {
		return appendString(dst, b)
	}
	dst = append(dst, `{"base64":"`...)
	n := base64.StdEncoding.EncodedLen(len(b))
	dst = append(dst, make([]byte, n)...)
	base64.StdEncoding.Encode(dst[len(dst)-n:], b)
	return append(dst, `"}`...)
}

// UnmarshalJSON reads either form.
func (b *Blob) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if s, ok := plainString(data); ok {
		*b = append(make(Blob, 0, len(s)), s...) // not nil for ""
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*b = Blob(s)
		return nil
	}
	if b64, ok := bytes.CutPrefix(data, []byte(`{"base64":`)); ok && bytes.HasSuffix(b64, []byte("}")) {
		// as export writes it: decode the base64 text without json
		if s, ok := plainString(b64[:len(b64)-1]); ok {
			raw := make(Blob, base64.StdEncoding.DecodedLen(len(s)))
			n, err := base64.StdEncoding.Decode(raw, s)
			if err != nil {
				return err
			}
			*b = raw[:n]
			return nil
		}
	}
	var o struct {
		Base64 *string `json:"base64"`
	}
	if err := json.Unmarshal(data, &o); err != nil || o.Base64 == nil {
		if len(data) > 0 && (data[0] == '-' || data[0] >= '0' && data[0] <= '9') && len(data) <= 40 {
			return fmt.Errorf(`bytes must be a JSON string or {"base64": "..."}, not the number %s (write "%s")`, data, data)
		}
		return errors.New(`bytes must be a JSON string or {"base64": "..."}`)
	}
	raw, err := base64.StdEncoding.DecodeString(*o.Base64)
	if err != nil {
		return err
	}
	*b = raw
	return nil
}

// plainString returns the bytes of data, a JSON string without escapes,
// control characters or invalid UTF-8, which are what it decodes to (most
// strings an export holds); false for anything else.
func plainString(data []byte) ([]byte, bool) {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return nil, false
	}
	s := data[1 : len(data)-1]
	ascii := true
	for _, c := range s {
		if c == '"' || c == '\\' || c < 0x20 {
			return nil, false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return s, ascii || utf8.Valid(s)
}

const hexDigits = "0123456789abcdef"

// appendString appends valid UTF-8 s as a JSON string, escaping what JSON
// requires plus U+2028/2029 the way encoding/json does; <, > and & are
// kept (export lines are text to read and edit: HTML values, Lua code);
// json.Marshal still escapes them where it is used.
func appendString(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	dst = appendStringBody(dst, s)
	return append(dst, '"')
}

// appendStringBody is appendString without the quotes: s may be any
// part of a valid UTF-8 string cut between two runes.
func appendStringBody(dst []byte, s []byte) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}
