package site

import (
	"context"
	"fmt"
	"io"

	"github.com/rdbtool/rdbtool/rdb"
	"github.com/redis/go-redis/v9"
)

// value turns a key into an rdb.Value.
func (k *Key) value() (*rdb.Value, error) {
	switch k.Type {
	case "string":
		return &rdb.Value{Kind: "string", String: k.String}, nil
	case "hash":
		v := &rdb.Value{Kind: "hash"}
		for _, f := range k.Hash {
			v.Hash = append(v.Hash, rdb.HashField{Field: []byte(f[0]), Value: []byte(f[1]), ExpireMs: -1})
		}
		return v, nil
	case "list":
		v := &rdb.Value{Kind: "list"}
		for _, e := range k.List {
			v.List = append(v.List, []byte(e))
		}
		return v, nil
	}
	return nil, fmt.Errorf("site: key %s: unknown type %q", k.Name, k.Type)
}

// WriteOptions shape the RDB file.
type WriteOptions struct {
	Version   int  // RDB version (default 10, Redis 7.0)
	NoIgnored bool // leave out fpg:* bitfiles
	NoTTLs    bool // write no expiries
}

// WriteRDB writes the site as an RDB file. Expiries are absolute: site
// clock + TTL.
func (s *Site) WriteRDB(w io.Writer, o WriteOptions) error {
	if o.Version == 0 {
		o.Version = 10
	}
	wr := rdb.NewWriter(w, o.Version)
	if err := wr.WriteAux("redis-ver", "7.0.15"); err != nil {
		return err
	}
	if err := wr.WriteAux("redis-bits", "64"); err != nil {
		return err
	}
	if err := wr.WriteAux("ctime", fmt.Sprint(s.Opts.Now.Unix())); err != nil {
		return err
	}
	var n, withTTL uint64
	for _, k := range s.Keys {
		if s.keep(k, o) {
			n++
			if k.TTL > 0 && !o.NoTTLs {
				withTTL++
			}
		}
	}
	if err := wr.WriteSelectDB(0); err != nil {
		return err
	}
	if err := wr.WriteResizeDB(n, withTTL); err != nil {
		return err
	}
	for _, k := range s.Keys {
		if !s.keep(k, o) {
			continue
		}
		v, err := k.value()
		if err != nil {
			return err
		}
		e, err := rdb.NewEntry(0, []byte(k.Name), v, o.Version)
		if err != nil {
			return fmt.Errorf("site: key %s: %w", k.Name, err)
		}
		if k.TTL > 0 && !o.NoTTLs {
			e.ExpireMs = s.Opts.Now.Add(k.TTL).UnixMilli()
		}
		if err := wr.WriteEntry(e); err != nil {
			return err
		}
	}
	return wr.Close()
}

func (s *Site) keep(k *Key, o WriteOptions) bool {
	if o.NoIgnored && len(k.Name) > 4 && k.Name[:4] == "fpg:" {
		return false
	}
	return !(k.Type == "list" && len(k.List) == 0)
}

// Apply writes the site into a Redis (deleting each key first). TTLs are
// applied relative to the moment of writing unless noTTLs.
func (s *Site) Apply(ctx context.Context, c redis.UniversalClient, noTTLs bool) error {
	pipe := c.Pipeline()
	for i, k := range s.Keys {
		pipe.Del(ctx, k.Name)
		switch k.Type {
		case "string":
			pipe.Set(ctx, k.Name, k.String, 0)
		case "hash":
			args := make([]any, 0, 2*len(k.Hash))
			for _, f := range k.Hash {
				args = append(args, f[0], f[1])
			}
			pipe.HSet(ctx, k.Name, args...)
		case "list":
			if len(k.List) == 0 {
				continue
			}
			args := make([]any, len(k.List))
			for j, e := range k.List {
				args[j] = e
			}
			pipe.RPush(ctx, k.Name, args...)
		}
		if k.TTL > 0 && !noTTLs {
			pipe.PExpire(ctx, k.Name, k.TTL)
		}
		if i%200 == 199 {
			if _, err := pipe.Exec(ctx); err != nil {
				return err
			}
		}
	}
	_, err := pipe.Exec(ctx)
	return err
}
