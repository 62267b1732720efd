// Package filter holds the key selection and rewriting rules of rdbtool:
// Redis glob patterns (Match, Glob), human sizes (ParseSize), natural sort
// (NaturalLess), entry filters for prune, persist and drop-expired (Prune,
// Persist, DropExpired, Chain), and the dump policy file with its checks
// (Policy, Checker).
//
//	f := filter.Chain{
//		&filter.Prune{Match: filter.NewGlobs([]string{"fpg:*"})},
//		&filter.Persist{},
//	}
//	for each entry e: if keep, err := f.Apply(e); keep { write e }
package filter
