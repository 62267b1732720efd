package live

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// tlsHint explains the failure of the first exchange with a server when TLS
// is most likely on one side only: a plain client on a TLS port is cut off
// at once, and a TLS client on a plain port gets no handshake (the server
// waits for a command line) until the dial times out.
func tlsHint(o *redis.Options, err error) error {
	if err == nil {
		return nil
	}
	if o.TLSConfig != nil {
		if hint := certHint(o, err); hint != "" {
			return fmt.Errorf("%w (%s)", err, hint)
		}
	}
	var rh tls.RecordHeaderError
	var ne net.Error
	timeout := errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
	switch {
	case o.TLSConfig != nil && (timeout || errors.As(err, &rh)):
		return fmt.Errorf("%w (%w)", err, errNoTLSHandshake)
	case o.TLSConfig == nil && o.Network != "unix" && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errClosedByServer)):
		return fmt.Errorf("%w (the server closed the connection at once: a TLS port? that needs rediss://)", err)
	}
	return err
}

// certHint says what to do about a certificate that one side of a TLS
// connection refused, or "" for other errors.
func certHint(o *redis.Options, err error) string {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	msg := err.Error()
	switch {
	case errors.As(err, &ua):
		return "the server's certificate is not signed by a CA this machine trusts: give the CA that signed it " +
			"with --tls-ca FILE, or add ?skip_verify=true to the URL to skip the check"
	case errors.As(err, &he) && he.Certificate != nil:
		var names []string
		names = append(names, he.Certificate.DNSNames...)
		for _, ip := range he.Certificate.IPAddresses {
			names = append(names, ip.String())
		}
		host := he.Host
		if len(names) == 0 {
			return fmt.Sprintf("the server's certificate names no host, so it is not for %s: "+
				"add ?skip_verify=true to the URL to skip the check", host)
		}
		return fmt.Sprintf("the server's certificate is for %s, not for %s: connect with one of those names, "+
			"or add ?skip_verify=true to the URL to skip the check", strings.Join(names, ", "), host)
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return "the server's certificate has expired or is not valid yet: renew it on the server (or check this " +
			"machine's clock), or add ?skip_verify=true to the URL to skip the check"
	case strings.Contains(msg, "remote error: tls: certificate required"):
		return "the server requires a client certificate (tls-auth-clients yes, its default): " +
			"give one with --tls-cert FILE --tls-key FILE"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errClosedByServer):
		// TLS 1.3: the server checks the client's certificate after the
		// handshake, and its alert is lost when the first write meets the reset
		if len(o.TLSConfig.Certificates) == 0 && o.TLSConfig.GetClientCertificate == nil {
			return "the server closed the TLS connection at once: does it require a client certificate " +
				"(tls-auth-clients yes, its default)? give one with --tls-cert FILE --tls-key FILE"
		}
		return "the server closed the TLS connection at once: did it refuse the client certificate of --tls-cert " +
			"(expired, or not signed by a CA the server trusts: its tls-ca-cert-file)?"
	case strings.Contains(msg, "remote error: tls: unknown certificate authority"),
		strings.Contains(msg, "remote error: tls: expired certificate"),
		strings.Contains(msg, "remote error: tls: bad certificate"),
		strings.Contains(msg, "remote error: tls: certificate unknown"),
		strings.Contains(msg, "remote error: tls: unsupported certificate"):
		return "the server refused the client certificate of --tls-cert: expired, or not signed by a CA the " +
			"server trusts (its tls-ca-cert-file)?"
	}
	return ""
}

