package inspect

import (
	"io"

	"github.com/rdbtool/rdbtool/rdb"
)

// Read collects the statistics of the RDB stream r in one pass, values
// skipped by length unless opts.ReadValues. A checksum mismatch is not an
// error here: it shows as Checksum.Status "mismatch". Any other read or
// format error (an *rdb.Error for a malformed or truncated file) is
// returned with no Stats.
func Read(r io.Reader, opts Options) (*Stats, error) {
	// The Collector copies what it keeps, so buffers may be reused.
	ropts := []rdb.ReaderOption{rdb.IgnoreChecksum(), rdb.ReuseBuffers()}
	if !opts.ReadValues {
		ropts = append(ropts, rdb.SkipValues())
	}
	rd := rdb.NewReader(r, ropts...)
	c := New(opts)
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		c.Add(rec)
	}
	return c.Finish(rd.Checksum(), rd.Offset()), nil
}
