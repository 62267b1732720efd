package live

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ParseURL parses a server URL as go-redis does (redis://[user:pass@]host:port[/db],
// rediss:// for TLS, unix:///path). Its errors never contain the password.
func ParseURL(raw string) (*redis.Options, error) {
	o, err := redis.ParseURL(raw)
	if err != nil {
		msg := err.Error()
		if pw := urlPassword(raw); pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
		msg = strings.ReplaceAll(msg, raw, Redact(raw))
		return nil, fmt.Errorf("bad server URL %s: %s", Redact(raw), msg)
	}
	return o, nil
}

// Redact replaces the password in a URL with xxxxx, for printing.
func Redact(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	user := rest[:at]
	if c := strings.Index(user, ":"); c >= 0 {
		user = user[:c] + ":xxxxx"
	} else if user != "" {
		// redis://secret@host: go-redis takes a lone userinfo as the password
		user = "xxxxx"
	}
	return raw[:i+3] + user + rest[at:]
}

func urlPassword(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return ""
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return ""
	}
	user := rest[:at]
	if c := strings.Index(user, ":"); c >= 0 {
		return user[c+1:]
	}
	return user
}

// IsLoopback reports whether the options point at this machine: a unix
// socket, localhost, or a loopback IP. It resolves nothing.
func IsLoopback(o *redis.Options) bool {
	if o.Network == "unix" {
		return true
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		host = o.Addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Error is a failure talking to a server. Server is host:port (never a
// password); Key is the key being handled, or nil.
type Error struct {
	Server string
	Key    []byte
	Op     string // what was being done: "connect", "AUTH", "DUMP", "RESTORE", "sync", ...
	Err    error

	secret string // scrubbed from the message, in case a server or library echoes it
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("server ")
	b.WriteString(e.Server)
	if e.Key != nil {
		b.WriteString(", key ")
		b.WriteString(strconv.Quote(string(e.Key)))
	}
	b.WriteString(": ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	msg := "unknown error"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	if e.secret != "" {
		msg = strings.ReplaceAll(msg, e.secret, "xxxxx")
	}
	b.WriteString(msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// serverErr wraps err for the server o, unless it already names a server.
func serverErr(o *redis.Options, op string, key []byte, err error) error {
	if err == nil {
		return nil
	}
	var le *Error
	if errors.As(err, &le) {
		return err
	}
	return &Error{Server: o.Addr, Key: key, Op: op, Err: err, secret: o.Password}
}

// redisVersionToRDB maps a server's redis_version to the newest RDB version it
// writes and loads.
func redisVersionToRDB(v string) int {
	parts := strings.SplitN(v, ".", 3)
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	switch {
	case major >= 8 || (major == 7 && minor >= 4):
		return 12
	case major == 7 && minor >= 2:
		return 11
	case major == 7:
		return 10
	case major >= 5:
		return 9
	case major == 4:
		return 8
	case major == 3 && minor >= 2:
		return 7
	case major == 3:
		return 6
	case major == 2 && minor >= 6:
		return 6
	default:
		return 5
	}
}

// infoField returns one field of an INFO reply.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimRight(line, "\r")
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}
