package paykit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// The invariants, TigerBeetle-style: facts that hold between rows after every
// committed transaction, whatever the operations were. The Service keeps them
// by construction; CheckInvariants proves it. The test helpers run it for every
// tenant at the end of every test, so each test is also a test of every
// invariant, and a broken one is caught where it was broken.

// maxBreaches bounds how many broken invariants one check names: the first
// few say what went wrong, and the count says how much.
const maxBreaches = 10

// breaches collects broken invariants.
type breaches struct {
	list []string
	n    int
}

// add records a broken invariant, described as format says.
func (b *breaches) add(format string, args ...any) {
	b.n++
	if len(b.list) < maxBreaches {
		b.list = append(b.list, fmt.Sprintf(format, args...))
	}
}

// err returns nil when nothing is broken, or else an EINTERNAL *Error that
// names the first few breaches of tenantID's invariants.
func (b *breaches) err(tenantID string) error {
	if b.n == 0 {
		return nil
	}
	msg := fmt.Sprintf("tenant %s: %d broken invariants: %s", tenantID, b.n, strings.Join(b.list, "; "))
	if b.n > len(b.list) {
		msg += fmt.Sprintf("; and %d more", b.n-len(b.list))
	}
	return &Error{Code: EINTERNAL, Message: msg}
}

// CheckInvariants verifies every invariant of the tenant's data, and returns
// an EINTERNAL *Error naming the broken ones (the first few, and how many in
// all), or the error of a read that failed. It checks:
//
//   - the ledger, as CheckLedger does;
//   - token ↔ reservation: a token's reservation is a transfer of the token's
//     amount from its source account, pending while the token is active and
//     unaccepted, and voided once it is accepted, rejected or expired (an
//     accepted token's funds move in its payment's own transfer);
//   - token ↔ payment: an accepted token has a payment that names it back, in
//     flight while the token is active, completed when it succeeded and
//     canceled or failed when it closed; no other token has a payment;
//   - payment ↔ transfer: a payment's transfer is of its amount between its
//     accounts, pending while the payment is pending or processing, posted
//     when it completed and voided when it was canceled or failed;
//   - charge ↔ items, transfer and split: a charge's amount is the sum of its
//     items' totals, each its base plus its transferred and less its withheld
//     taxes; its transfer into the team's sales account is pending until it
//     succeeds (posted) or is canceled (voided); only a succeeded charge has
//     a success time; a split charge's shares sum to its amount, the
//     master's being its percentage rounded half-up, and once it succeeded
//     the connected team's share has left the master's sales account and
//     arrived in the connected team's ledger, in two transfers of exactly
//     that share; no other charge has them;
//   - charge ↔ documents: every automation due was performed (or says why
//     not), its documents name the charge, its valid income invoices total
//     its amount, and only a succeeded charge has a PUE invoice or a payment
//     complement (checkChargeDocuments);
//   - tax invoices: their lines sum to their totals, PUE owes nothing, a PPD
//     invoice owes its total less its valid complements, cancellations and
//     their substitutes, folios 1..N per series with no gap
//     (checkTaxInvoices); receipts: their lines, their invoice, their
//     charge (checkReceipts);
//   - invoice ↔ payouts: an invoice's price is the sum of its payouts' cost,
//     in its currency, and only a paid invoice's payouts have gone past
//     created;
//   - request ↔ transfer: a paid request has a posted transfer of its amount,
//     and no other request has one; a rejected request has a reason;
//   - web3 payment ↔ deal and transfer (web3payments_check.go): a web3
//     payment has a deal; a completed one has its deposit's transaction hash
//     and a posted transfer of its paid price into its node's account, and
//     no other has one;
//   - delivery ↔ endpoint and event: a delivery's endpoint exists unless it is
//     a callback, and its event exists and has its type;
//   - endpoint ↔ secrets: every endpoint has a whsec_ Standard Webhooks
//     secret, so its deliveries carry all three Standard Webhooks headers, and
//     a standard endpoint's is its secret;
//   - every status is one of its type's.
//
// It reads through the Store's read methods, outside any transaction, page by
// page, so it is meant for a Store at rest: a write that commits while it
// reads may show it rows of two different moments.
func (s *Service) CheckInvariants(ctx context.Context, tenantID string) error {
	var b breaches
	for _, check := range []struct {
		name string
		fn   func(context.Context, string, *breaches) error
	}{
		{"ledger", s.checkLedger},
		{"tokens", s.checkTokens},
		{"payments", s.checkPayments},
		{"invoices", s.checkInvoices},
		{"tax invoices", s.checkTaxInvoices},
		{"receipts", s.checkReceipts},
		{"requests", s.checkRequests},
		{"web3 payments", s.checkWeb3Payments},
		{"deliveries", s.checkDeliveries},
		{"endpoints", s.checkEndpoints},
	} {
		if err := check.fn(ctx, tenantID, &b); err != nil {
			return fmt.Errorf("check %s of tenant %s: %w", check.name, tenantID, err)
		}
	}
	return b.err(tenantID)
}

