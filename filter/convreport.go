package filter

import (
	"errors"

	"github.com/rdbtool/rdbtool/rdb"
)

// ConversionReport is what fitting entries to an RDB version
// (rdb.Conversion) dropped and refused. Rewrite and export's import each
// fill one, so both report the same things the same way.
//
// The json tags are the field names of the --json reports of rdbtool
// rewrite and import.
type ConversionReport struct {
	Warnings        []string `json:"warnings"`         // data dropped by conversion, at most MaxWarnings
	WarningsOmitted int      `json:"warnings_omitted"` // warnings past MaxWarnings
	Unconvertible   []KeyRef `json:"unconvertible"`    // keys the version cannot express
	Converted       int      `json:"converted"`        // entries re-encoded as another type
	MaxWarnings     int      `json:"-"`                // bound on Warnings (0: 1000)
}

// Warn records one warning, or counts it past MaxWarnings.
func (r *ConversionReport) Warn(s string) {
	limit := r.MaxWarnings
	if limit <= 0 {
		limit = 1000
	}
	if len(r.Warnings) < limit {
		r.Warnings = append(r.Warnings, s)
	} else {
		r.WarningsOmitted++
	}
}

// Fit fits e to conv's version. keep is false when the version cannot
// express e: the key is listed in Unconvertible and the reason warned.
// The error is any other failure.
func (r *ConversionReport) Fit(conv *rdb.Conversion, e *rdb.Entry) (keep bool, err error) {
	typ := e.Type
	ws, err := conv.Entry(e)
	if err != nil {
		if !errors.Is(err, rdb.ErrUnconvertible) {
			return false, err
		}
		r.Unconvertible = append(r.Unconvertible, KeyRef{DB: e.DB, Key: append([]byte(nil), e.Key...)})
		r.Warn(err.Error())
		return false, nil
	}
	if e.Type != typ {
		r.Converted++
	}
	for _, w := range ws {
		r.Warn(w)
	}
	return true, nil
}

// Finish adds the warnings conv keeps for the end (records it dropped).
func (r *ConversionReport) Finish(conv *rdb.Conversion) {
	for _, s := range conv.Warnings() {
		r.Warn(s)
	}
}
