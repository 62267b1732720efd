// Package atomicfile writes a file so that readers see either the old
// content or the complete new content, never a partial file.
//
//	f, err := atomicfile.Create("dump.rdb")
//	if err != nil { ... }
//	defer f.Abort() // no-op after Commit
//	... write to f ...
//	err = f.Commit() // fsync, rename over dump.rdb, fsync the directory
//
// The data goes to a temp file beside the target (same directory, so the
// rename is atomic). On any failure Abort removes the temp file and the
// original stays untouched. The path "-" means standard output: writes go
// straight to os.Stdout and Commit/Abort do nothing.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// File is an output file being written. Write to it like an *os.File, then
// call Commit or Abort (which close it); do not Close it yourself. Abort may
// run concurrently with writes (AbortOnSignal does that).
type File struct {
	*os.File        // the temp file (or os.Stdout for "-")
	path     string // the target
	tmp      string // temp path; "" for stdout
	mu       sync.Mutex
	done     bool

	flushed, pending int64 // bytes handed to writeback, bytes written since
}

// writebackChunk is how much written data makes Write ask the kernel to
// start writing it out: the disk works while the rest is produced, and
// Commit's fsync finds little left to do.
const writebackChunk = 16 << 20

// Write writes p to the temp file (see writebackChunk).
func (f *File) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	if f.tmp != "" {
		f.pending += int64(n)
		if f.pending >= writebackChunk {
			startWriteback(f.File, f.flushed, f.pending)
			f.flushed += f.pending
			f.pending = 0
		}
	}
	return n, err
}

// Create starts writing path. The temp file gets the mode, and when this
// process may give it, the owner and group of the existing file at path;
// else 0644 (minus umask) and this process's owner.
func Create(path string) (*File, error) {
	if path == "-" {
		return &File{File: os.Stdout, path: path}, nil
	}
	if path == "" {
		return nil, errors.New("atomicfile: empty path")
	}
	mode := fs.FileMode(0o644)
	target := path
	// Follow a symlink so that the link stays and its target is replaced.
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		target = resolved
	}
	var existing fs.FileInfo
	if st, err := os.Stat(target); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("%s is a directory", path)
		}
		existing = st
		mode = st.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	tf, err := createTemp(dir, "."+base+".tmp-", "", mode)
	if err != nil {
		return nil, err
	}
	defer forgetScratch(tf.Name()) // tracked as a File from here on
	if existing != nil {
		// The original's owner, then exactly its mode (the umask may have
		// cleared bits, a chown may clear set-id bits).
		err := keepOwner(tf, existing)
		if err == nil {
			err = tf.Chmod(mode)
		}
		if err != nil {
			tf.Close()
			os.Remove(tf.Name())
			return nil, err
		}
	}
	f := &File{File: tf, path: target, tmp: tf.Name()}
	track(f)
	return f, nil
}

// createTemp creates a new file named PREFIX+RANDOM+SUFFIX in dir with mode
// (subject to the umask, like any new file). Its name is a scratch path
// before the file exists, so a signal during creation removes it too; it
// stays one until the caller forgets it.
func createTemp(dir, prefix, suffix string, mode fs.FileMode) (*os.File, error) {
	for i := 0; ; i++ {
		var b [6]byte
		rand.Read(b[:])
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:])+suffix)
		addScratch(name)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			forgetScratch(name)
		}
		if err == nil || !errors.Is(err, fs.ErrExist) || i > 100 {
			return f, err
		}
	}
}

// Path returns the target path ("-" for stdout).
func (f *File) Path() string { return f.path }

// TempPath returns the temp file's path, or "" for stdout.
func (f *File) TempPath() string { return f.tmp }

// Commit makes the written data the content of the target: fsync the temp
// file, rename it over the target, fsync the directory. For stdout it only
// syncs what can be synced. After Commit, Abort is a no-op.
func (f *File) Commit() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return errors.New("atomicfile: already committed or aborted")
	}
	f.done = true
	if f.tmp == "" {
		return nil
	}
	defer untrack(f)
	if err := f.File.Sync(); err != nil {
		f.File.Close()
		os.Remove(f.tmp)
		return err
	}
	if err := f.File.Close(); err != nil {
		os.Remove(f.tmp)
		return err
	}
	if err := os.Rename(f.tmp, f.path); err != nil {
		os.Remove(f.tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		// Some file systems refuse fsync on a directory; the rename is done.
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Abort discards the temp file; the target is untouched. It is safe to call
// more than once and after Commit (then it does nothing).
func (f *File) Abort() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return nil
	}
	f.done = true
	if f.tmp == "" {
		return nil
	}
	defer untrack(f)
	f.File.Close()
	return os.Remove(f.tmp)
}

// open files, so that AbortOnSignal can remove their temps.
var (
	openMu sync.Mutex
	open   = map[*File]struct{}{}
)

func track(f *File)   { openMu.Lock(); open[f] = struct{}{}; openMu.Unlock() }
func untrack(f *File) { openMu.Lock(); delete(open, f); openMu.Unlock() }

// AbortAll aborts every file created by Create that is neither committed nor
// aborted, and removes every scratch file still in use. AbortOnSignal calls
// it; tests may too.
func AbortAll() {
	openMu.Lock()
	files := make([]*File, 0, len(open))
	for f := range open {
		files = append(files, f)
	}
	paths := make([]string, 0, len(scratch))
	for p := range scratch {
		paths = append(paths, p)
	}
	openMu.Unlock()
	for _, f := range files {
		f.Abort()
	}
	for _, p := range paths {
		os.Remove(p)
	}
}

// scratch holds the paths AbortAll removes besides the tracked Files: the
// Scratch files not yet removed, and temp files being created.
var scratch = map[string]struct{}{}

func addScratch(p string)    { openMu.Lock(); scratch[p] = struct{}{}; openMu.Unlock() }
func forgetScratch(p string) { openMu.Lock(); delete(scratch, p); openMu.Unlock() }

// Scratch creates a new file in dir (os.TempDir() when empty) whose name is
// pattern with its last "*" replaced by a random string, for data a command
// needs only while it runs (a spooled copy of stdin). The path is known to
// AbortAll before the file exists, so a signal at any moment removes it;
// remove deletes it and forgets it.
func Scratch(dir, pattern string) (f *os.File, remove func(), err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	prefix, suffix := pattern, ""
	if i := strings.LastIndex(pattern, "*"); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	f, err = createTemp(dir, prefix, suffix, 0o600)
	if err != nil {
		return nil, nil, err
	}
	p := f.Name()
	return f, func() { os.Remove(p); forgetScratch(p) }, nil
}
