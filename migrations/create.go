package migrations

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/rdbtool/rdbtool/internal/atomicfile"
)

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// Create writes a new migration dir/NNNNN_name.sql, numbered one past the
// highest version in dir, with empty up and down sections to fill in, and
// returns its path. name is reduced to lower-case letters, digits and
// underscores.
func Create(dir, name string) (string, error) {
	slug := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(name), "_"), "_")
	if slug == "" {
		return "", fmt.Errorf("migrations: create: name %q has no letters or digits", name)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("migrations: create: %w", err)
	}
	var max int64
	for _, e := range ents {
		if m := fileName.FindStringSubmatch(e.Name()); m != nil {
			if v, err := strconv.ParseInt(m[1], 10, 64); err == nil && v > max {
				max = v
			}
		}
	}
	p := filepath.Join(dir, fmt.Sprintf("%05d_%s.sql", max+1, slug))
	if _, err := os.Stat(p); err == nil {
		return "", fmt.Errorf("migrations: create: %s already exists", p)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("migrations: create: %w", err)
	}
	f, err := atomicfile.Create(p)
	if err != nil {
		return "", fmt.Errorf("migrations: create: %w", err)
	}
	fmt.Fprintf(f, `-- %s: say why this migration exists.
-- Each section runs in one transaction. An up statement that drops a table
-- or a column fails "rdbtool migrate lint" unless a comment on it says
-- %s.

-- +goose Up


-- +goose Down

`, slug, AllowDropMarker)
	if err := f.Commit(); err != nil {
		return "", fmt.Errorf("migrations: create: %w", err)
	}
	return p, nil
}
