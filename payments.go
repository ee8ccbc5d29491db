package paykit

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// PaymentType is what a payment moves money between.
type PaymentType string

// Payment types, as GigPay documents them.
const (
	PaymentTypeDeposit    PaymentType = "deposit"    // external → account
	PaymentTypeTransfer   PaymentType = "transfer"   // account → account (an accepted token)
	PaymentTypeWithdrawal PaymentType = "withdrawal" // account → external storage, through the rail
)

// PaymentTypeCharge is a team's charge to a client, collected through a
// processor, with its own statuses (charges.go). It is not one of the account
// payment types above, which ParsePaymentType takes and their filters list.
const PaymentTypeCharge PaymentType = "charge"

// paymentTypes are the PaymentType values, in their documented order.
var paymentTypes = []PaymentType{PaymentTypeDeposit, PaymentTypeTransfer, PaymentTypeWithdrawal}

// Valid reports whether t is one of the PaymentType constants.
func (t PaymentType) Valid() bool { return slices.Contains(paymentTypes, t) || t == PaymentTypeCharge }

// ParsePaymentType returns the PaymentType s names, exactly. It returns
// EINVALID naming field for any other s.
func ParsePaymentType(field, s string) (PaymentType, error) {
	return parseEnum(field, "Type", s, paymentTypes)
}

// PaymentStatus is where a payment is in its lifecycle.
type PaymentStatus string

// Payment statuses, as GigPay documents them.
const (
	PaymentStatusPending    PaymentStatus = "pending"    // created, not yet with the rail
	PaymentStatusProcessing PaymentStatus = "processing" // with the rail
	PaymentStatusCompleted  PaymentStatus = "completed"
	PaymentStatusCanceled   PaymentStatus = "canceled" // the rail refused or reversed it downstream
	PaymentStatusFailed     PaymentStatus = "failed"   // failed for an unexpected reason
)

// paymentStatuses are the PaymentStatus values, in their documented order.
var paymentStatuses = []PaymentStatus{PaymentStatusPending, PaymentStatusProcessing, PaymentStatusCompleted,
	PaymentStatusCanceled, PaymentStatusFailed}

// Valid reports whether st is one of the documented payment statuses.
func (st PaymentStatus) Valid() bool { return slices.Contains(paymentStatuses, st) }

// ParsePaymentStatus returns the PaymentStatus s names, exactly. It returns
// EINVALID naming field for any other s.
func ParsePaymentStatus(field, s string) (PaymentStatus, error) {
	return parseEnum(field, "Status", s, paymentStatuses)
}

// Events of payments.
const (
	EventPaymentCreated    = "payment.created"
	EventPaymentProcessing = "payment.processing" // handed to its rail
	EventPaymentCompleted  = "payment.completed"
	EventPaymentCanceled   = "payment.canceled"
	EventPaymentFailed     = "payment.failed"
)

// paymentEvents are the events of the moves movePayment makes.
var paymentEvents = map[PaymentStatus]string{
	PaymentStatusProcessing: EventPaymentProcessing,
	PaymentStatusCompleted:  EventPaymentCompleted,
	PaymentStatusCanceled:   EventPaymentCanceled,
	PaymentStatusFailed:     EventPaymentFailed,
}

// Party is one side of a payment, shaped like GigPay's source and destination:
// an account of a business or a user, or storage outside paykit.
type Party struct {
	AccountID         string `json:"id,omitempty"`
	BusinessAccountID string `json:"businessAccountId,omitempty"`
	UserIdentityID    string `json:"userIdentityId,omitempty"`
	ExternalStorage   string `json:"externalStorage,omitempty"`
}

// Payment is a movement of money with a lifecycle. Its funds are held by one
// pending ledger transfer (TransferID) from creation; completing the payment
// posts it, and canceling or failing it voids it.
type Payment struct {
	ID             string        `json:"id"`
	TenantID       string        `json:"tenantId"`
	Type           PaymentType   `json:"type"`
	Status         PaymentStatus `json:"status"`
	Amount         Money         `json:"amount"`
	Source         Party         `json:"source"`
	Destination    Party         `json:"destination"`
	PaymentTokenID string        `json:"paymentTokenId,omitempty"`
	TransferID     string        `json:"transferId"`
	RailReference  string        `json:"railReference,omitempty"`
	FailureReason  string        `json:"failureReason,omitempty"`
	SubmittedAt    *time.Time    `json:"submittedAt,omitempty"` // when the rail took it
	LeaseUntil     *time.Time    `json:"-"`                     // a worker is submitting it until then
	Charge         *Charge       `json:"charge,omitempty"`      // a charge's client, items and processor (PaymentTypeCharge)
	CreatedAt      time.Time     `json:"createdAt"`
	UpdatedAt      time.Time     `json:"updatedAt"`
}

