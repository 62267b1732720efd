package filter

import (
	"fmt"
	"io"
	"os"

	"github.com/rdbtool/rdbtool/internal/atomicfile"
	"github.com/rdbtool/rdbtool/rdb"
)

// copyChunk is how much CopyVerified copies before handing it to writeback.
const copyChunk = 16 << 20

// CopyVerified is the identity Rewrite from one regular file to another:
// the kernel copies the bytes (copy_file_range, as cp does) while the
// input is read record by record through rdb.Reader on the other core,
// checking every record's structure and the checksum. The result is the
// same as Rewrite with no filter and no version change — byte-identical,
// anything after the RDB's end dropped, an error for a damaged input — at
// close to the cost of cp. wrap, when not nil, wraps the checking reader
// (a progress bar).
//
// size is the number of bytes of src to take, normally its length; src
// must be at offset 0 (the copy starts at its offset, the check at 0) and
// dst empty. Values are skipped by length while checking (rdb.SkipValues),
// not decoded. opt.Version must be 0; on error dst holds a partial copy.
func CopyVerified(src, dst *os.File, size int64, wrap func(io.Reader) io.Reader, opt RewriteOptions) (*RewriteStats, error) {
	if opt.Version != 0 {
		return nil, fmt.Errorf("CopyVerified cannot convert versions")
	}
	copied := make(chan error, 1)
	go func() {
		// (*os.File).ReadFrom uses copy_file_range from src's offset;
		// the check below reads with pread and leaves that offset alone.
		// Chunk by chunk, each handed to writeback at once: the disk
		// writes while the rest is copied, so the output's fsync waits
		// for the last chunk only, not the whole file.
		for off := int64(0); off < size; {
			n, err := io.Copy(dst, io.LimitReader(src, min(copyChunk, size-off)))
			if n > 0 {
				atomicfile.StartWriteback(dst, off, n)
			}
			off += n
			if err != nil || n == 0 {
				copied <- err
				return
			}
		}
		copied <- nil
	}()

	var in io.Reader = io.NewSectionReader(src, 0, size)
	if wrap != nil {
		in = wrap(in)
	}
	st := &RewriteStats{}
	rd := rdb.NewReader(in, append([]rdb.ReaderOption{rdb.SkipValues(), rdb.ReuseBuffers()}, opt.ReaderOptions...)...)
	var readErr error
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		switch r := rec.(type) {
		case *rdb.Header:
			st.InVersion, st.OutVersion = r.Version, r.Version
		case *rdb.Entry:
			st.KeysIn++
		}
	}
	copyErr := <-copied
	if readErr != nil {
		return st, readErr
	}
	if copyErr != nil {
		return st, fmt.Errorf("writing output: %w", copyErr)
	}
	st.KeysOut = st.KeysIn
	st.Checksum = rd.Checksum()
	st.BytesIn = rd.Offset()
	st.BytesOut = rd.Offset()
	if st.BytesOut < size {
		// Rewrite writes nothing past the RDB's end; neither does this.
		if err := dst.Truncate(st.BytesOut); err != nil {
			return st, fmt.Errorf("writing output: %w", err)
		}
	}
	return st, nil
}
