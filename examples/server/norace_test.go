//go:build !race

package main

// raceEnabled reports whether the tests run under the race detector, which the
// largest tests skip.
const raceEnabled = false