// PaymentSort orders a payment list. Every order is a keyset, ties broken by ID.
type PaymentSort string

// Payment sort orders; the default is PaymentSortCreatedAsc.
const (
	PaymentSortCreatedAsc  PaymentSort = "createdAt"
	PaymentSortCreatedDesc PaymentSort = "-createdAt"
	PaymentSortAmountAsc   PaymentSort = "amount"
	PaymentSortAmountDesc  PaymentSort = "-amount"
)

// paymentSorts are the PaymentSort values.
var paymentSorts = []PaymentSort{PaymentSortCreatedAsc, PaymentSortCreatedDesc, PaymentSortAmountAsc, PaymentSortAmountDesc}

// Valid reports whether o is one of the PaymentSort constants; the empty sort,
// which lists take as PaymentSortCreatedAsc, is not one.
func (o PaymentSort) Valid() bool { return slices.Contains(paymentSorts, o) }

// ParsePaymentSort returns the PaymentSort s names, exactly. It returns
// EINVALID naming field for any other s.
func ParsePaymentSort(field, s string) (PaymentSort, error) {
	return parseEnum(field, "Sort", s, paymentSorts)
}

// PaymentFilter selects payments; nil fields match all.
type PaymentFilter struct {
	Type           *PaymentType
	Types          []PaymentType // any of them; nil for all
	Status         *PaymentStatus
	PaymentTokenID *string
	AccountID      *string    // source or destination
	CreatedFrom    *time.Time // inclusive
	CreatedUntil   *time.Time // exclusive
	ClientID       *string    // a charge's client
	RFC            *string    // a charge's client's RFC
	AmountMinor    *int64     // the amount in minor units
	Sort           PaymentSort
	After          string // keyset cursor: the ID of the last payment of the previous page
	Limit          int
}

// paymentLifecycle is the payment lifecycle: every allowed move, and nothing else.
var paymentLifecycle = lifecycle[PaymentStatus]{
	next: map[PaymentStatus][]PaymentStatus{
		PaymentStatusPending:    {PaymentStatusProcessing, PaymentStatusCanceled, PaymentStatusFailed},
		PaymentStatusProcessing: {PaymentStatusCompleted, PaymentStatusCanceled, PaymentStatusFailed},
	},
	cannot: "Payment %[1]s is %[2]s and cannot become %[3]s.",
}

// terminal reports whether a payment in st has ended.
func (st PaymentStatus) terminal() bool { return paymentLifecycle.final(st) }

// movePayment changes p's status, writes it and fires its event
// (paymentEvents).
func (s *Service) movePayment(ctx context.Context, tx Tx, now time.Time, p *Payment, to PaymentStatus, reason string) error {
	lc, events := &paymentLifecycle, paymentEvents
	if p.Type == PaymentTypeCharge {
		lc, events = &chargeLifecycle, chargeEvents
	}
	if err := lc.check(p.ID, p.Status, to); err != nil {
		return err
	}
	typ, err := eventOf(events, "payment "+p.ID, to)
	if err != nil {
		return err
	}
	p.Status, p.UpdatedAt = to, now
	if reason != "" {
		p.FailureReason = reason
	}
	if err := tx.UpdatePayment(ctx, p); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, p.TenantID, typ, p.ID, p)
}