// CheckAllInvariants runs CheckInvariants for every tenant of the Store and
// returns every tenant's breaches, joined.
func (s *Service) CheckAllInvariants(ctx context.Context) error {
	var errs []error
	err := pageAll(func(after string) ([]*Tenant, error) {
		return s.store.FindTenants(ctx, TenantFilter{After: after, Limit: MaxLimit})
	}, func(t *Tenant) string { return t.ID }, func(t *Tenant) error {
		if err := s.CheckInvariants(ctx, t.ID); err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}

// pageAll calls each with every item of a keyset-paginated list, page by page:
// find returns the page after the cursor (the zero cursor for the first page),
// and cursor returns the cursor of an item.
func pageAll[T any, C comparable](find func(after C) ([]T, error), cursor func(T) C, each func(T) error) error {
	var after C
	for {
		page, err := find(after)
		if err != nil {
			return err
		}
		for _, it := range page {
			if err := each(it); err != nil {
				return err
			}
		}
		if len(page) < MaxLimit {
			return nil
		}
		after = cursor(page[len(page)-1])
	}
}

// findTransfer returns the tenant's transfer id, or nil, having recorded the
// breach, when it does not exist.
func (s *Service) findTransfer(ctx context.Context, tenantID, id, of string, b *breaches) (*Transfer, error) {
	if id == "" {
		b.add("%s has no transfer", of)
		return nil, nil
	}
	t, err := s.store.FindTransferByID(ctx, tenantID, id)
	if ErrorCode(err) == ENOTFOUND {
		b.add("%s: its transfer %s does not exist", of, id)
		return nil, nil
	}
	return t, err
}

// checkTransfer records how t differs from the transfer that of says it has:
// its kind and ref, its amount, its status, and its debit and credit accounts
// where they are known ("" is not checked).
func checkTransfer(b *breaches, of string, t *Transfer, kind, ref string, amount Money, status TransferStatus, debit, credit string) {
	if t.Kind != kind || t.Ref != ref {
		b.add("%s: transfer %s is %s of %s, not %s of %s", of, t.ID, t.Kind, t.Ref, kind, ref)
	}
	if t.Amount != amount.Minor() || t.Currency != amount.Currency {
		b.add("%s of %s: its transfer %s is of %s", of, amount, t.ID, MoneyFromMinor(t.Amount, t.Currency))
	}
	if t.Status != status {
		b.add("%s: its transfer %s is %s, not %s", of, t.ID, t.Status, status)
	}
	if debit != "" && t.DebitAccountID != debit {
		b.add("%s: its transfer %s debits account %s, not %s", of, t.ID, t.DebitAccountID, debit)
	}
	if credit != "" && t.CreditAccountID != credit {
		b.add("%s: its transfer %s credits account %s, not %s", of, t.ID, t.CreditAccountID, credit)
	}
}

// checkLedger records CheckLedger's breaches.
func (s *Service) checkLedger(ctx context.Context, tenantID string, b *breaches) error {
	stored, derived, err := s.store.LedgerSums(ctx, tenantID)
	if err != nil {
		return err
	}
	totals := map[Currency]BalanceDelta{}
	for _, a := range stored {
		want := derived[a.ID]
		got := BalanceDelta{a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted}
		if got != want {
			b.add("account %s: balances %+v, transfers say %+v", a.ID, got, want)
		}
		if !a.AllowsNegative() && a.CreditsPosted-a.DebitsPosted-a.DebitsPending < 0 {
			b.add("account %s is overdrawn", a.ID)
		}
		t := totals[a.Currency]
		t.DebitsPending += a.DebitsPending
		t.DebitsPosted += a.DebitsPosted
		t.CreditsPending += a.CreditsPending
		t.CreditsPosted += a.CreditsPosted
		totals[a.Currency] = t
	}
	for c, t := range totals {
		if t.CreditsPosted != t.DebitsPosted || t.CreditsPending != t.DebitsPending {
			b.add("%s does not sum to zero: %+v", c, t)
		}
	}
	return nil
}

// tokenPayment is, for each token state, the payment statuses its payment may
// have; a state that is not a key has no payment.
var tokenPayment = map[TokenStatus][]PaymentStatus{
	tokenAccepted:        {PaymentStatusPending, PaymentStatusProcessing},
	TokenStatusSucceeded: {PaymentStatusCompleted},
	TokenStatusClosed:    {PaymentStatusCanceled, PaymentStatusFailed},
}

func (s *Service) checkTokens(ctx context.Context, tenantID string, b *breaches) error {
	return pageAll(func(after string) ([]*Token, error) {
		return s.store.FindTokens(ctx, tenantID, TokenFilter{After: after, Limit: MaxLimit})
	}, func(t *Token) string { return t.ID }, func(t *Token) error {
		of := "token " + t.ID
		if !t.Status.Valid() {
			b.add("%s has the unknown status %q", of, t.Status)
		}
		hold, err := s.findTransfer(ctx, tenantID, t.ReservationID, of+" (its reservation)", b)
		if err != nil {
			return err
		}
		if hold != nil {
			want := TransferStatusVoided
			if t.state() == TokenStatusActive {
				want = TransferStatusPending
			}
			checkTransfer(b, of+" ("+string(t.state())+")", hold, "token_reservation", t.ID, t.Amount, want, t.SourceAccountID, "")
		}

		statuses, paid := tokenPayment[t.state()]
		switch {
		case !paid && t.PaymentID != "":
			b.add("%s is %s but has payment %s", of, t.state(), t.PaymentID)
		case paid && t.PaymentID == "":
			b.add("%s is %s but has no payment", of, t.state())
		case paid:
			p, err := s.store.FindPaymentByID(ctx, tenantID, t.PaymentID)
			if ErrorCode(err) == ENOTFOUND {
				b.add("%s: its payment %s does not exist", of, t.PaymentID)
				return nil
			} else if err != nil {
				return err
			}
			if p.PaymentTokenID != t.ID {
				b.add("%s: its payment %s names token %q", of, p.ID, p.PaymentTokenID)
			}
			if !slices.Contains(statuses, p.Status) {
				b.add("%s is %s but its payment %s is %s", of, t.state(), p.ID, p.Status)
			}
			if p.Amount.Minor() != t.Amount.Minor() || p.Amount.Currency != t.Amount.Currency {
				b.add("%s of %s: its payment %s is of %s", of, t.Amount, p.ID, p.Amount)
			}
		}
		return nil
	})
}

// paymentTransfer is the status of a payment's transfer in each payment status.
var paymentTransfer = map[PaymentStatus]TransferStatus{
	PaymentStatusPending:    TransferStatusPending,
	PaymentStatusProcessing: TransferStatusPending,
	PaymentStatusCompleted:  TransferStatusPosted,
	PaymentStatusCanceled:   TransferStatusVoided,
	PaymentStatusFailed:     TransferStatusVoided,
	// A charge's.
	PaymentStatusRequiresPaymentMethod: TransferStatusPending,
	PaymentStatusRequiresConfirmation:  TransferStatusPending,
	PaymentStatusRequiresAction:        TransferStatusPending,
	PaymentStatusRequiresCapture:       TransferStatusPending,
	PaymentStatusSucceeded:             TransferStatusPosted,
}

func (s *Service) checkPayments(ctx context.Context, tenantID string, b *breaches) error {
	return pageAll(func(after string) ([]*Payment, error) {
		return s.store.FindPayments(ctx, tenantID, PaymentFilter{Sort: PaymentSortCreatedAsc, After: after, Limit: MaxLimit})
	}, func(p *Payment) string { return p.ID }, func(p *Payment) error {
		of := "payment " + p.ID
		want, ok := paymentTransfer[p.Status]
		statuses := paymentStatuses
		if p.Type == PaymentTypeCharge {
			statuses = chargeStatuses
		}
		if !slices.Contains(statuses, p.Status) {
			b.add("%s has the unknown status %q", of, p.Status)
			ok = false
		}
		t, err := s.findTransfer(ctx, tenantID, p.TransferID, of, b)
		if err != nil {
			return err
		}
		if t != nil && ok {
			// The world account's side is not on the payment.
			var debit, credit string
			switch p.Type {
			case PaymentTypeDeposit:
				credit = p.Destination.AccountID
			case PaymentTypeWithdrawal:
				debit = p.Source.AccountID
			case PaymentTypeTransfer:
				debit, credit = p.Source.AccountID, p.Destination.AccountID
			case PaymentTypeCharge:
				credit = p.Destination.AccountID
			default:
				b.add("%s has the unknown type %q", of, p.Type)
			}
			checkTransfer(b, of+" ("+string(p.Status)+")", t, "payment", p.ID, p.Amount, want, debit, credit)
		}
		if err := s.checkCharge(ctx, b, of, p); err != nil {
			return err
		}
		if p.PaymentTokenID != "" {
			tk, err := s.store.FindTokenByID(ctx, tenantID, p.PaymentTokenID)
			switch {
			case ErrorCode(err) == ENOTFOUND:
				b.add("%s: its token %s does not exist", of, p.PaymentTokenID)
			case err != nil:
				return err
			case tk.PaymentID != p.ID:
				b.add("%s: its token %s names payment %q", of, tk.ID, tk.PaymentID)
			}
		}
		return nil
	})
}

func (s *Service) checkInvoices(ctx context.Context, tenantID string, b *breaches) error {
	return pageAll(func(after *Cursor) ([]*Invoice, error) {
		invs, _, err := s.store.FindInvoices(ctx, tenantID, InvoiceFilter{ListPage: ListPage{After: after, Limit: MaxLimit}})
		return invs, err
	}, func(inv *Invoice) *Cursor {
		return &Cursor{CreatedAt: inv.CreatedAt, UID: inv.UID}
	}, func(inv *Invoice) error {
		of := fmt.Sprintf("invoice %s (%q)", inv.UID, inv.ID)
		var sum int64
		err := pageAll(func(after *Cursor) ([]*Payout, error) {
			ps, _, err := s.store.FindPayouts(ctx, tenantID, PayoutFilter{InvoiceUID: &inv.UID, ListPage: ListPage{After: after, Limit: MaxLimit}})
			return ps, err
		}, func(p *Payout) *Cursor {
			return &Cursor{CreatedAt: p.CreatedAt, UID: p.UID}
		}, func(p *Payout) error {
			if !p.Status.Valid() {
				b.add("payout %s has the unknown status %q", p.UID, p.Status)
			}
			if p.Cost.Currency != inv.Currency {
				b.add("%s in %s: its payout %s costs %s", of, inv.Currency, p.UID, p.Cost)
			}
			if p.Status != PayoutStatusCreated && inv.PaidAt == nil {
				b.add("%s is unpaid but its payout %s is %s", of, p.UID, p.Status)
			}
			sum += p.Cost.Minor()
			return nil
		})
		if err != nil {
			return err
		}
		if inv.Price.Currency != inv.Currency || inv.Price.Minor() != sum {
			b.add("%s: its price is %s, its payouts cost %s", of, inv.Price, MoneyFromMinor(sum, inv.Currency))
		}
		return nil
	})
}

func (s *Service) checkRequests(ctx context.Context, tenantID string, b *breaches) error {
	return pageAll(func(after string) ([]*Request, error) {
		return s.store.FindRequests(ctx, tenantID, RequestFilter{After: after, Limit: MaxLimit})
	}, func(r *Request) string { return r.ID }, func(r *Request) error {
		of := fmt.Sprintf("request %s (%s)", r.ID, r.describe())
		if r.Status != RequestStatusPending && r.CompletedAt == nil {
			b.add("%s has no completion time", of)
		}
		switch r.Status {
		case RequestStatusPending:
			if r.Reason != "" || r.TransactionID != "" {
				b.add("%s has a reason or a transfer (%s)", of, r.TransactionID)
			}
		case RequestStatusRejected:
			if !r.Reason.Valid() {
				b.add("%s has no known reason", of)
			}
			if r.TransactionID != "" {
				b.add("%s has the transfer %s", of, r.TransactionID)
			}
		case RequestStatusPaid:
			if r.Reason != "" {
				b.add("%s has a reason", of)
			}
			t, err := s.findTransfer(ctx, tenantID, r.TransactionID, of, b)
			if err != nil {
				return err
			}
			if t != nil {
				checkTransfer(b, of, t, "request_payment", r.ID, r.Amount, TransferStatusPosted, "", "")
			}
		default:
			b.add("%s has the unknown status %q", of, r.Status)
		}
		return nil
	})
}

func (s *Service) checkEndpoints(ctx context.Context, tenantID string, b *breaches) error {
	return pageAll(func(after string) ([]*Endpoint, error) {
		return s.store.FindEndpoints(ctx, tenantID, EndpointFilter{After: after, Limit: MaxLimit})
	}, func(e *Endpoint) string { return e.ID }, func(e *Endpoint) error {
		switch {
		case !validStandardSecret(e.StandardSecret):
			b.add("endpoint %s has no Standard Webhooks secret", e.ID)
		case e.Scheme == SchemeStandard && e.StandardSecret != e.Secret:
			b.add("standard endpoint %s has two secrets", e.ID)
		}
		return nil
	})
}

func (s *Service) checkDeliveries(ctx context.Context, tenantID string, b *breaches) error {
	endpoints := map[string]bool{} // whether each endpoint ID exists
	return pageAll(func(after string) ([]*Delivery, error) {
		return s.store.FindDeliveries(ctx, tenantID, DeliveryFilter{After: after, Limit: MaxLimit})
	}, func(d *Delivery) string { return d.ID }, func(d *Delivery) error {
		of := "delivery " + d.ID
		if !d.Status.Valid() {
			b.add("%s has the unknown status %q", of, d.Status)
		}
		if id := d.EndpointID; id != "" {
			exists, ok := endpoints[id]
			if !ok {
				_, err := s.store.FindEndpointByID(ctx, tenantID, id)
				if err != nil && ErrorCode(err) != ENOTFOUND {
					return err
				}
				exists, endpoints[id] = err == nil, err == nil
			}
			if !exists {
				b.add("%s: its endpoint %s does not exist", of, id)
			}
		}
		ev, err := s.store.FindEventByID(ctx, tenantID, d.EventID)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			b.add("%s: its event %s does not exist", of, d.EventID)
		case err != nil:
			return err
		case ev.Type != d.EventType:
			b.add("%s is of a %s event, but event %s is %s", of, d.EventType, ev.ID, ev.Type)
		}
		return nil
	})
}

// checkCharge records the breaches of a charge's own invariants (see
// CheckInvariants); a payment of another type has no Charge.
func (s *Service) checkCharge(ctx context.Context, b *breaches, of string, p *Payment) error {
	ch := p.Charge
	switch {
	case p.Type != PaymentTypeCharge && ch != nil:
		b.add("%s is a %s with a charge", of, p.Type)
		return nil
	case p.Type != PaymentTypeCharge:
		return nil
	case ch == nil:
		b.add("%s is a charge without its charge", of)
		return nil
	}
	c := p.Amount.Currency
	sum, sub, tr, wh := int64(0), int64(0), int64(0), int64(0)
	for i, it := range ch.Items {
		total := it.Base.Minor()
		for _, t := range it.Taxes {
			if t.Withholding {
				total -= t.Amount.Minor()
				wh += t.Amount.Minor()
			} else {
				total += t.Amount.Minor()
				tr += t.Amount.Minor()
			}
		}
		if it.Total.Currency != c || it.Total.Minor() != total {
			b.add("%s: item %d totals %s, its base and taxes %s", of, i, it.Total, MoneyFromMinor(total, c))
		}
		sum += it.Total.Minor()
		sub += it.Base.Minor()
	}
	if sum != p.Amount.Minor() || len(ch.Items) == 0 {
		b.add("%s of %s: its %d items total %s", of, p.Amount, len(ch.Items), MoneyFromMinor(sum, c))
	}
	if ch.Subtotal.Minor() != sub || ch.Transferred.Minor() != tr || ch.Withheld.Minor() != wh {
		b.add("%s: subtotal %s, taxes %s and %s; its items say %s, %s and %s", of, ch.Subtotal, ch.Transferred, ch.Withheld,
			MoneyFromMinor(sub, c), MoneyFromMinor(tr, c), MoneyFromMinor(wh, c))
	}
	if (p.Status == PaymentStatusSucceeded) != (ch.SucceededAt != nil) {
		b.add("%s is %s with the success time %v", of, p.Status, ch.SucceededAt)
	}
	if err := s.checkChargeDocuments(ctx, b, of, p); err != nil {
		return err
	}
	sp := ch.Split
	if sp == nil {
		return nil
	}
	master := RoundMoney(p.Amount.Amount.Mul(sp.MasterPercent).Div(decimal.NewFromInt(100)), c)
	if sp.MasterAmount.Minor()+sp.ConnectAmount.Minor() != p.Amount.Minor() || sp.MasterAmount.Minor() != master.Minor() {
		b.add("%s of %s split %s%% to the master: %s and %s", of, p.Amount, sp.MasterPercent, sp.MasterAmount, sp.ConnectAmount)
	}
	moved := p.Status == PaymentStatusSucceeded && sp.ConnectAmount.Minor() > 0
	if !moved {
		if sp.OutTransferID != "" || sp.InTransferID != "" {
			b.add("%s is %s but its split moved money", of, p.Status)
		}
		return nil
	}
	out, err := s.findTransfer(ctx, p.TenantID, sp.OutTransferID, of+" (its split out)", b)
	if err != nil {
		return err
	}
	if out != nil {
		checkTransfer(b, of+" (split out)", out, "payment_split", p.ID, sp.ConnectAmount, TransferStatusPosted, p.Destination.AccountID, "")
	}
	in, err := s.findTransfer(ctx, sp.Destination, sp.InTransferID, of+" (its split in, in "+sp.Destination+")", b)
	if err != nil {
		return err
	}
	if in != nil {
		checkTransfer(b, of+" (split in)", in, "payment_split", p.ID, sp.ConnectAmount, TransferStatusPosted, "", "")
	}
	return nil
}
