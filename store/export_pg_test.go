package store

// Retries returns how often InTx ran a function again on PostgreSQL (see
// postgres.go): TestMultiProcess reports it.
func (d *DB) Retries() uint64 { return d.retries.Load() }