// nodeTLS is the TLS configuration for the cluster node at addr, reached
// from a seed whose configuration is cfg: the node's certificate is checked
// against the node's own address (cfg.ServerName is the seed's host name),
// or, for a certificate the nodes share (a wildcard), against the seed's
// name. cfg itself is returned when there is nothing to change.
func nodeTLS(cfg *tls.Config, addr string) *tls.Config {
	if cfg == nil || cfg.InsecureSkipVerify {
		return cfg
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" || host == cfg.ServerName {
		return cfg
	}
	seed := cfg.ServerName
	c := cfg.Clone()
	c.ServerName = host
	c.InsecureSkipVerify = true // checked below, as crypto/tls would, with two names allowed
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		certs := cs.PeerCertificates
		if len(certs) == 0 {
			return errors.New("tls: the server sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, ic := range certs[1:] {
			inter.AddCert(ic)
		}
		now := time.Now()
		if cfg.Time != nil {
			now = cfg.Time()
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: cfg.RootCAs, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err == nil {
			err = certs[0].VerifyHostname(host)
			if err != nil && seed != "" && certs[0].VerifyHostname(seed) == nil {
				err = nil
			}
		}
		if err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
		}
		return nil
	}
	return c
}

// errNoTLSHandshake is tlsHint's word on a TLS client at a plain port.
var errNoTLSHandshake = errors.New("no TLS handshake: is this port serving TLS? a plain port needs redis://, not rediss://")

// clusterTLSHint adds, to a TLS client's failure at a plain port of a
// cluster node, that the port is the one the cluster announced: Redis 7.0
// nodes announce their plain ports in CLUSTER SLOTS, even to TLS clients,
// unless tls-cluster is yes.
func clusterTLSHint(err error) error {
	if !errors.Is(err, errNoTLSHandshake) {
		return err
	}
	var le *Error
	if errors.As(err, &le) {
		c := *le
		c.Err = fmt.Errorf("%w; CLUSTER SLOTS gives this port for the node: with rediss://, every node needs "+
			"tls-cluster yes to announce its TLS port (or use redis:// and the plain ports)", le.Err)
		return &c
	}
	return err
}

// errClosedByServer is a connection that ended while a reply was awaited.
var errClosedByServer = errors.New("connection closed by the server")

// ParseURL parses a server URL as go-redis does (redis://[user:pass@]host:port[/db],
// rediss:// for TLS, unix:///path). Its errors never contain the password.
func ParseURL(raw string) (*redis.Options, error) {
	if schemeEnd(raw) < 0 {
		// go-redis reads redis:10.0.0.5:6379 (no "//") as localhost:6379
		// and quotes the rest of others in its errors, password included
		return nil, fmt.Errorf("bad server URL %s: no scheme: write redis://HOST:PORT "+
			"(redis://[user:pass@]host:port, rediss:// for TLS, unix:///path for a socket)", Redact(raw))
	}
	o, err := redis.ParseURL(raw)
	if err == nil {
		return o, nil
	}
	var msg string
	var ue *url.Error
	region := userinfo(raw)
	switch {
	case strings.ContainsAny(region, "/?#") || strings.Contains(region, "%") && errors.As(err, &ue):
		// the parser cut the URL inside the password: its message would
		// quote pieces of it
		msg = "the user name or password holds a character that must be percent-encoded " +
			"('/' as %2F, '?' as %3F, '#' as %23, '%' as %25)"
	case errors.As(err, &ue):
		msg = ue.Err.Error() // the URL itself is printed redacted
	default:
		msg = err.Error()
	}
	msg = strings.ReplaceAll(msg, raw, Redact(raw))
	for _, s := range urlSecrets(raw) {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return nil, fmt.Errorf("bad server URL %s: %s", Redact(raw), msg)
}

// schemeEnd is the index of the "://" ending the URL's scheme (a letter,
// then letters, digits, '+', '-', '.'), or -1 when it has none.
func schemeEnd(raw string) int {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return -1
	}
	for k, r := range raw[:i] {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (k == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return -1
		}
	}
	return i
}

