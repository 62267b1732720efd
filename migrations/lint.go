package migrations

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// AllowDropMarker, in a comment on a statement of an up migration (on its
// lines, just above it, or after its semicolon), says that the table or
// column it drops is meant to go. Without it Lint rejects the statement.
// In a statement whose quoted bodies Lint reads (a DO block, a function or
// procedure, anything mentioning EXECUTE) the marker may also be inside the
// body, for instance in a PL/pgSQL -- comment.
const AllowDropMarker = "rdbtool:allow-drop"

// LintError is one problem Lint found.
type LintError struct {
	File string // file name as found in the linted file system
	Line int    // 1-based; 0 when about the whole file
	Msg  string // what is wrong and how to fix it
}

// String is "file:line: msg", or "file: msg" for a whole-file problem.
func (e LintError) String() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

var (
	fileName = regexp.MustCompile(`^(\d+)_[A-Za-z0-9_.-]+\.sql$`)
	// drops are tried in order on upper-cased text; the first match is
	// reported. A %s in what is replaced by the pattern's first group.
	drops = []struct {
		re   *regexp.Regexp
		what string
	}{
		{regexp.MustCompile(`\bDROP\s+TABLE\b`), "DROP TABLE drops a table"},
		{regexp.MustCompile(`\bDROP\s+SCHEMA\b`), "DROP SCHEMA drops its tables"},
		{regexp.MustCompile(`\bDROP\s+COLUMN\b`), "DROP COLUMN drops a column"},
		{regexp.MustCompile(`\bALTER\s+TABLE\b[^;]*?\bDROP\b`), "ALTER TABLE ... DROP drops part of a table"},
		{regexp.MustCompile(`\bDROP\s+FOREIGN\s+TABLE\b`), "DROP FOREIGN TABLE drops a foreign table"},
		{regexp.MustCompile(`\bDROP\s+MATERIALIZED\s+VIEW\b`), "DROP MATERIALIZED VIEW drops a materialized view and the rows it stores"},
		{regexp.MustCompile(`\bDROP\s+OWNED\b`), "DROP OWNED drops every table (and other object) the role owns"},
		{regexp.MustCompile(`\bDROP\s+((?:MATERIALIZED\s+|FOREIGN\s+(?:DATA\s+)?|EVENT\s+|ACCESS\s+|TEXT\s+SEARCH\s+|USER\s+)?\w+)\b[^;]*?\bCASCADE\b`),
			"DROP %s ... CASCADE also drops what depends on it (columns of a type or domain, tables and columns using an extension's types, views)"},
	}
	// Statements whose literals are code that runs (or may run) in the
	// migration: their quoted bodies are checked for drops too.
	runsBody = regexp.MustCompile(`^\s*(?:DO|CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE))\b`)
	execute  = regexp.MustCompile(`\bEXECUTE\b`) // in the code or in a body
	// 'DROP ' || 'TABLE x' inside a body: the joint is read as a space.
	concat     = regexp.MustCompile(`'\s*\|\|\s*'`)
	annotation = regexp.MustCompile(`^\s*--\s*\+goose\s+(\S+)`)
)

// Lint checks the *.sql migrations at the root of fsys: names of the form
// NNNNN_name.sql with distinct versions, an Up and a non-empty Down section
// in each, and no up statement that drops a table or column unless marked
// with AllowDropMarker. It returns the problems sorted by file and line.
//
// Flagged in up statements: DROP TABLE, DROP SCHEMA, DROP COLUMN, ALTER
// TABLE ... DROP, DROP FOREIGN TABLE, DROP MATERIALIZED VIEW, DROP OWNED and
// any DROP ... CASCADE; and any of these written inside a string or
// dollar-quoted body of a DO block, a CREATE FUNCTION or PROCEDURE, or a
// statement that mentions EXECUTE (dynamic SQL). Comments, and literals of
// other statements, are not read. Drops assembled at run time from pieces
// other than adjacent literals ('DROP ' || 'TABLE x' is caught), or made by
// calling a function the migrations do not create, are not seen.
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

// splitSections splits a migration's text into lines and says, per line,
// which section it is in ("up", "down", or "" before the first and on the
// annotation lines themselves) and whether it is inside a
// StatementBegin/End block; ups and downs are the (1-based) lines of the
// Up and Down annotations.
func splitSections(src []byte) (lines, section []string, inBlock []bool, ups, downs []int) {
	lines = strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	section = make([]string, len(lines))
	inBlock = make([]bool, len(lines))
	cur, block := "", false
	for i, l := range lines {
		if m := annotation.FindStringSubmatch(l); m != nil {
			switch strings.ToLower(m[1]) {
			case "up":
				cur, ups = "up", append(ups, i+1)
			case "down":
				cur, downs = "down", append(downs, i+1)
			case "statementbegin":
				block = true
			case "statementend":
				block = false
			}
			continue
		}
		section[i], inBlock[i] = cur, block
	}
	return lines, section, inBlock, ups, downs
}

