package paykit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// The background work of web3 payments (RunDue): it hands new payments to
// their chains (sendDeals), notices creations that failed (checkDeals),
// cancels the deals of cancelling payments (cancelDeals), applies the chains'
// confirmed events (readChainEvents) and expires what is due
// (expireWeb3Payments). A chain is only ever called outside a store
// transaction, on a payment leased first, so that several processes sharing a
// database never work on one payment at once; what the chain answered is
// then recorded in a transaction of its own, against the payment as it is by
// then (a cancellation may have come in meanwhile).

// Timings of the background work, by the Clock.
const (
	// web3SendLease is how long a worker owns a payment whose deal it is
	// creating: a creation that fails for a passing reason (the node is
	// down) is tried again when it ends.
	web3SendLease = time.Minute
	// web3Recheck is how long after looking at a sent creation, or at a
	// cancellation, the next look is.
	web3Recheck = 15 * time.Second
	// DealDropAfter is how long after sending a deal's creation a
	// transaction that the node does not know counts as dropped: the
	// creation failed, and the payment is pending again (RetryWeb3Payment).
	DealDropAfter = 10 * time.Minute
	// maxEventRounds bounds the Events calls of one chain in one RunDue.
	maxEventRounds = 100
)

// web3Chain returns the chain, the contract and the currency of a web3
// payment, or ok false (having logged why) when this Service cannot reach
// its network.
func (s *Service) web3Chain(ctx context.Context, p *Web3Payment) (ch Chain, c *ChainContract, cur *ChainCurrency, ok bool) {
	n, err := s.store.FindNetworkByID(ctx, p.NetworkID)
	if err == nil {
		c, ch, err = s.chainOf(ctx, s.store, n)
	}
	if err == nil {
		cur, err = s.store.FindChainCurrencyByID(ctx, p.CurrencyID)
	}
	if err != nil {
		s.log.Warn("paykit: web3 payment's chain", "payment", p.ID, "network", p.NetworkID, "err", err)
		return nil, nil, nil, false
	}
	return ch, c, cur, true
}

// refused reports whether err is the contract's refusal (the deal's state, or
// an invalid deal), as opposed to a failure worth trying again.
func refused(err error) bool { return err != nil && ErrorCode(err) != EINTERNAL }

// describeRefusal renders a Chain's refusal for a person, its fields
// included: "The deal is invalid. (expiresAt: The expiry has passed by the
// chain's clock.)".
func describeRefusal(err error) string {
	msg := ErrorMessage(err)
	fields := ErrorFields(err)
	if len(fields) == 0 {
		return msg
	}
	parts := make([]string, 0, len(fields))
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		parts = append(parts, k+": "+fields[k])
	}
	return msg + " (" + strings.Join(parts, "; ") + ")"
}

// claimWeb3 leases, for lease from now, a batch of the web3 payments of
// every tenant that have work of that kind due, in a transaction of its own.
func (s *Service) claimWeb3(ctx context.Context, work Web3Work, now time.Time, lease time.Duration) ([]*Web3Payment, error) {
	return inTx(ctx, s.store, func(tx Tx) ([]*Web3Payment, error) {
		return tx.ClaimWeb3Payments(ctx, work, now, now.Add(lease), s.batchSize)
	})
}

// sendDeals creates the deals of due pending web3 payments on their chains.
func (s *Service) sendDeals(ctx context.Context) (int, error) {
	now := s.now()
	ps, err := s.claimWeb3(ctx, Web3WorkSend, now, web3SendLease)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		ch, _, cur, ok := s.web3Chain(ctx, p)
		if !ok {
			continue
		}
		d, err := p.deal(cur)
		if err != nil {
			return 0, fmt.Errorf("deal of payment %s: %w", p.ID, err)
		}
		if d.ExpiresAt.Unix() <= now.Unix() {
			continue // no block can hold it any more: the expiry sweep ends the payment
		}
		hash, err := ch.CreateDeal(ctx, d)
		if err != nil && !refused(err) {
			// The lease runs out and a later RunDue tries again.
			s.log.Warn("paykit: create deal", "payment", p.ID, "deal", d.ID, "err", err)
			continue
		}
		if err := s.recordSent(ctx, p, hash, err); err != nil {
			return 0, fmt.Errorf("record deal of payment %s: %w", p.ID, err)
		}
	}
	return len(ps), nil
}

