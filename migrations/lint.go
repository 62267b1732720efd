package migrations

import (
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// AllowDropMarker, in a comment on a statement of an up migration (on its
// lines, just above it, or after its semicolon), says that the table or
// column it drops is meant to go. Without it Lint rejects the statement.
const AllowDropMarker = "rdbtool:allow-drop"

// LintError is one problem Lint found.
type LintError struct {
	File string // file name as found in the linted file system
	Line int    // 1-based; 0 when about the whole file
	Msg  string
}

func (e LintError) String() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

var (
	fileName = regexp.MustCompile(`^(\d+)_[A-Za-z0-9_.-]+\.sql$`)
	drops    = []struct {
		re   *regexp.Regexp
		what string
	}{
		{regexp.MustCompile(`\bDROP\s+TABLE\b`), "DROP TABLE drops a table"},
		{regexp.MustCompile(`\bDROP\s+SCHEMA\b`), "DROP SCHEMA drops its tables"},
		{regexp.MustCompile(`\bDROP\s+COLUMN\b`), "DROP COLUMN drops a column"},
		{regexp.MustCompile(`\bALTER\s+TABLE\b[^;]*?\bDROP\b`), "ALTER TABLE ... DROP drops part of a table"},
	}
	annotation = regexp.MustCompile(`^\s*--\s*\+goose\s+(\S+)`)
)

// Lint checks the *.sql migrations at the root of fsys: names of the form
// NNNNN_name.sql with distinct versions, an Up and a non-empty Down section
// in each, and no up statement that drops a table or column unless marked
// with AllowDropMarker. It returns the problems sorted by file and line.
func Lint(fsys fs.FS) ([]LintError, error) {
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var out []LintError
	seen := map[int64]string{}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		name := e.Name()
		m := fileName.FindStringSubmatch(name)
		if m == nil {
			out = append(out, LintError{File: name, Msg: "name must be NNNNN_description.sql (a version number, an underscore, a name)"})
		} else if v, err := strconv.ParseInt(m[1], 10, 64); err != nil || v < 1 {
			out = append(out, LintError{File: name, Msg: "version must be a number from 1"})
		} else if prev, ok := seen[v]; ok {
			out = append(out, LintError{File: name, Msg: fmt.Sprintf("version %d is also used by %s", v, prev)})
		} else {
			seen[v] = name
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, LintFile(name, src)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, nil
}

// LintFile checks one migration's text (see Lint); name is used in messages.
func LintFile(name string, src []byte) []LintError {
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	section := make([]string, len(lines)) // "up", "down" or "" per line
	inBlock := make([]bool, len(lines))   // inside StatementBegin/End
	var out []LintError
	cur, block, upAt, downAt := "", false, 0, 0
	for i, l := range lines {
		if m := annotation.FindStringSubmatch(l); m != nil {
			switch strings.ToLower(m[1]) {
			case "up":
				if upAt != 0 {
					out = append(out, LintError{name, i + 1, "second -- +goose Up"})
				}
				cur, upAt = "up", i+1
			case "down":
				if downAt != 0 {
					out = append(out, LintError{name, i + 1, "second -- +goose Down"})
				}
				cur, downAt = "down", i+1
			case "statementbegin":
				block = true
			case "statementend":
				block = false
			}
			continue
		}
		section[i], inBlock[i] = cur, block
	}
	if upAt == 0 {
		return append(out, LintError{name, 0, "no -- +goose Up section"})
	}
	if downAt == 0 {
		out = append(out, LintError{name, 0, "no -- +goose Down section: every up needs a down"})
	} else if len(statements(lines, section, inBlock, "down")) == 0 {
		out = append(out, LintError{name, downAt, "the Down section has no statement: every up needs a down"})
	}
	for _, st := range statements(lines, section, inBlock, "up") {
		if st.marked {
			continue
		}
		for _, d := range drops {
			if loc := d.re.FindStringIndex(st.code); loc != nil {
				line := st.line + strings.Count(st.code[:loc[0]], "\n")
				out = append(out, LintError{name, line, fmt.Sprintf(
					"up migration: %s; if that is intended, add the comment -- %s to the statement", d.what, AllowDropMarker)})
				break
			}
		}
	}
	return out
}

type statement struct {
	code   string // upper-cased, comments and literals blanked, newlines kept
	line   int    // line of code[0]
	marked bool   // carries AllowDropMarker
}

// statements splits the lines of one section into statements: at each ;
// outside comments, literals and StatementBegin/End blocks, and at the end
// of each block. A comment belongs to the statement it is in or precedes,
// except one after a ; on the same line, which belongs to the statement that
// ; ends.
func statements(lines, section []string, inBlock []bool, want string) []statement {
	var out []statement
	var b strings.Builder
	start, hasCode, marked := -1, false, false
	flush := func() {
		if hasCode {
			out = append(out, statement{code: strings.ToUpper(b.String()), line: start + 1, marked: marked})
		}
		b.Reset()
		start, hasCode, marked = -1, false, false
	}
	var (
		inStr     byte   // quote char while in a literal
		dollarTag string // while in a $tag$ literal
		inComment int    // /* */ nesting depth
	)
	prevBlock := false
	for i, l := range lines {
		if section[i] != want {
			if prevBlock {
				flush()
			}
			prevBlock = false
			continue
		}
		if prevBlock && !inBlock[i] {
			flush()
		}
		prevBlock = inBlock[i]
		endedHere := -1 // index into out of a statement ended on this line
		for j := 0; j < len(l); j++ {
			c := l[j]
			switch {
			case inComment > 0:
				if strings.HasPrefix(l[j:], "*/") {
					inComment--
					j++
				} else if strings.HasPrefix(l[j:], "/*") {
					inComment++
					j++
				}
				if strings.Contains(l, AllowDropMarker) {
					marked = true
				}
				continue
			case dollarTag != "":
				if strings.HasPrefix(l[j:], dollarTag) {
					j += len(dollarTag) - 1
					dollarTag = ""
				}
				b.WriteByte(' ')
				continue
			case inStr != 0:
				if c == inStr {
					inStr = 0
				}
				b.WriteByte(' ')
				continue
			}
			switch {
			case strings.HasPrefix(l[j:], "--"):
				if strings.Contains(l[j:], AllowDropMarker) {
					if endedHere >= 0 && !hasCode {
						out[endedHere].marked = true
					} else {
						marked = true
					}
				}
				j = len(l)
			case strings.HasPrefix(l[j:], "/*"):
				inComment++
				j++
				if strings.Contains(l[j:], AllowDropMarker) {
					marked = true
				}
			case c == '\'' || c == '"':
				inStr = c
				b.WriteByte(' ')
			case c == '$':
				if m := dollarOpen.FindString(l[j:]); m != "" {
					dollarTag = m
					j += len(m) - 1
					b.WriteByte(' ')
				} else {
					b.WriteByte(c)
				}
			case c == ';' && !inBlock[i]:
				flush()
				endedHere = len(out) - 1
			default:
				if c != ' ' && c != '\t' {
					if !hasCode {
						start = i
					}
					hasCode = true
				}
				if hasCode {
					b.WriteByte(c)
				}
			}
		}
		if hasCode {
			b.WriteByte('\n')
		}
	}
	flush()
	return out
}

var dollarOpen = regexp.MustCompile(`^\$[A-Za-z_]*\$`)
