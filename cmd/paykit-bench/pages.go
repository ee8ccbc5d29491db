package main

import (
	"database/sql"
	"fmt"
)

// walPages counts, on SQLite, the database pages one commit writes to the
// WAL, at one caller, for the baseline's transaction and for CreateToken and
// AcceptToken: the mean over k operations of each. A commit writes each page
// it changed as a frame of the WAL, with a write system call for the frame's
// header and one for the page, before the commit's fsync; a checkpoint later
// copies the pages into the database file. So the pages a transaction
// changes, more than its statements, are what it costs at one caller.
//
// After each operation a PASSIVE checkpoint, on a connection of its own,
// copies the WAL into the database and says how many frames the WAL holds;
// having been copied whole, the WAL starts over at the next commit, so each
// count is one operation's.
func walPages(t *target, k int) (base, create, accept float64) {
	count := func(path string, op func(i int) error) float64 {
		side, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
		check(err)
		defer side.Close()
		frames := func() int {
			var busy, log, done int
			check(side.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done))
			if busy != 0 || log != done {
				check(fmt.Errorf("walPages: the checkpoint copied %d of %d frames", done, log))
			}
			return log
		}
		frames()
		total := 0
		for i := range k {
			check(op(i))
			total += frames()
		}
		return float64(total) / float64(k)
	}

	path, op, done := openBaseline(t, "pages-baseline")
	base = count(path, op)
	done()

	b := newBench(t, "pages-service", k)
	defer b.close()
	createOp, acceptOp := b.tokenOps(k)
	return base, count(b.dsn, createOp), count(b.dsn, acceptOp)
}
