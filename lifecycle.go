package paykit

import (
	"context"
	"slices"
	"time"
)

// lifecycle is the transition table of one noun's status: for each status,
// the statuses it may move to, and nothing else. A status that is not a key
// moves nowhere: it is final. Tokens, payments, payouts, employees, requests
// and deliveries each declare one beside their statuses and check every move
// with it, so that the whole lifecycle of a noun reads in one place.
type lifecycle[S ~string] struct {
	next map[S][]S
	// cannot is the ECONFLICT sentence for a move the table forbids, and
	// already the one for a move to the status held already ("" uses cannot).
	// Their verbs take the subject's ID, its status and the status asked for
	// as %[1], %[2] and %[3], so that each noun keeps the sentence its
	// dialects have always shown.
	cannot, already string
}

// allows reports whether the table lets from move to to.
func (l *lifecycle[S]) allows(from, to S) bool { return slices.Contains(l.next[from], to) }

// final reports whether s moves nowhere.
func (l *lifecycle[S]) final(s S) bool { return len(l.next[s]) == 0 }

// check returns ECONFLICT, with a sentence a person can read, unless the
// subject id may move from from to to.
func (l *lifecycle[S]) check(id string, from, to S) error {
	if l.allows(from, to) {
		return nil
	}
	msg := l.cannot
	if from == to && l.already != "" {
		msg = l.already
	}
	return Errorf(ECONFLICT, msg, id, from, to)
}

// expirable is a row an expiry sweep ends: a token or a request.
type expirable interface {
	expiredAt(now time.Time) bool
}

// expire is the expiry sweep of one noun: it finds up to a batch of rows of
// every tenant that find reports expired at now and ends each with end, in
// one transaction, and returns how many rows find returned (RunDue calls it
// again while that is a full batch). A row is ended only if it is expired by
// its own clock comparison too, so a store that returns a row a tick early
// cannot end it early.
//
// One transaction per batch rather than per row: a sweep after a long pause
// may end many rows, and they then share one commit.
func expire[T expirable](ctx context.Context, s *Service,
	find func(tx Store, ctx context.Context, now time.Time, limit int) ([]T, error),
	end func(tx Tx, now time.Time, row T) error,
) (int, error) {
	n := 0
	err := s.store.InTx(ctx, func(tx Tx) error {
		now := s.now()
		rows, err := find(tx, ctx, now, s.batchSize)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if !row.expiredAt(now) {
				continue
			}
			if err := end(tx, now, row); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}
