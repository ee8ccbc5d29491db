package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/paykit/paykit"
)

// How the two databases' errors map to the Store contract's codes.

// PostgreSQL's SQLSTATEs that the Store tells apart
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	pgUniqueViolation      = "23505"
	pgCheckViolation       = "23514"
	pgForeignKeyViolation  = "23503"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// sqliteCode returns the extended result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// pgCode returns the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func isBusy(err error) bool {
	return sqliteCode(err)&0xff == sqlite3.SQLITE_BUSY
}

// isUnique says whether err is a unique or primary key violation.
func isUnique(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return pgCode(err) == pgUniqueViolation
}

// isCheck says whether err is a CHECK constraint's violation.
func isCheck(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_CHECK || pgCode(err) == pgCheckViolation
}

// retryable says whether err ended a PostgreSQL transaction that may succeed
// when run again: a serialization failure or a deadlock, which PostgreSQL
// resolves by failing one of the transactions involved.
func retryable(err error) bool {
	switch pgCode(err) {
	case pgSerializationFailure, pgDeadlockDetected:
		return true
	}
	return false
}

// abortsTx says whether err may have ended the transaction it happened in.
func abortsTx(err error) bool {
	if pgCode(err) != "" {
		return true // PostgreSQL aborts a transaction at its first error
	}
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_INTERRUPT:
		return true
	}
	return false
}

// unavailable maps the database's failures of resources to EUNAVAILABLE
// (keeping err in the chain): on SQLite a file it cannot open (no descriptor
// left), memory, disk space, or a lock another process held past the busy
// timeout; on PostgreSQL a server out of connections, memory or disk, or
// shutting down, or a connection that could not be made. A client told to
// retry later may then succeed; these are not bugs to answer with a 500.
func unavailable(err error) error {
	if err == nil || !resource(err) {
		return err
	}
	var pe *paykit.Error
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%w: %w", paykit.Errorf(paykit.EUNAVAILABLE, "The database is out of a resource or busy: retry later."), err)
}

func resource(err error) bool {
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY:
		return true
	}
	if code := pgCode(err); code != "" {
		// Class 08 connection exception, 53 insufficient resources, 57P
		// operator intervention (a shutdown, a crash), 55P03 a lock not available.
		return code[:2] == "08" || code[:2] == "53" || code[:3] == "57P" || code == "55P03"
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}

// conflict maps a unique or primary key violation to an ECONFLICT with msg, and
// wraps any other error with what.
func conflict(err error, msg, what string) error {
	if isUnique(err) {
		return paykit.Errorf(paykit.ECONFLICT, "%s", msg)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// insufficient maps the accounts CHECK constraint (a guarded account's
// available balance below zero) to ECONFLICT, and a unique clash to ECONFLICT
// with msg.
func insufficient(err error, msg, what string) error {
	if isCheck(err) {
		return paykit.Errorf(paykit.ECONFLICT, "Insufficient funds.")
	}
	return conflict(err, msg, what)
}

// foreignKey maps a foreign key violation (a row still referenced) to an
// ECONFLICT with msg, and any other error as conflict does.
func foreignKey(err error, msg, what string) error {
	if sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY || pgCode(err) == pgForeignKeyViolation {
		return paykit.Errorf(paykit.ECONFLICT, "%s", msg)
	}
	return conflict(err, msg, what)
}

// notFound maps sql.ErrNoRows to an ENOTFOUND with msg, and wraps any other
// error with what.
func notFound(err error, msg, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return paykit.Errorf(paykit.ENOTFOUND, "%s", msg)
	}
	return fmt.Errorf("%s: %w", what, err)
}
