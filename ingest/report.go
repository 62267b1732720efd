package ingest

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what one pass did: rows written per table, records skipped (with
// the Redis key, the field and the reason), and how each group ended.
type Report struct {
	Start    time.Time     `json:"start"`       // when the pass began (Options.Now)
	Duration time.Duration `json:"duration_ns"` // the whole pass; nanoseconds in JSON
	Tables   []TableCount  `json:"tables"`      // per table, in the order first written
	Skipped  []Skip        `json:"skipped"`     // every record or column not used, with why
	Groups   []GroupResult `json:"groups"`      // one per selected group

	index map[string]int
}

// TableCount is the number of rows a pass inserted (or, for upserts and
// correlator_file_eod, changed) in one table.
type TableCount struct {
	Table string `json:"table"` // PostgreSQL table name
	Rows  int64  `json:"rows"`  // rows inserted or changed
}

// Skip is one record (or one column of a record) the pass could not use.
// Action is "skipped" (no row) or "null" (the row was written with that column
// NULL).
type Skip struct {
	Group  string `json:"group"`           // the group that read the record
	Table  string `json:"table"`           // the table it was meant for
	Key    string `json:"key"`             // the Redis key
	Field  string `json:"field,omitempty"` // the hash field, when one field is at fault
	Action string `json:"action"`          // "skipped" or "null"
	Reason string `json:"reason"`          // what was wrong, e.g. the parse error
}

// GroupResult is the outcome of one table group: "good", "errored" with
// the error (the group's transaction was rolled back), or StatusNotRun.
type GroupResult struct {
	Name     string        `json:"name"`            // Group.Name
	Daemon   string        `json:"daemon"`          // Group.Daemon
	Status   string        `json:"status"`          // "good", "errored" or StatusNotRun
	Error    string        `json:"error,omitempty"` // why it errored or was not run
	Duration time.Duration `json:"duration_ns"`     // reading and writing; nanoseconds in JSON
	// WriteTime is the part of Duration spent in the group's transactions.
	WriteTime time.Duration `json:"write_ns"`
}

func (r *Report) add(table string, n int64) {
	if r.index == nil {
		r.index = map[string]int{}
	}
	i, ok := r.index[table]
	if !ok {
		i = len(r.Tables)
		r.index[table] = i
		r.Tables = append(r.Tables, TableCount{Table: table})
	}
	r.Tables[i].Rows += n
}

// Rows returns the rows written to table in this pass.
func (r *Report) Rows(table string) int64 {
	for _, t := range r.Tables {
		if t.Table == table {
			return t.Rows
		}
	}
	return 0
}

// Total is the number of rows written to all tables.
func (r *Report) Total() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// Failed lists the groups that errored.
func (r *Report) Failed() []GroupResult {
	var out []GroupResult
	for _, g := range r.Groups {
		if g.Status != statusGood {
			out = append(out, g)
		}
	}
	return out
}

// SkippedKeys returns the distinct keys with a skip of the given action
// ("" for any), sorted.
func (r *Report) SkippedKeys(action string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range r.Skipped {
		if (action == "" || s.Action == action) && !seen[s.Key] {
			seen[s.Key] = true
			out = append(out, s.Key)
		}
	}
	sort.Strings(out)
	return out
}

// WriteText prints the report as aligned tables for people.
func (r *Report) WriteText(w io.Writer) error { return r.WriteTextAfter(w, nil) }

// WriteTextAfter prints the report as WriteText does, except that the
// skipped records prev (the previous pass's report) also had, the same in
// every field, are counted instead of listed: a loop that meets the same
// bad records every minute lists each once, and again only when it comes
// back or its reason changes. A nil prev lists every one.
func (r *Report) WriteTextAfter(w io.Writer, prev *Report) error {
	var before map[Skip]bool
	if prev != nil {
		before = make(map[Skip]bool, len(prev.Skipped))
		for _, s := range prev.Skipped {
			before[s] = true
		}
	}
	var fresh []Skip
	for _, s := range r.Skipped {
		if !before[s] {
			fresh = append(fresh, s)
		}
	}
	same := len(r.Skipped) - len(fresh)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "pass at %s (%s)\n", r.Start.UTC().Format(time.RFC3339), r.Duration.Round(time.Millisecond))
	fmt.Fprintln(tw, "TABLE\tROWS")
	for _, t := range r.Tables {
		fmt.Fprintf(tw, "%s\t%d\n", t.Table, t.Rows)
	}
	fmt.Fprintf(tw, "total\t%d\n", r.Total())
	if f := r.Failed(); len(f) > 0 {
		fmt.Fprintln(tw, "\nGROUP\tSTATUS\tERROR")
		for _, g := range f {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Name, g.Status, oneLine(g.Error))
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(tw, "\n%d skipped", len(r.Skipped))
		if same > 0 {
			fmt.Fprintf(tw, " (%d as in the previous pass, not listed again)", same)
		}
		if len(fresh) > 0 {
			fmt.Fprint(tw, ":")
		}
		fmt.Fprintln(tw)
	}
	if len(fresh) > 0 {
		fmt.Fprintln(tw, "TABLE\tKEY\tFIELD\tACTION\tREASON")
		for _, s := range fresh {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Table, s.Key, s.Field, s.Action, oneLine(s.Reason))
		}
	}
	return tw.Flush()
}

// WriteJSON prints the report as one JSON object on one line.
// Tables, Skipped and Groups are arrays there even when empty (never
// null), so that `jq '.skipped[]'` works on a clean pass.
func (r *Report) WriteJSON(w io.Writer) error {
	c := *r
	c.Tables = nonNil(c.Tables)
	c.Skipped = nonNil(c.Skipped)
	c.Groups = nonNil(c.Groups)
	b, err := json.Marshal(&c)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
