//go:build race

package store_test

// Under the race detector every operation costs several times as much, so
// TestMultiProcess gives each of its 64 callers fewer rounds.
const mpRounds = 1
