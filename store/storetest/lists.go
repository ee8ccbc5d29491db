package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// testListPages checks the windows of a newest-first list: keyset after and
// before a row, and offsets, with ties on CreatedAt broken by UID.
func testListPages(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	in := MustIntegration(t, s, "")
	var want []string // newest first
	for i := range 7 {
		e := MustEmployee(t, s, in.ID, func(e *paykit.Employee) { e.CreatedAt = Base.Add(time.Duration(i/2) * time.Second) })
		want = append([]string{e.UID}, want...)
	}
	// UIDs are time-ordered, so within one CreatedAt the later UID is newer.
	find := func(p paykit.ListPage) ([]*paykit.Employee, int) {
		t.Helper()
		es, n, err := s.FindEmployees(ctx, in.ID, paykit.EmployeeFilter{ListPage: p})
		require.NoError(t, err)
		return es, n
	}
	uid := func(e *paykit.Employee) string { return e.UID }
	cur := func(e *paykit.Employee) *paykit.Cursor { return &paykit.Cursor{CreatedAt: e.CreatedAt, UID: e.UID} }

	all, n := find(paykit.ListPage{Limit: 100})
	require.Equal(t, 7, n)
	require.Equal(t, want, ids(all, uid))
	for size := 1; size <= 4; size++ {
		t.Run(fmt.Sprintf("Size%d", size), func(t *testing.T) {
			var walked []*paykit.Employee
			page, _ := find(paykit.ListPage{Limit: size})
			for len(page) > 0 {
				walked = append(walked, page...)
				page, n = find(paykit.ListPage{After: cur(page[len(page)-1]), Limit: size})
				require.Equal(t, 7, n, "count ignores the window")
			}
			require.Equal(t, want, ids(walked, uid))
			for off := 0; off < 7; off += size {
				page, _ := find(paykit.ListPage{Offset: off, Limit: size})
				require.Equal(t, want[off:min(7, off+size)], ids(page, uid))
				if off+size < 7 {
					next := all[off+size]
					back, _ := find(paykit.ListPage{Before: cur(next), Limit: size})
					require.Equal(t, want[off:off+size], ids(back, uid), "the page before %s", next.UID)
				}
			}
		})
	}
	none, _ := find(paykit.ListPage{Before: cur(all[0]), Limit: 3})
	require.Empty(t, none)
	none, _ = find(paykit.ListPage{After: cur(all[6]), Limit: 3})
	require.Empty(t, none)

	// A created_at window with a cursor within it, before it and after it.
	for lo := range 4 {
		for hi := lo; hi < 4; hi++ {
			from, until := Base.Add(time.Duration(lo)*time.Second), Base.Add(time.Duration(hi)*time.Second)
			within := func(es []*paykit.Employee) []string {
				out := []string{}
				for _, e := range es {
					if !e.CreatedAt.Before(from) && !e.CreatedAt.After(until) {
						out = append(out, e.UID)
					}
				}
				return out
			}
			for i, e := range all {
				f := paykit.EmployeeFilter{CreatedAt: paykit.TimeFilter{After: &from, Before: &until}}
				f.ListPage = paykit.ListPage{After: cur(e), Limit: 10}
				got, _, err := s.FindEmployees(ctx, in.ID, f)
				require.NoError(t, err)
				require.Equal(t, within(all[i+1:]), ids(got, uid), "after %d in [%d, %d]", i, lo, hi)
				f.ListPage = paykit.ListPage{Before: cur(e), Limit: 10}
				got, _, err = s.FindEmployees(ctx, in.ID, f)
				require.NoError(t, err)
				require.Equal(t, within(all[:i]), ids(got, uid), "before %d in [%d, %d]", i, lo, hi)
			}
		}
	}
}
