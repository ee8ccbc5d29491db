//go:build !race

package store_test

// mpRounds is how many rounds of work each of TestMultiProcess's 64 callers
// per process does: each round creates four tokens, a payout or two and four
// payment requests (see mpCaller).
const mpRounds = 2
