package store

// RetriesOf returns how often InTx ran a function again on d (PostgreSQL; see
// postgres.go): TestMultiProcess reports it. A function, not a method of DB,
// whose methods are the Store's reads (TestDB_WritesOnlyInTx).
func RetriesOf(d *DB) uint64 { return d.retries.Load() }
