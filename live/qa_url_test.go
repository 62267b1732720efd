package live

import (
	"strings"
	"testing"
)

// A URL without "://" (the scheme forgotten or mistyped) still never shows
// its password, and the error says what a server URL looks like.
func TestURLWithoutSchemeHidesPassword(t *testing.T) {
	for _, u := range []string{":pw.Secret9@127.0.0.1:6379", "bob:pw.Secret9@127.0.0.1:6379",
		"redis//:pw.Secret9@127.0.0.1:6379", "redis:/:pw.Secret9@127.0.0.1:6379", "redis:pw.Secret9@127.0.0.1:6379",
		"pw.Secret9@127.0.0.1:6379", "127.0.0.1:6379", "localhost"} {
		_, err := ParseURL(u)
		if err == nil {
			t.Errorf("%s: parsed", u)
			continue
		}
		for _, piece := range []string{"pw.Secret9", "Secret"} {
			if strings.Contains(err.Error(), piece) {
				t.Errorf("%s: error %q shows %q", u, err, piece)
			}
		}
		if !strings.Contains(err.Error(), "redis://HOST:PORT") {
			t.Errorf("%s: error %q does not say how a server URL is written", u, err)
		}
	}
	for in, want := range map[string]string{
		"bob:pw@h:1": "bob:xxxxx@h:1",
		"pw@h:1":     "xxxxx@h:1",
		"h:1":        "h:1",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
