package httpapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paykit/paykit"
)

// The Gigapay dialect's lists: filters, pages, cursors and links.

// Queries.

// query reads a list's filters, recording their errors.
type query struct {
	q url.Values
	v paykit.Validation
}

func (q *query) str(k string) *string {
	if !q.q.Has(k) {
		return nil
	}
	s := q.q.Get(k)
	return &s
}

// time reads <field>_null, <field>_after and <field>_before.
func (q *query) time(field string) paykit.TimeFilter {
	var f paykit.TimeFilter
	if s := q.q.Get(field + "_null"); s != "" {
		switch strings.ToLower(s) {
		case "true", "1", "yes":
			f.Null = ptrTo(true)
		case "false", "0", "no":
			f.Null = ptrTo(false)
		default:
			q.v.Add(field+"_null", fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", s))
		}
	}
	for _, side := range []struct {
		suffix string
		dst    **time.Time
	}{{"_after", &f.After}, {"_before", &f.Before}} {
		if s := q.q.Get(field + side.suffix); s != "" {
			t, err := parseTime(s)
			if err != nil {
				q.v.Add(field+side.suffix, "Enter a valid date/time.")
				continue
			}
			*side.dst = &t
		}
	}
	return f
}

func ptrTo[T any](v T) *T { return &v }

// Pagination.

// gigapayPage is the envelope of every list.
type gigapayPage struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
	Results  any     `json:"results"`
}

// pager reads page, page_size and cursor, and builds the page's links.
type pager struct {
	page   int
	size   int
	last   bool
	cursor *paykit.Cursor
	before bool // cursor marks the first row of the page after this one
}

// errInvalidPage is a page that does not exist.
var errInvalidPage = paykit.Errorf(paykit.ENOTFOUND, "Invalid page.")

func (c *gigapayCall) pager() (*pager, error) {
	q := c.r.URL.Query()
	p := &pager{page: 1, size: paykit.DefaultLimit}
	if s := q.Get("page_size"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			p.size = min(n, paykit.MaxLimit)
		}
	}
	switch s := q.Get("page"); {
	case s == "last":
		p.last = true
	case s != "":
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, pageNotFound(errInvalidPage)
		}
		p.page = n
	}
	if s := q.Get("cursor"); s != "" && !p.last {
		cur, before, err := decodeCursor(s)
		if err != nil {
			return nil, pageNotFound(paykit.Errorf(paykit.ENOTFOUND, "Invalid cursor."))
		}
		p.cursor, p.before = cur, before
	}
	return p, nil
}

// pageNotFound keeps the message of a 404 about a page ("Invalid page."),
// which errorBody would otherwise render "Not found.".
func pageNotFound(err *paykit.Error) error {
	return &statusError{http.StatusNotFound, &paykit.Error{Code: "invalid_page", Message: err.Message}}
}

// window returns the ListPage that reads the page, with one row more than the
// page to tell whether another follows.
func (p *pager) window() paykit.ListPage {
	switch {
	case p.cursor != nil && p.before:
		return paykit.ListPage{Before: p.cursor, Limit: p.size + 1}
	case p.cursor != nil:
		return paykit.ListPage{After: p.cursor, Limit: p.size + 1}
	}
	return paykit.ListPage{Offset: (p.page - 1) * p.size, Limit: p.size + 1}
}

// paginate lists a page: find is called with the window to read, and returns
// the rows, their cursors and the total count.
func paginate[T any](c *gigapayCall, find func(paykit.ListPage) ([]T, int, error), cursor func(T) paykit.Cursor, render func(T) (any, error)) (int, any, error) {
	p, err := c.pager()
	if err != nil {
		return 0, nil, err
	}
	if p.last {
		_, n, err := find(paykit.ListPage{Limit: 1})
		if err != nil {
			return 0, nil, err
		}
		p.page = max(1, (n+p.size-1)/p.size)
	}
	rows, n, err := find(p.window())
	if err != nil {
		return 0, nil, err
	}
	if p.page > 1 && (p.page-1)*p.size >= n {
		return 0, nil, pageNotFound(errInvalidPage)
	}
	more := len(rows) > p.size
	switch {
	case more && p.before:
		rows = rows[1:]
	case more:
		rows = rows[:p.size]
	}
	hasNext := more || (p.before && p.cursor != nil)
	results := make([]any, 0, len(rows))
	for _, r := range rows {
		v, err := render(r)
		if err != nil {
			return 0, nil, err
		}
		results = append(results, v)
	}
	out := &gigapayPage{Count: n, Results: results}
	if hasNext && len(rows) > 0 {
		out.Next = c.pageLink(p.page+1, encodeCursor(cursor(rows[len(rows)-1]), false))
	}
	if p.page > 1 {
		cur := ""
		if len(rows) > 0 && p.page > 2 {
			cur = encodeCursor(cursor(rows[0]), true)
		}
		out.Previous = c.pageLink(p.page-1, cur)
	}
	return http.StatusOK, out, nil
}

// pageLink returns the absolute URL of this list at page, with cursor; page 1
// carries neither, as Django REST Framework's links do not.
func (c *gigapayCall) pageLink(page int, cursor string) *string {
	q := c.r.URL.Query()
	q.Del("page")
	q.Del("cursor")
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
	}
	s := c.base + c.r.URL.EscapedPath()
	if enc := q.Encode(); enc != "" {
		s += "?" + enc
	}
	return &s
}

// encodeCursor returns a row's position as an opaque page cursor: "a" rows
// after it (older), "b" rows before it (newer).
func encodeCursor(cur paykit.Cursor, before bool) string {
	dir := "a"
	if before {
		dir = "b"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(dir + strconv.FormatInt(cur.CreatedAt.UnixMicro(), 10) + "." + cur.UID))
}

func decodeCursor(s string) (*paykit.Cursor, bool, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 3 || (b[0] != 'a' && b[0] != 'b') {
		return nil, false, errors.New("bad cursor")
	}
	ts, uid, ok := strings.Cut(string(b[1:]), ".")
	us, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || uid == "" {
		return nil, false, errors.New("bad cursor")
	}
	return &paykit.Cursor{CreatedAt: time.UnixMicro(us).UTC(), UID: uid}, b[0] == 'b', nil
}