// settlePayment moves p to a final status, posts or voids its funds and closes the
// token it came from, in the caller's transaction.
func (s *Service) settlePayment(ctx context.Context, tx Tx, now time.Time, p *Payment, to PaymentStatus, reason string) error {
	if err := s.movePayment(ctx, tx, now, p, to, reason); err != nil {
		return err
	}
	settle := TransferStatusVoided
	if to == PaymentStatusCompleted {
		settle = TransferStatusPosted
	}
	if err := s.settleTransfer(ctx, tx, now, p.TenantID, p.TransferID, settle); err != nil {
		return err
	}
	if p.PaymentTokenID == "" {
		return nil
	}
	t, err := tx.FindTokenByID(ctx, p.TenantID, p.PaymentTokenID)
	if err != nil {
		return fmt.Errorf("token of payment %s: %w", p.ID, err)
	}
	tokenTo := TokenStatusClosed
	if to == PaymentStatusCompleted {
		tokenTo = TokenStatusSucceeded
	}
	return s.moveToken(ctx, tx, now, t, tokenTo)
}

// DepositCreate is the input of CreateDeposit.
type DepositCreate struct {
	DestinationAccountID string          `json:"destinationAccountId"`
	Amount               decimal.Decimal `json:"amount"`
	AssetType            string          `json:"assetType"`
	ExternalStorage      string          `json:"externalStorage"` // where the money comes from: "wire", a bank account...
}

// WithdrawalCreate is the input of CreateWithdrawal.
type WithdrawalCreate struct {
	SourceAccountID string          `json:"sourceAccountId"`
	Amount          decimal.Decimal `json:"amount"`
	AssetType       string          `json:"assetType"`
	ExternalStorage string          `json:"externalStorage"` // the offramp: "ach:…", "wire:…", "zelle:…"
}

// CreateDeposit records money on its way into an account from outside. The
// payment is processing, and its amount shows as incoming (not available) until
// the rail completes it. Returns EINVALID.
func (s *Service) CreateDeposit(ctx context.Context, tenantID string, in DepositCreate) (*Payment, error) {
	return write(ctx, s, tenantID, "deposit.create", in, func(tx Tx, now time.Time) (*Payment, error) {
		amount, dest, err := s.moneyForAccount(ctx, tx, tenantID, in.Amount, in.AssetType, "destinationAccountId", in.DestinationAccountID)
		if err != nil {
			return nil, err
		}
		return s.createPayment(ctx, tx, now, tenantID, &Payment{
			Type: PaymentTypeDeposit, Status: PaymentStatusProcessing, Amount: amount,
			Source:      Party{ExternalStorage: orDefault(in.ExternalStorage, "external")},
			Destination: partyOf(dest),
			SubmittedAt: &now, // nothing to hand to the rail: the money is on its way to us
		}, dest, true)
	})
}

// CreateWithdrawal reserves money in an account and sends it to external storage
// through the rail. The payment is pending until the rail takes it. Returns
// EINVALID, and ECONFLICT when the available balance is short.
func (s *Service) CreateWithdrawal(ctx context.Context, tenantID string, in WithdrawalCreate) (*Payment, error) {
	return write(ctx, s, tenantID, "withdrawal.create", in, func(tx Tx, now time.Time) (*Payment, error) {
		if strings.TrimSpace(in.ExternalStorage) == "" {
			return nil, invalid("externalStorage", msgRequired)
		}
		amount, src, err := s.moneyForAccount(ctx, tx, tenantID, in.Amount, in.AssetType, "sourceAccountId", in.SourceAccountID)
		if err != nil {
			return nil, err
		}
		return s.createPayment(ctx, tx, now, tenantID, &Payment{
			Type: PaymentTypeWithdrawal, Status: PaymentStatusPending, Amount: amount,
			Source: partyOf(src), Destination: Party{ExternalStorage: in.ExternalStorage},
		}, src, false)
	})
}

// moneyForAccount validates an amount and asset type against an account the
// tenant owns.
func (s *Service) moneyForAccount(ctx context.Context, tx Tx, tenantID string, amount decimal.Decimal, asset, field, accountID string) (Money, *Account, error) {
	var v Validation
	c, err := ParseCurrency("assetType", asset)
	if err != nil {
		v.Add("assetType", ErrorMessage(err))
	}
	var m Money
	if c != "" {
		if m, err = NewPositiveMoney("amount", amount, c); err != nil {
			v.Add("amount", ErrorMessage(err))
		}
	}
	if accountID == "" {
		v.Add(field, msgRequired)
	}
	if err := v.Err(); err != nil {
		return Money{}, nil, err
	}
	a, err := spendableAccount(ctx, tx, tenantID, field, accountID)
	if err != nil {
		return Money{}, nil, err
	}
	if a.Currency != c {
		return Money{}, nil, invalid("assetType", "Account %s holds %s, not %s.", a.ID, a.Currency, c)
	}
	return m, a, nil
}

