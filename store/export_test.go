package store

import "database/sql"

// QueueLen returns how many InTx calls wait for a leader to take them.
func (d *DB) QueueLen() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queue)
}

// Batches returns how many write transactions d has run.
func (d *DB) Batches() uint64 { return d.batches.Load() }

// PoolStats returns the statistics of the read pool and the stream pool.
func (d *DB) PoolStats() (reader, streams sql.DBStats) { return d.reader.Stats(), d.streams.Stats() }