// LintFile checks one migration's text (see Lint); name is used in messages.
func LintFile(name string, src []byte) []LintError {
	lines, section, inBlock, upLines, downLines := splitSections(src)
	var out []LintError
	upAt, downAt := 0, 0
	for i, at := range upLines {
		if i > 0 {
			out = append(out, LintError{name, at, "second -- +goose Up"})
		}
		upAt = at
	}
	for i, at := range downLines {
		if i > 0 {
			out = append(out, LintError{name, at, "second -- +goose Down"})
		}
		downAt = at
	}
	slices.SortStableFunc(out, func(a, b LintError) int { return a.Line - b.Line })
	if upAt == 0 {
		return append(out, LintError{name, 0, "no -- +goose Up section"})
	}
	if downAt == 0 {
		out = append(out, LintError{name, 0, "no -- +goose Down section: every up needs a down"})
	} else if len(statements(lines, section, inBlock, "down")) == 0 {
		out = append(out, LintError{name, downAt, "the Down section has no statement: every up needs a down"})
	}
	ups := statements(lines, section, inBlock, "up")
	if len(ups) == 0 {
		out = append(out, LintError{name, upAt, "the Up section has no statement: the version would be recorded as applied doing nothing"})
	}
	for _, st := range ups {
		if st.marked {
			continue
		}
		where, text := "", st.code
		line, what := findDrop(text)
		if line < 0 && readsBody(st) {
			if strings.Contains(st.lits, strings.ToUpper(AllowDropMarker)) {
				continue
			}
			where, text = " (in a quoted body: DO block, function or EXECUTE string, which runs as SQL)", blankConcat(st.lits)
			line, what = findDrop(text)
		}
		if line >= 0 {
			out = append(out, LintError{name, st.line + line, fmt.Sprintf(
				"up migration: %s%s; if that is intended, add the comment -- %s to the statement", what, where, AllowDropMarker)})
		}
	}
	return out
}

// findDrop returns the line offset in text of the first drop it finds and
// what that drop does, or -1.
func findDrop(text string) (int, string) {
	for _, d := range drops {
		if m := d.re.FindStringSubmatchIndex(text); m != nil {
			what := d.what
			if strings.Contains(what, "%s") {
				what = fmt.Sprintf(what, strings.Join(strings.Fields(text[m[2]:m[3]]), " "))
			}
			return strings.Count(text[:m[0]], "\n"), what
		}
	}
	return -1, ""
}

// readsBody says whether the literals of st are code to check for drops.
func readsBody(st statement) bool {
	return runsBody.MatchString(st.code) || execute.MatchString(st.code) || execute.MatchString(st.lits)
}

// blankConcat turns each '...' || '...' joint in s into spaces, keeping
// offsets and newlines.
func blankConcat(s string) string {
	return concat.ReplaceAllStringFunc(s, func(j string) string {
		return strings.Map(func(r rune) rune {
			if r == '\n' {
				return r
			}
			return ' '
		}, j)
	})
}

type statement struct {
	code   string // upper-cased, comments and literals blanked, newlines kept
	lits   string // code's complement: the text of the '' and $$ literals, upper-cased, at the same offsets
	line   int    // line of code[0] and lits[0]
	marked bool   // carries AllowDropMarker in a comment
}

// statements splits the lines of one section into statements: at each ;
// outside comments, literals and StatementBegin/End blocks, and at the end
// of each block. A comment belongs to the statement it is in or precedes,
// except one after a ; on the same line, which belongs to the statement that
// ; ends.
func statements(lines, section []string, inBlock []bool, want string) []statement {
	var out []statement
	var b, lit strings.Builder // code and lits, written byte for byte in step
	start, hasCode, marked := -1, false, false
	flush := func() {
		if hasCode {
			out = append(out, statement{code: strings.ToUpper(b.String()), lits: strings.ToUpper(lit.String()),
				line: start + 1, marked: marked})
		}
		b.Reset()
		lit.Reset()
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
					lit.WriteByte(' ')
				} else {
					lit.WriteByte(c)
				}
				b.WriteByte(' ')
				continue
			case inStr != 0:
				if c == inStr {
					inStr = 0
					lit.WriteByte(' ')
				} else if inStr == '"' { // an identifier, not code
					lit.WriteByte(' ')
				} else {
					lit.WriteByte(c)
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
				lit.WriteByte(' ')
			case c == '$':
				if m := dollarOpen.FindString(l[j:]); m != "" {
					dollarTag = m
					j += len(m) - 1
					b.WriteByte(' ')
					lit.WriteByte(' ')
				} else {
					b.WriteByte(c)
					lit.WriteByte(' ')
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
					if c == ';' { // in a block: keeps ALTER TABLE ... DROP to one statement
						lit.WriteByte(c)
					} else {
						lit.WriteByte(' ')
					}
				}
			}
		}
		if hasCode {
			b.WriteByte('\n')
			lit.WriteByte('\n')
		}
	}
	flush()
	return out
}

var dollarOpen = regexp.MustCompile(`^\$[A-Za-z_]*\$`)
