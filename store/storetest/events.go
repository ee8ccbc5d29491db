package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

func testEvents(t *testing.T, s paykit.Store) {
	ctx := context.Background()
	tn, other := MustTenant(t, s), MustTenant(t, s)
	subject := NewID()
	var all []*paykit.Event
	for i := range 7 {
		typ, subj := paykit.EventTokenCreated, NewID()
		if i%3 == 0 {
			typ = paykit.EventTokenAccepted
		}
		if i%2 == 0 {
			subj = subject
		}
		all = append(all, MustEvent(t, s, tn.ID, typ, subj))
		MustEvent(t, s, other.ID, typ, subj)
	}
	for i := 1; i < len(all); i++ {
		require.Greater(t, all[i].Seq, all[i-1].Seq)
	}
	seq := func(e *paykit.Event) string { return fmt.Sprint(e.Seq) }
	find := func(f paykit.EventFilter) []*paykit.Event {
		var last int64
		f.Limit = 2
		return pages(t, 2, func(string) ([]*paykit.Event, error) {
			f.AfterSeq = last
			page, err := s.FindEvents(ctx, tn.ID, f)
			if len(page) > 0 {
				last = page[len(page)-1].Seq
			}
			return page, err
		}, seq)
	}
	filter := func(keep func(*paykit.Event) bool) []string {
		var out []string
		for _, e := range all {
			if keep(e) {
				out = append(out, seq(e))
			}
		}
		return out
	}

	t.Run("OK", func(t *testing.T) {
		require.Equal(t, all, find(paykit.EventFilter{}))
	})
	t.Run("Filters", func(t *testing.T) {
		require.Equal(t, filter(func(e *paykit.Event) bool { return e.Type == paykit.EventTokenAccepted }),
			ids(find(paykit.EventFilter{Type: ptr(paykit.EventTokenAccepted)}), seq))
		require.Equal(t, filter(func(e *paykit.Event) bool { return e.SubjectID == subject }),
			ids(find(paykit.EventFilter{SubjectID: &subject}), seq))
		require.Equal(t, filter(func(e *paykit.Event) bool { return e.SubjectID == subject && e.Type == paykit.EventTokenCreated }),
			ids(find(paykit.EventFilter{SubjectID: &subject, Type: ptr(paykit.EventTokenCreated)}), seq))
		page, err := s.FindEvents(ctx, tn.ID, paykit.EventFilter{AfterSeq: all[len(all)-1].Seq})
		require.NoError(t, err)
		require.Empty(t, page)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		dup := *all[0]
		RequireCode(t, inTx(s, func(tx paykit.Tx) error { return tx.AppendEvent(ctx, &dup) }), paykit.ECONFLICT)
	})
}
