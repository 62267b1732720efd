//go:build race

package rdb

// raceEnabled: the race detector is on, and sync.Pool drops a random
// share of what is put back, so allocation counts do not hold.
const raceEnabled = true
