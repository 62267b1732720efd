// Package filter holds the key selection and rewriting rules of rdbtool:
// Redis glob patterns (Match, Glob), human sizes (ParseSize), natural sort
// (NaturalLess), entry filters for prune, persist and drop-expired (Prune,
// Persist, DropExpired, Chain), and the dump policy file with its checks
// (Policy, Checker), and Rewrite, the one streaming pass from an RDB input
// to an RDB output through those filters (and RDB version conversion).
//
//	f := filter.Chain{
//		&filter.Prune{Select: filter.Select{Match: filter.NewGlobs([]string{"fpg:*"})}},
//		&filter.Persist{NowMs: time.Now().UnixMilli()},
//	}
//	stats, err := filter.Rewrite(in, out, f, filter.RewriteOptions{})
package filter