// recordSent records what CreateDeal answered for p: the hash of the sent
// creation ("" when the contract has the deal already), or the contract's
// refusal.
func (s *Service) recordSent(ctx context.Context, sent *Web3Payment, hash string, refusal error) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		now := s.now()
		p, err := tx.FindWeb3PaymentByID(ctx, sent.TenantID, sent.ID)
		if err != nil {
			return err
		}
		p.LeaseUntil = nil
		if refusal != nil {
			p.FailureReason = "The chain refused the deal: " + describeRefusal(refusal)
			switch p.Status {
			case Web3PaymentStatusPending:
				return s.moveWeb3Payment(ctx, tx, now, p, Web3PaymentStatusFailed)
			case Web3PaymentStatusCancelling:
				// No deal exists, so there is nothing left to cancel.
				return s.moveWeb3Payment(ctx, tx, now, p, Web3PaymentStatusCancelled)
			}
			return tx.UpdateWeb3Payment(ctx, p)
		}
		if hash != "" {
			p.DealTxHash, p.SentAt = hash, &now
		}
		p.DealError = ""
		if p.Status == Web3PaymentStatusPending {
			return s.moveWeb3Payment(ctx, tx, now, p, Web3PaymentStatusProcessing)
		}
		// Cancelled or expired meanwhile: keep the hash, so that the
		// cancellation (cancelDeals) and the events know the deal.
		return tx.UpdateWeb3Payment(ctx, p)
	})
}

// checkDeals looks at sent creations that are not confirmed yet: a creation
// that reverted, or that the node has not known for DealDropAfter, failed,
// and its payment is pending again with DealError set.
func (s *Service) checkDeals(ctx context.Context) (int, error) {
	now := s.now()
	ps, err := s.claimWeb3(ctx, Web3WorkCheck, now, web3Recheck)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		ch, _, _, ok := s.web3Chain(ctx, p)
		if !ok {
			continue
		}
		failure, err := s.creationFailure(ctx, ch, p, now)
		if err != nil {
			s.log.Warn("paykit: deal creation's transaction", "payment", p.ID, "tx", p.DealTxHash, "err", err)
			continue
		}
		if failure == "" {
			continue // pending, or succeeded: its event is on its way
		}
		err = s.store.InTx(ctx, func(tx Tx) error {
			now := s.now()
			cur, err := tx.FindWeb3PaymentByID(ctx, p.TenantID, p.ID)
			if err != nil {
				return err
			}
			if cur.Status != Web3PaymentStatusProcessing || cur.DealOpenedAt != nil || cur.DealTxHash != p.DealTxHash {
				return nil // moved on meanwhile
			}
			cur.DealError = failure
			return s.moveWeb3Payment(ctx, tx, now, cur, Web3PaymentStatusPending)
		})
		if err != nil {
			return 0, fmt.Errorf("record failed deal of payment %s: %w", p.ID, err)
		}
	}
	return len(ps), nil
}

// creationFailure returns why p's sent creation failed, or "" when it has not
// (it is pending, or succeeded).
func (s *Service) creationFailure(ctx context.Context, ch Chain, p *Web3Payment, now time.Time) (string, error) {
	if p.DealTxHash == "" {
		return "", nil
	}
	t, err := ch.Transaction(ctx, p.DealTxHash)
	if err != nil {
		return "", err
	}
	switch {
	case t.Status == ChainTxFailed:
		return "The deal's creation reverted: " + t.Reason, nil
	case t.Status == ChainTxNotFound && (p.SentAt == nil || !now.Before(p.SentAt.Add(DealDropAfter))):
		return "The deal's creation was dropped: the chain does not know its transaction.", nil
	}
	return "", nil
}

// cancelDeals cancels the deals of cancelling payments. A payment whose deal
// never made it to the chain is cancelled at once; the others are cancelled
// when the chain's cancellation event arrives (or completed by a deposit that
// got there first).
func (s *Service) cancelDeals(ctx context.Context) (int, error) {
	now := s.now()
	ps, err := s.claimWeb3(ctx, Web3WorkCancel, now, web3Recheck)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		ch, _, _, ok := s.web3Chain(ctx, p)
		if !ok {
			continue
		}
		hash, err := ch.CancelDeal(ctx, p.DealID)
		noDeal := false
		switch {
		case err == nil:
		case errors.Is(err, ErrDealNotFound):
			// Nothing on the chain: cancelled once its creation, if any was
			// sent, is known to have failed.
			failure, terr := s.creationFailure(ctx, ch, p, now)
			if terr != nil {
				s.log.Warn("paykit: deal creation's transaction", "payment", p.ID, "tx", p.DealTxHash, "err", terr)
				continue
			}
			if p.DealTxHash != "" && failure == "" {
				continue // the creation is still on its way; look again later
			}
			noDeal = true
		case errors.Is(err, ErrDealPaid):
			continue // a deposit got there first; its event completes the payment
		default:
			s.log.Warn("paykit: cancel deal", "payment", p.ID, "deal", p.DealID, "err", err)
			continue
		}
		if !noDeal && hash == "" {
			continue // sent before, or cancelled already: the event is on its way
		}
		err = s.store.InTx(ctx, func(tx Tx) error {
			now := s.now()
			cur, err := tx.FindWeb3PaymentByID(ctx, p.TenantID, p.ID)
			if err != nil {
				return err
			}
			if cur.Status != Web3PaymentStatusCancelling {
				return nil
			}
			if noDeal {
				return s.moveWeb3Payment(ctx, tx, now, cur, Web3PaymentStatusCancelled)
			}
			cur.CancelTxHash = hash
			return tx.UpdateWeb3Payment(ctx, cur)
		})
		if err != nil {
			return 0, fmt.Errorf("record cancellation of payment %s: %w", p.ID, err)
		}
	}
	return len(ps), nil
}

