package store

import (
	"strings"

	"github.com/paykit/paykit"
)

// query builds the WHERE clause of a list: conditions joined by AND, with
// their arguments in order. Every Find* with a filter uses it; list adds the
// page of a newest-first list.
type query struct {
	where []string
	args  []any
}

// newQuery returns a query with one condition, usually the tenant's.
func newQuery(cond string, args ...any) *query {
	q := &query{}
	q.add(cond, args...)
	return q
}

// add appends the condition cond with its arguments.
func (q *query) add(cond string, args ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
}

// timeFilter adds the conditions of f on column col.
func (q *query) timeFilter(col string, f paykit.TimeFilter) {
	if f.Null != nil {
		if *f.Null {
			q.add(col + " IS NULL")
		} else {
			q.add(col + " IS NOT NULL")
		}
	}
	if f.After != nil {
		q.add(col+" >= ?", micros(*f.After))
	}
	if f.Before != nil {
		q.add(col+" <= ?", micros(*f.Before))
	}
}

// search adds a case-insensitive substring match of s (see fold.go) on any of
// cols, columns of search text (searchText). A search with a newline, which
// joins a search text's fields, matches nothing rather than across two
// fields.
func (q *query) search(s *string, cols ...string) {
	if s == nil || *s == "" {
		return
	}
	if strings.Contains(*s, "\n") {
		q.add("1 = 0")
		return
	}
	pat := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(fold(*s)) + "%"
	conds := make([]string, len(cols))
	for i, c := range cols {
		conds[i] = c + ` LIKE ? ESCAPE '\'`
		q.args = append(q.args, pat)
	}
	q.where = append(q.where, "("+strings.Join(conds, " OR ")+")")
}

// clause returns the conditions joined by AND, or "1 = 1" for none.
func (q *query) clause() string {
	if len(q.where) == 0 {
		return "1 = 1"
	}
	return strings.Join(q.where, " AND ")
}