// userinfo is what lies between "://" and the last "@" of the whole URL
// ("" when there is none). Taking the last "@" of the whole string, not of
// the authority, also covers a password holding an unencoded '/', '?' or
// '#', which a URL parser would take for the end of the authority.
func userinfo(raw string) string {
	i := schemeEnd(raw)
	if i < 0 {
		return ""
	}
	rest := raw[i+3:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	return rest[:at]
}

// Redact masks the password in a URL with xxxxx, for printing: everything
// between "://" and the last "@" except a user name before a ':', and the
// value of any password= query option. It works on URLs that do not parse.
func Redact(raw string) string {
	i := schemeEnd(raw)
	if i < 0 {
		// no scheme: whatever stands before the last '@' may hold a password
		if at := strings.LastIndex(raw, "@"); at >= 0 {
			user := "xxxxx"
			if c := strings.Index(raw[:at], ":"); c >= 0 {
				user = raw[:c] + ":xxxxx"
			}
			return user + "@" + redactQuery(raw[at+1:])
		}
		return redactQuery(raw)
	}
	rest := raw[i+3:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw[:i+3] + redactQuery(rest)
	}
	user := rest[:at]
	if c := strings.Index(user, ":"); c >= 0 && !strings.ContainsAny(user[:c], "/?#") {
		user = user[:c] + ":xxxxx"
	} else if user != "" {
		// redis://secret@host: go-redis takes a lone userinfo as the password
		user = "xxxxx"
	}
	return raw[:i+3] + user + redactQuery(rest[at:])
}

// redactQuery masks the values of password= options.
func redactQuery(s string) string {
	var b strings.Builder
	for {
		j := passwordOption(s)
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:j])
		b.WriteString("xxxxx")
		s = s[j+optionEnd(s[j:]):]
	}
}

// passwordOption returns the index of the value of the first
// "password=" option (after '?' or '&') in s, or -1.
func passwordOption(s string) int {
	const opt = "password="
	low := strings.ToLower(s)
	for from := 0; ; {
		k := strings.Index(low[from:], opt)
		if k < 0 {
			return -1
		}
		k += from
		if k > 0 && (s[k-1] == '?' || s[k-1] == '&') {
			return k + len(opt)
		}
		from = k + len(opt)
	}
}

func optionEnd(s string) int {
	if e := strings.IndexAny(s, "&#"); e >= 0 {
		return e
	}
	return len(s)
}

// urlSecrets are the password of the userinfo and every password= value
// (raw and unescaped), longest first, to scrub from messages.
func urlSecrets(raw string) []string {
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		out = append(out, s)
		if u, err := url.PathUnescape(s); err == nil && u != s && u != "" {
			out = append(out, u)
		}
	}
	if user := userinfo(raw); user != "" {
		if c := strings.Index(user, ":"); c >= 0 {
			add(user[c+1:])
		} else {
			add(user)
		}
	}
	for s := raw; ; {
		j := passwordOption(s)
		if j < 0 {
			break
		}
		e := optionEnd(s[j:])
		add(s[j : j+e])
		s = s[j+e:]
	}
	sort.Slice(out, func(a, b int) bool { return len(out[a]) > len(out[b]) })
	return out
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
	Server string // host:port, or the socket path
	Key    []byte // the key being handled, or nil
	Op     string // what was being done: "connect", "AUTH", "DUMP", "RESTORE", "sync", ...
	Err    error  // the underlying error

	secret string // scrubbed from the message, in case a server or library echoes it
}

// Error is `server HOST:PORT[, key "K"]: OP: cause`, with any password the
// cause echoes replaced by xxxxx.
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

// Unwrap returns Err.
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

// clusterNodeErr refuses a node of a Redis Cluster reached without
// --cluster (info holds INFO's cluster section, cluster_enabled:1 on a
// node): it holds only the keys of its own slots, so a snapshot of it
// would be part of the data and a load would stop at the first key of
// another master's slot, after flushing only this node.
func clusterNodeErr(o *redis.Options, info, what string) error {
	if infoField(info, "cluster_enabled") != "1" {
		return nil
	}
	return serverErr(o, "INFO", nil, fmt.Errorf("this is a node of a Redis Cluster, which holds only the keys of its own slots: "+
		"add --cluster to %s", what))
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