// readChainEvents applies the confirmed events of every configured chain's
// contract, in chain order. The events of one Events call are applied in one
// transaction with the cursor after them, which is compare-and-set: a process
// that finds the cursor moved by another applies nothing, so each event is
// applied exactly once. It returns 0: it loops by itself while a chain has
// more.
func (s *Service) readChainEvents(ctx context.Context) (int, error) {
	var errs []error
	ids := slices.Sorted(maps.Keys(s.chains))
	for _, networkID := range ids {
		if err := s.readEventsOf(ctx, networkID, s.chains[networkID]); err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", networkID, err))
		}
	}
	return 0, errors.Join(errs...)
}

func (s *Service) readEventsOf(ctx context.Context, networkID string, ch Chain) error {
	c, err := s.store.FindChainContractByNetwork(ctx, networkID)
	if ErrorCode(err) == ENOTFOUND {
		return nil // configured, but no payment can use it yet
	} else if err != nil {
		return err
	}
	n, err := s.store.FindNetworkByID(ctx, networkID)
	if err != nil {
		return err
	}
	if err := checkChain(n, c, ch); err != nil {
		return err
	}
	for range maxEventRounds {
		evs, err := ch.Events(ctx, c.Cursor)
		if err != nil {
			// The node is unreachable, say: a later RunDue reads on from
			// the same cursor.
			s.log.Warn("paykit: chain events", "network", networkID, "cursor", c.Cursor, "err", err)
			return nil
		}
		// Apply in chain order, whatever order the chain answered in.
		sort.SliceStable(evs.Events, func(i, j int) bool {
			a, b := evs.Events[i], evs.Events[j]
			return a.Block < b.Block || a.Block == b.Block && a.LogIndex < b.LogIndex
		})
		err = s.store.InTx(ctx, func(tx Tx) error {
			now := s.now()
			for _, ev := range evs.Events {
				if err := s.applyChainEvent(ctx, tx, now, c, ev); err != nil {
					return fmt.Errorf("apply %s of deal %s (tx %s): %w", ev.Type, ev.DealID, ev.TxHash, err)
				}
			}
			if evs.Cursor == c.Cursor {
				return nil
			}
			return tx.UpdateChainCursor(ctx, c.ID, c.Cursor, evs.Cursor, now)
		})
		if ErrorCode(err) == ECONFLICT {
			return nil // another process applied them first
		} else if err != nil {
			return err
		}
		c.Cursor = evs.Cursor
		if !evs.More {
			return nil
		}
	}
	return nil
}

