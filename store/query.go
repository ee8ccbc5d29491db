package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/paykit/paykit"
)

// statement is a query of the Store with its arguments, as a list builds it
// (and as plans_test.go reads its plan).
type statement struct {
	query string
	args  []any
}

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

// cut removes the condition cond, if q has it, and returns its one argument.
// A condition's arguments are its placeholders', in order.
func (q *query) cut(cond string) (any, bool) {
	n := 0
	for i, w := range q.where {
		if w == cond && strings.Count(w, "?") == 1 {
			arg := q.args[n]
			q.where = append(q.where[:i:i], q.where[i+1:]...)
			q.args = append(q.args[:n:n], q.args[n+1:]...)
			return arg, true
		}
		n += strings.Count(w, "?")
	}
	return nil, false
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

// listSpec is a list ordered newest first, by created and then uid (every
// list index ends in those two columns), that says how many rows it selects
// in all. Its page reads one table, in the order of one of its indexes: a
// column that another table holds is a scalar subquery of the columns, which
// SQLite evaluates for the page's rows only, not for the rows an offset
// skips (see payoutColumns).
type listSpec struct {
	columns      string // what a page selects
	from         string // the table, and its alias
	created, uid string
	// counted names the list's row in list_counts (041_lists.sql), which
	// counts the tenant's rows without a filter.
	counted string
}

// list reads the count and the page p of the rows l selects with q, in one
// snapshot. Rows selected Before a cursor are read oldest first and
// reversed, so the page still reads newest first; so are the rows of an
// offset past the middle (see page).
func list[R any](ctx context.Context, t *view, l listSpec, q *query, p paykit.ListPage) ([]R, int, error) {
	var rows []R
	var n int
	err := t.readTx(ctx, func(t *view) error {
		count := l.count(q)
		if err := t.get(ctx, &n, count.query, count.args...); err != nil {
			return err
		}
		page, reverse := l.page(q, p, n)
		if page.query == "" {
			return nil
		}
		if err := t.selectAll(ctx, &rows, page.query, page.args...); err != nil {
			return err
		}
		if reverse {
			slices.Reverse(rows)
		}
		return nil
	})
	return rows, n, err
}

// count returns the statement that counts the rows q selects: from
// list_counts when the list has a count there and q selects every row of a
// tenant (its one condition is the tenant's, "tenant_id = ?").
func (l *listSpec) count(q *query) statement {
	if l.counted != "" && len(q.where) == 1 {
		return statement{`SELECT COALESCE(SUM(n), 0) FROM list_counts WHERE tenant_id = ? AND list = ?`,
			[]any{q.args[0], l.counted}}
	}
	return statement{`SELECT COUNT(*) FROM ` + l.from + ` WHERE ` + q.clause(), q.args}
}

// page returns the statement of the page p of the n rows q selects, and
// whether it reads them oldest first; an empty statement when p is past the
// end.
//
// An offset costs a step of the index per row it skips: an offset past the
// middle is read from the other end, oldest first, so that the last page
// (Gigapay's page=last) costs what the first does and no offset costs more
// than half the list. Keyset pages (After, Before) read only their rows.
func (l *listSpec) page(q *query, p paykit.ListPage, n int) (statement, bool) {
	q = &query{where: slices.Clone(q.where), args: slices.Clone(q.args)}
	dir, reverse, offset, lim := "DESC", false, 0, limit(p.Limit)
	switch {
	case p.After != nil:
		l.cursor(q, "<", l.created+" <= ?", p.After)
	case p.Before != nil:
		l.cursor(q, ">", l.created+" >= ?", p.Before)
		dir, reverse = "ASC", true
	case p.Offset > 0 && p.Offset >= n:
		return statement{}, false
	case p.Offset > n/2:
		// The rows [Offset, Offset+lim) from the newest are, from the oldest,
		// [n-Offset-lim, n-Offset).
		dir, reverse = "ASC", true
		offset, lim = max(n-p.Offset-lim, 0), min(lim, n-p.Offset)
	default:
		offset = max(p.Offset, 0)
	}
	return statement{fmt.Sprintf(`SELECT %s FROM %s WHERE %s ORDER BY %s %s, %s %s LIMIT ? OFFSET ?`,
		l.columns, l.from, q.clause(), l.created, dir, l.uid, dir),
		append(q.args, lim, offset)}, reverse
}

// cursor adds to q the rows on the cmp side of c. A created_at filter's
// bound on the same side (window, as timeFilter writes it) is a second bound
// of the index range, and the planner would walk from either: one of the two
// implies the other, and only that one is kept.
func (l *listSpec) cursor(q *query, cmp, window string, c *paykit.Cursor) {
	at := micros(c.CreatedAt)
	if b, ok := q.cut(window); ok {
		if bound := b.(int64); cmp == "<" && bound < at || cmp == ">" && bound > at {
			q.add(window, bound) // every row within the window is on the cursor's side
			return
		}
	}
	q.add(fmt.Sprintf("(%s, %s) %s (?, ?)", l.created, l.uid, cmp), at, c.UID)
}