// createPayment inserts p with its pending transfer between account and the
// tenant's world account (incoming: world → account; outgoing: account → world),
// and fires payment.created.
func (s *Service) createPayment(ctx context.Context, tx Tx, now time.Time, tenantID string, p *Payment, account *Account, incoming bool) (*Payment, error) {
	world, err := s.systemAccount(ctx, tx, now, tenantID, accountCodeWorld, p.Amount.Currency)
	if err != nil {
		return nil, err
	}
	p.ID, p.TenantID, p.CreatedAt, p.UpdatedAt = newID(), tenantID, now, now
	t := &Transfer{Amount: p.Amount.Minor(), Currency: p.Amount.Currency, Status: TransferStatusPending, Kind: "payment", Ref: p.ID}
	debit, credit := account, world
	if incoming {
		debit, credit = world, account
	}
	if err := s.transfer(ctx, tx, now, t, debit, credit); err != nil {
		return nil, err
	}
	p.TransferID = t.ID
	if err := tx.CreatePayment(ctx, p); err != nil {
		return nil, err
	}
	return p, s.appendEvent(ctx, tx, now, tenantID, EventPaymentCreated, p.ID, p)
}

func partyOf(a *Account) Party {
	return Party{AccountID: a.ID, BusinessAccountID: a.BusinessAccountID, UserIdentityID: a.UserIdentityID, ExternalStorage: a.ExternalStorage}
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// CompletePayment records the rail's report that a processing payment arrived:
// its funds are posted, and the token it came from succeeds. Returns ENOTFOUND,
// and ECONFLICT when the payment is not processing.
func (s *Service) CompletePayment(ctx context.Context, tenantID, id string) (*Payment, error) {
	return s.finishPayment(ctx, tenantID, id, PaymentStatusCompleted, "")
}

// CancelPayment records the rail's report that a payment failed downstream (the
// provider refused or reversed it): its funds are released, and the token it came
// from is closed. Returns ENOTFOUND and ECONFLICT.
func (s *Service) CancelPayment(ctx context.Context, tenantID, id, reason string) (*Payment, error) {
	return s.finishPayment(ctx, tenantID, id, PaymentStatusCanceled, reason)
}

// FailPayment records that a payment failed for an unexpected reason: its funds
// are released, and the token it came from is closed. Returns ENOTFOUND and
// ECONFLICT.
func (s *Service) FailPayment(ctx context.Context, tenantID, id, reason string) (*Payment, error) {
	return s.finishPayment(ctx, tenantID, id, PaymentStatusFailed, reason)
}

func (s *Service) finishPayment(ctx context.Context, tenantID, id string, to PaymentStatus, reason string) (*Payment, error) {
	in := struct{ ID, Status, Reason string }{id, string(to), reason}
	return write(ctx, s, tenantID, "payment.settle", in, func(tx Tx, now time.Time) (*Payment, error) {
		p, err := tx.FindPaymentByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if p.Type == PaymentTypeCharge {
			return nil, Errorf(ECONFLICT, "Payment %s is a charge: its processor moves it (MoveCharge).", p.ID)
		}
		return p, s.settlePayment(ctx, tx, now, p, to, reason)
	})
}

// FindPaymentByID returns one of the tenant's payments. Returns ENOTFOUND.
func (s *Service) FindPaymentByID(ctx context.Context, tenantID, id string) (*Payment, error) {
	return s.store.FindPaymentByID(ctx, tenantID, id)
}

// FindPayments lists the tenant's payments, filtered, sorted and paginated by
// keyset. Returns EINVALID for an unknown sort, type or status.
func (s *Service) FindPayments(ctx context.Context, tenantID string, f PaymentFilter) ([]*Payment, error) {
	if err := checkPaymentFilter(&f); err != nil {
		return nil, err
	}
	f.Limit = clampLimit(f.Limit)
	return s.store.FindPayments(ctx, tenantID, f)
}

// FindPaymentPage is FindPayments that also says how many payments the filter
// selects in all, whatever the page. Returns EINVALID.
func (s *Service) FindPaymentPage(ctx context.Context, tenantID string, f PaymentFilter) ([]*Payment, int, error) {
	if err := checkPaymentFilter(&f); err != nil {
		return nil, 0, err
	}
	f.Limit = clampLimit(f.Limit)
	return s.store.FindPaymentPage(ctx, tenantID, f)
}

// FindAllPayments yields every payment of the tenant that f selects, in f.Sort's
// order, after the payment f.After when it is set; f.Limit is ignored. The
// payments come from one query on one snapshot, one at a time, so a caller
// can pass any number of them along in constant memory (GigPay's list, which
// "will return all payments"). An EINVALID for an unknown sort, type or status
// is yielded before any payment; a failure of the query ends the sequence with
// its error. Breaking out of the loop ends the query.
func (s *Service) FindAllPayments(ctx context.Context, tenantID string, f PaymentFilter) iter.Seq2[*Payment, error] {
	if err := checkPaymentFilter(&f); err != nil {
		return func(yield func(*Payment, error) bool) { yield(nil, err) }
	}
	f.Limit = 0
	return s.store.FindAllPayments(ctx, tenantID, f)
}

// checkPaymentFilter checks f's enums and sets its default sort. A status is
// one of the charges' when the filter selects charges only.
func checkPaymentFilter(f *PaymentFilter) error {
	if f.Sort == "" {
		f.Sort = PaymentSortCreatedAsc
	} else if _, err := ParsePaymentSort("sort", string(f.Sort)); err != nil {
		return err
	}
	charges := f.Type != nil && *f.Type == PaymentTypeCharge || len(f.Types) == 1 && f.Types[0] == PaymentTypeCharge
	if f.Type != nil && *f.Type != PaymentTypeCharge {
		if _, err := ParsePaymentType("type", string(*f.Type)); err != nil {
			return err
		}
	}
	if f.Status != nil {
		parse := ParsePaymentStatus
		if charges {
			parse = ParseChargeStatus
		}
		if _, err := parse("status", string(*f.Status)); err != nil {
			return err
		}
	}
	return nil
}

// PaymentStore reads payments.
type PaymentStore interface {
	FindPaymentByID(ctx context.Context, tenantID, id string) (*Payment, error)
	// FindPayments returns up to f.Limit payments that f selects, in f.Sort's
	// order (ties broken by ID), after the payment f.After when it is set.
	FindPayments(ctx context.Context, tenantID string, f PaymentFilter) ([]*Payment, error)
	// FindAllPayments yields every payment FindPayments would return without a
	// limit, in the same order, from ONE query on one snapshot, holding one row
	// at a time: memory stays flat at any count. A failure is yielded once, as
	// the last pair. Breaking out of the loop releases the query. Outside a
	// transaction the loop body may use the Store; inside one, it must not run
	// other statements on the Tx until the loop ends (one connection cannot
	// always interleave them).
	FindAllPayments(ctx context.Context, tenantID string, f PaymentFilter) iter.Seq2[*Payment, error]
	// FindPaymentPage returns what FindPayments does and how many payments f
	// selects in all (f's After and Limit aside).
	FindPaymentPage(ctx context.Context, tenantID string, f PaymentFilter) ([]*Payment, int, error)
	// FindPaymentByLinkToken returns the charge whose payment link has token,
	// of any tenant: a lookup that finds the tenant, like FindAPIKeyByHash.
	// Returns ENOTFOUND.
	FindPaymentByLinkToken(ctx context.Context, token string) (*Payment, error)
}

// PaymentTx writes payments and leases them to the rail.
type PaymentTx interface {
	// CreatePayment inserts p. Returns ECONFLICT when the tenant has a
	// payment with its ID, with its PaymentTokenID (a token is accepted into
	// one payment) or, for a charge, with its internal ID (unique per
	// tenant), naming the field "charge.internalId" then.
	CreatePayment(ctx context.Context, p *Payment) error
	// UpdatePayment writes every mutable field of p: Status, FailureReason,
	// RailReference, SubmittedAt, LeaseUntil, Charge and UpdatedAt.
	UpdatePayment(ctx context.Context, p *Payment) error
	// ClaimPaymentsToSubmit leases, until leaseUntil, up to limit payments of every
	// tenant that are pending or processing, not yet submitted to the rail, and
	// not leased at now, and returns them with LeaseUntil set.
	ClaimPaymentsToSubmit(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*Payment, error)
}