// applyChainEvent applies one confirmed event of the contract c to the
// payment of its deal. An event of a deal no payment has, or whose terms are
// not its payment's (another database sharing the contract), is logged and
// skipped: it moves nothing of ours.
func (s *Service) applyChainEvent(ctx context.Context, tx Tx, now time.Time, c *ChainContract, ev ChainEvent) error {
	p, err := tx.FindWeb3PaymentByDeal(ctx, c.ID, ev.DealID)
	if ErrorCode(err) == ENOTFOUND {
		s.log.Warn("paykit: chain event of an unknown deal", "contract", c.Address, "deal", ev.DealID, "event", ev.Type, "tx", ev.TxHash)
		return nil
	} else if err != nil {
		return err
	}
	if p.Status == Web3PaymentStatusFailed {
		// The contract refused its deal because another deal holds the id:
		// this event is that other deal's.
		s.log.Warn("paykit: chain event of a failed payment's deal id", "payment", p.ID, "event", ev.Type, "tx", ev.TxHash)
		return nil
	}
	cur, err := tx.FindChainCurrencyByID(ctx, p.CurrencyID)
	if err != nil {
		return err
	}
	d, err := p.deal(cur)
	if err != nil {
		return err
	}
	switch ev.Type {
	case ChainEventDealCreated:
		if ev.Amount == nil || ev.Amount.Cmp(d.Price) != 0 || !strings.EqualFold(ev.Token, d.Token) || !strings.EqualFold(ev.Payee, d.Payee) {
			s.log.Error("paykit: a deal created with other terms than its payment's", "payment", p.ID, "deal", ev.DealID, "tx", ev.TxHash)
			return nil
		}
		if p.DealOpenedAt != nil {
			return nil
		}
		p.DealOpenedAt, p.DealError = &now, ""
		if ev.TxHash != "" {
			p.DealTxHash = ev.TxHash
		}
		if p.Status == Web3PaymentStatusPending {
			// Its creation was taken for failed, and it made it after all.
			if p.SentAt == nil {
				p.SentAt = &now
			}
			if err := s.moveWeb3Payment(ctx, tx, now, p, Web3PaymentStatusProcessing); err != nil {
				return err
			}
		}
		return s.noteWeb3Payment(ctx, tx, now, p, EventWeb3PaymentDealOpened)

	case ChainEventDeposited:
		switch p.Status {
		case Web3PaymentStatusProcessing, Web3PaymentStatusCancelling, Web3PaymentStatusExpired:
		case Web3PaymentStatusCompleted:
			return nil
		default:
			// Pending or cancelled: its deal is not on the chain as ours
			// (DealCreated precedes a deposit, and the contract refuses one
			// after a cancellation), so this is not a deposit into it.
			s.log.Error("paykit: a deposit into a deal its payment does not have", "payment", p.ID, "status", p.Status, "tx", ev.TxHash)
			return nil
		}
		if ev.Amount == nil || ev.Amount.Cmp(d.Price) != 0 {
			s.log.Error("paykit: a deposit of another amount than the deal's price", "payment", p.ID, "tx", ev.TxHash, "amount", ev.Amount)
			return nil
		}
		return s.completeWeb3Payment(ctx, tx, now, p, ev)

	case ChainEventDealCancelled:
		switch p.Status {
		case Web3PaymentStatusPending, Web3PaymentStatusProcessing, Web3PaymentStatusCancelling:
			if ev.TxHash != "" {
				p.CancelTxHash = ev.TxHash
			}
			return s.moveWeb3Payment(ctx, tx, now, p, Web3PaymentStatusCancelled)
		}
		return nil
	}
	s.log.Warn("paykit: unknown chain event", "type", ev.Type, "tx", ev.TxHash)
	return nil
}

// completeWeb3Payment records the deposit ev into p's deal: the payment is
// completed with the deposit's transaction hash, and its PaidPrice moves in
// one posted ledger transfer from the tenant's world account (the chain) to
// the node's account.
func (s *Service) completeWeb3Payment(ctx context.Context, tx Tx, now time.Time, p *Web3Payment, ev ChainEvent) error {
	c := p.PaidPrice.Currency
	world, err := s.systemAccount(ctx, tx, now, p.TenantID, accountCodeWorld, c)
	if err != nil {
		return err
	}
	node, err := s.nodeAccount(ctx, tx, now, p.TenantID, p.NodeID, c)
	if err != nil {
		return err
	}
	t := &Transfer{Amount: p.PaidPrice.Minor(), Currency: c, Status: TransferStatusPosted, Kind: transferKindWeb3Payment, Ref: p.ID}
	if err := s.transfer(ctx, tx, now, t, world, node); err != nil {
		return err
	}
	p.TransferID, p.TransactionHash, p.Payer = t.ID, ev.TxHash, ev.Payer
	if p.DealOpenedAt == nil {
		p.DealOpenedAt = &now
	}
	return s.moveWeb3Payment(ctx, tx, now, p, Web3PaymentStatusCompleted)
}

// transferKindWeb3Payment is the Kind of a completed web3 payment's transfer.
const transferKindWeb3Payment = "web3_payment"

// expireWeb3Payments persists the expiry of every pending or processing
// payment past its ExpiresAt and fires web3payment.expired (see expire).
func (s *Service) expireWeb3Payments(ctx context.Context) (int, error) {
	return expire(ctx, s, Store.FindExpiredWeb3Payments, func(tx Tx, now time.Time, p *Web3Payment) error {
		if err := s.moveWeb3Payment(ctx, tx, now, p, Web3PaymentStatusExpired); err != nil {
			return fmt.Errorf("expire payment %s: %w", p.ID, err)
		}
		return nil
	})
}
