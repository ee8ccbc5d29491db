package store

import (
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
)

// The Store's statements are written once, in the SQL that SQLite and
// PostgreSQL share: ? placeholders, INTEGER microseconds and minor units, TEXT,
// ON CONFLICT, RETURNING, row values. What differs is said here, in one
// place, and applied as a statement is run:
//
//   - PostgreSQL numbers its placeholders ($1, $2, ...).
//   - PostgreSQL has no INTEGER-typed booleans: a bool argument is sent as 0 or 1,
//     as SQLite stores it.
//   - A read inside a PostgreSQL write transaction locks the rows it returns
//     (SELECT ... FOR UPDATE), so that a read-check-write of a row waits for
//     any other transaction writing that row and then sees what it committed,
//     as SQLite's single writer guarantees for every row. Reads that compute
//     (COUNT, SUM, GROUP BY) cannot lock and do not.
//   - A claim reads its rows with SKIP LOCKED on PostgreSQL (skipLocked), so
//     that several processes claiming work each take different rows instead of
//     queueing behind one another. SQLite's single writer needs no such clause.

// dialect is how a DB's database spells what differs.
type dialect struct {
	postgres bool
	// sql caches each statement's PostgreSQL text, by its text and whether it
	// locks: statements are constants, so the cache stays small.
	sql sync.Map // stmtKey → string
}

type stmtKey struct {
	query string
	lock  bool
}

// statement returns query as d's database runs it, locking its rows when lock
// is set and the statement can lock (see lockable).
func (d *dialect) statement(query string, lock bool) string {
	if !d.postgres {
		return query
	}
	k := stmtKey{query, lock}
	if s, ok := d.sql.Load(k); ok {
		return s.(string)
	}
	s := sqlx.Rebind(sqlx.DOLLAR, query)
	if lock && lockable(query) {
		s += " FOR UPDATE"
	}
	d.sql.Store(k, s)
	return s
}

// args returns args as d's database takes them: on PostgreSQL, a bool as the
// 0 or 1 of an INTEGER column.
func (d *dialect) args(args []any) []any {
	if !d.postgres {
		return args
	}
	var out []any
	for i, a := range args {
		if b, ok := a.(bool); ok {
			if out == nil {
				out = append([]any(nil), args...)
			}
			out[i] = boolInt(b)
		}
	}
	if out == nil {
		return args
	}
	return out
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// skipLocked is the clause that ends the row-reading SELECT of a claim: on
// PostgreSQL the rows another transaction holds are passed over, on SQLite,
// whose single writer holds them all, nothing.
func (d *dialect) skipLocked() string {
	if d.postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// jsonStringMember returns the condition that col, JSON text, has a string
// member key whose value is value, and its arguments: a number does not match
// its string form.
func (d *dialect) jsonStringMember(col, key, value string) (string, []any) {
	if d.postgres {
		return `(CASE WHEN ` + col + ` <> '' THEN jsonb_typeof(` + col + `::jsonb -> ?) = 'string'
			AND ` + col + `::jsonb ->> ? = ? ELSE FALSE END)`, []any{key, key, value}
	}
	// The key is a JSON path member, quoted.
	path := `$."` + key + `"`
	return "json_type(" + col + ", ?) = 'text' AND json_extract(" + col + ", ?) = ?", []any{path, path, value}
}

// lockable says whether a SELECT may end with FOR UPDATE: it reads rows of
// tables, rather than computing over them, and says nothing of locks itself.
func lockable(query string) bool {
	q := strings.ToUpper(strings.TrimSpace(query))
	if !strings.HasPrefix(q, "SELECT") || strings.Contains(q, " FOR UPDATE") {
		return false
	}
	for _, s := range []string{"COUNT(", "SUM(", "MIN(", "MAX(", "GROUP BY", "UNION", "DISTINCT", " OVER ("} {
		if strings.Contains(q, s) {
			return false
		}
	}
	return true
}
