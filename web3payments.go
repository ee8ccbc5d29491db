package paykit

import (
	"context"
	"slices"
	"time"
)

// Web3 payments are RudiqPay's noun: a node asks a payer to pay a price to
// an address before the payment expires. A payment whose method is web3 is
// paid on a chain: background work opens a deal for it on the network's
// escrow contract (CreateDeal), the payer's wallet deposits into the deal
// with the widget's arguments, and the deposit's confirmed event completes
// the payment, with its transaction hash, and moves the price through the
// ledger. The other methods (credit_card, bank_transfer) have no rail in
// paykit: they are recorded, and end cancelled or expired.
//
// The statuses are paykit's own (the vendor documents only pending), one
// lifecycle, web3PaymentLifecycle:
//
//	pending     created; its deal is not on the chain yet: queued for
//	            background work, or its creation failed (DealError set:
//	            RetryWeb3Payment queues it again)
//	processing  the deal's creation was sent (DealTxHash); DealOpenedAt is set
//	            once it is confirmed; the payer may deposit
//	completed   a confirmed deposit paid the deal (TransactionHash)
//	cancelling  cancellation asked: the deal is being cancelled on the chain
//	cancelled   the deal's cancellation is confirmed, or the payment never
//	            reached the chain
//	expired     ExpiresAt passed by the Clock with no deposit seen
//	failed      the contract refused the deal (another deal holds its id, or
//	            the chain's clock is past its expiry)
//
// The chain decides whether money moved: a deposit mined before the deal's
// expiry (by block time) whose confirmation arrives after the payment expired
// by the Clock completes it (expired → completed), and one that beats a
// cancellation completes a cancelling payment.

// Web3PaymentStatus is where a web3 payment is in its lifecycle.
type Web3PaymentStatus string

// Web3 payment statuses.
const (
	Web3PaymentStatusPending    Web3PaymentStatus = "pending"
	Web3PaymentStatusProcessing Web3PaymentStatus = "processing"
	Web3PaymentStatusCompleted  Web3PaymentStatus = "completed"
	Web3PaymentStatusCancelling Web3PaymentStatus = "cancelling"
	Web3PaymentStatusCancelled  Web3PaymentStatus = "cancelled"
	Web3PaymentStatusExpired    Web3PaymentStatus = "expired"
	Web3PaymentStatusFailed     Web3PaymentStatus = "failed"
)

// web3PaymentStatuses are the Web3PaymentStatus values.
var web3PaymentStatuses = []Web3PaymentStatus{Web3PaymentStatusPending, Web3PaymentStatusProcessing,
	Web3PaymentStatusCompleted, Web3PaymentStatusCancelling, Web3PaymentStatusCancelled, Web3PaymentStatusExpired,
	Web3PaymentStatusFailed}

// Valid reports whether st is one of the web3 payment statuses.
func (st Web3PaymentStatus) Valid() bool { return slices.Contains(web3PaymentStatuses, st) }

// Web3PaymentMethod is how the payer pays.
type Web3PaymentMethod string

// Payment methods, as RudiqPay documents them. Only web3 goes to a chain.
const (
	Web3PaymentMethodWeb3         Web3PaymentMethod = "web3"
	Web3PaymentMethodCreditCard   Web3PaymentMethod = "credit_card"
	Web3PaymentMethodBankTransfer Web3PaymentMethod = "bank_transfer"
)

var web3PaymentMethods = []Web3PaymentMethod{Web3PaymentMethodWeb3, Web3PaymentMethodCreditCard, Web3PaymentMethodBankTransfer}

// Valid reports whether m is one of the payment methods.
func (m Web3PaymentMethod) Valid() bool { return slices.Contains(web3PaymentMethods, m) }

// Web3PaymentGroup is what a payment is for.
type Web3PaymentGroup string

// Payment groups, as RudiqPay documents them.
const (
	Web3PaymentGroupProduct               Web3PaymentGroup = "product"
	Web3PaymentGroupListingOrSubscription Web3PaymentGroup = "listing_or_subscription"
)

var web3PaymentGroups = []Web3PaymentGroup{Web3PaymentGroupProduct, Web3PaymentGroupListingOrSubscription}

// Valid reports whether g is one of the payment groups.
func (g Web3PaymentGroup) Valid() bool { return slices.Contains(web3PaymentGroups, g) }

// Events of web3 payments: every change, status or not, fires one.
const (
	EventWeb3PaymentCreated    = "web3payment.created"
	EventWeb3PaymentProcessing = "web3payment.processing"  // its deal's creation was sent to the chain
	EventWeb3PaymentDealOpened = "web3payment.deal_opened" // the deal's creation is confirmed on the chain
	EventWeb3PaymentDealFailed = "web3payment.deal_failed" // the creation reverted or was dropped: pending again
	EventWeb3PaymentRetried    = "web3payment.retried"     // RetryWeb3Payment queued it again
	EventWeb3PaymentCancelling = "web3payment.cancelling"  // cancellation asked
	EventWeb3PaymentCancelled  = "web3payment.cancelled"
	EventWeb3PaymentCompleted  = "web3payment.completed"
	EventWeb3PaymentExpired    = "web3payment.expired"
	EventWeb3PaymentFailed     = "web3payment.failed"
)

// web3PaymentLifecycle is the web3 payment lifecycle. Expired is final but for
// a deposit the chain confirms late; cancelled, completed and failed are
// final.
var web3PaymentLifecycle = lifecycle[Web3PaymentStatus]{
	next: map[Web3PaymentStatus][]Web3PaymentStatus{
		Web3PaymentStatusPending: {Web3PaymentStatusProcessing, Web3PaymentStatusCancelling, Web3PaymentStatusCancelled,
			Web3PaymentStatusExpired, Web3PaymentStatusFailed},
		Web3PaymentStatusProcessing: {Web3PaymentStatusPending, Web3PaymentStatusCompleted, Web3PaymentStatusCancelling,
			Web3PaymentStatusCancelled, Web3PaymentStatusExpired},
		Web3PaymentStatusCancelling: {Web3PaymentStatusCompleted, Web3PaymentStatusCancelled},
		Web3PaymentStatusExpired:    {Web3PaymentStatusCompleted},
	},
	cannot: "Payment %[1]s is %[2]s and cannot become %[3]s.",
}

// web3PaymentEvents are the events of the status moves.
var web3PaymentEvents = map[Web3PaymentStatus]string{
	Web3PaymentStatusPending:    EventWeb3PaymentDealFailed,
	Web3PaymentStatusProcessing: EventWeb3PaymentProcessing,
	Web3PaymentStatusCompleted:  EventWeb3PaymentCompleted,
	Web3PaymentStatusCancelling: EventWeb3PaymentCancelling,
	Web3PaymentStatusCancelled:  EventWeb3PaymentCancelled,
	Web3PaymentStatusExpired:    EventWeb3PaymentExpired,
	Web3PaymentStatusFailed:     EventWeb3PaymentFailed,
}

// Web3Payment is a payment of a node: Price, of which the payer pays
// PaidPrice, to PaymentAddress, before ExpiresAt.
type Web3Payment struct {
	ID             string            `json:"id"`
	TenantID       string            `json:"tenantId"`
	NodeID         string            `json:"nodeId"`
	ExternalID     string            `json:"externalId"` // the node's reference, unique per node
	ChainID        string            `json:"chainId,omitempty"`
	NetworkID      string            `json:"networkId"`
	WalletID       string            `json:"walletId,omitempty"`
	MemberID       string            `json:"memberId,omitempty"`
	Member         map[string]string `json:"member,omitempty"` // the payer, inline: external_id, name, surname, email ...
	CurrencyID     string            `json:"currencyId"`
	Price          Money             `json:"price"`
	PaidPrice      Money             `json:"paidPrice"` // what the payer pays: the deal's price
	Method         Web3PaymentMethod `json:"method"`
	Group          Web3PaymentGroup  `json:"group"`
	PaymentAddress string            `json:"paymentAddress"` // the payee: a chain address for web3
	Items          []Web3PaymentItem `json:"items"`
	Metadata       string            `json:"metadata"`
	ExpiresAt      time.Time         `json:"expiresAt"`
	Retry          bool              `json:"retry"`
	RetryCount     int               `json:"retryCount"` // grows with each RetryWeb3Payment
	ClientIP       string            `json:"clientIp,omitempty"`
	Status         Web3PaymentStatus `json:"status"`

	// The chain: the deal is DealID on ContractID's contract (web3 only).
	ContractID      string     `json:"contractId,omitempty"`
	DealID          DealID     `json:"dealId,omitempty"`
	DealTxHash      string     `json:"dealTxHash,omitempty"`   // the deal's creation, last sent
	DealError       string     `json:"dealError,omitempty"`    // why its creation failed (pending)
	DealOpenedAt    *time.Time `json:"dealOpenedAt,omitempty"` // when its creation was confirmed
	CancelTxHash    string     `json:"cancelTxHash,omitempty"`
	TransactionHash string     `json:"transactionHash,omitempty"` // the payer's deposit (completed)
	Payer           string     `json:"payer,omitempty"`           // who deposited
	FailureReason   string     `json:"failureReason,omitempty"`   // why it failed
	TransferID      string     `json:"transferId,omitempty"`      // the ledger transfer of PaidPrice (completed)
	SentAt          *time.Time `json:"sentAt,omitempty"`          // when the deal's creation was last sent
	CompletedAt     *time.Time `json:"completedAt,omitempty"`
	CancelledAt     *time.Time `json:"cancelledAt,omitempty"`
	CreatedAt       time.Time  `json:"createdAt"`
	UpdatedAt       time.Time  `json:"updatedAt"`

	// AccessToken authenticates the widget for this payment until ExpiresAt.
	// It is never in an event: the Service fills it in the payments it
	// returns, from AccessTokenSealed.
	AccessToken       string     `json:"-"`
	AccessTokenHash   []byte     `json:"-"` // sha256 of AccessToken: how the widget finds the payment
	AccessTokenSealed string     `json:"-"` // AccessToken sealed (sealing.go)
	LeaseUntil        *time.Time `json:"-"` // background work holds it until then
}

// Web3PaymentItem is one line of a payment.
type Web3PaymentItem struct {
	Name       string `json:"name"`
	Price      Money  `json:"price"`
	ExternalID string `json:"externalId,omitempty"`
}

// Web3PaymentFilter selects web3 payments, newest first. The Service needs
// NodeID (a node's own payments, not those of the nodes under it); the Store
// lists the whole tenant's without it.
type Web3PaymentFilter struct {
	NodeID    *string
	WalletID  *string
	NetworkID *string
	Offset    int
	Limit     int
}

// expiredAt reports whether p, not yet on its way to an end, is past its
// expiry at now: it expires at the instant ExpiresAt.
func (p *Web3Payment) expiredAt(now time.Time) bool {
	return (p.Status == Web3PaymentStatusPending || p.Status == Web3PaymentStatusProcessing) && !now.Before(p.ExpiresAt)
}

// asOf returns p as it stands at now: it reads expired from ExpiresAt on,
// exactly as the sweep will write it.
func (p *Web3Payment) asOf(now time.Time) *Web3Payment {
	if !p.expiredAt(now) {
		return p
	}
	c := *p
	c.Status, c.UpdatedAt = Web3PaymentStatusExpired, p.ExpiresAt
	return &c
}

// findWeb3Payment returns the tenant's payment id, which a must reach.
// Returns ENOTFOUND and EFORBIDDEN.
func findWeb3Payment(ctx context.Context, st Store, a NodeAccess, id string) (*Web3Payment, error) {
	p, err := st.FindWeb3PaymentByID(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	if err := reach(ctx, st, a, "", p.NodeID); ErrorCode(err) == EFORBIDDEN {
		return nil, Errorf(EFORBIDDEN, "The integration's node has no access to payment %s's node.", id)
	} else if err != nil {
		return nil, err
	}
	return p, nil
}

// FindWeb3PaymentByID returns one of the tenant's payments as it stands now,
// with its AccessToken. Returns ENOTFOUND, and EFORBIDDEN when a cannot reach
// its node.
func (s *Service) FindWeb3PaymentByID(ctx context.Context, a NodeAccess, id string) (*Web3Payment, error) {
	p, err := findWeb3Payment(ctx, s.store, a, id)
	if err != nil {
		return nil, err
	}
	return s.withAccessToken(ctx, p.asOf(s.now()))
}

// FindWeb3Payments returns a page of the payments of the node f.NodeID, which
// a must reach, newest first, and how many the filter selects in all; each
// with its AccessToken. Returns EINVALID without a node, ENOTFOUND on
// "nodeId" for an unknown node and EFORBIDDEN.
func (s *Service) FindWeb3Payments(ctx context.Context, a NodeAccess, f Web3PaymentFilter) ([]*Web3Payment, int, error) {
	if f.NodeID == nil || *f.NodeID == "" {
		return nil, 0, invalid("nodeId", msgRequired)
	}
	if err := reach(ctx, s.store, a, "nodeId", *f.NodeID); err != nil {
		return nil, 0, err
	}
	f.Limit, f.Offset = clampLimit(f.Limit), max(f.Offset, 0)
	ps, total, err := s.store.FindWeb3Payments(ctx, a.TenantID, f)
	if err != nil {
		return nil, 0, err
	}
	now := s.now()
	for i, p := range ps {
		if ps[i], err = s.withAccessToken(ctx, p.asOf(now)); err != nil {
			return nil, 0, err
		}
	}
	return ps, total, nil
}

// FindWeb3PaymentLogs returns a page of the payment's events, newest first,
// and how many it has: its log. Returns ENOTFOUND and EFORBIDDEN.
func (s *Service) FindWeb3PaymentLogs(ctx context.Context, a NodeAccess, id string, offset, limit int) ([]*Event, int, error) {
	if _, err := findWeb3Payment(ctx, s.store, a, id); err != nil {
		return nil, 0, err
	}
	return s.store.FindWeb3PaymentEvents(ctx, a.TenantID, id, max(offset, 0), clampLimit(limit))
}

// moveWeb3Payment changes p's status, stamps the times that go with it, writes
// it and fires its event.
func (s *Service) moveWeb3Payment(ctx context.Context, tx Tx, now time.Time, p *Web3Payment, to Web3PaymentStatus) error {
	if err := web3PaymentLifecycle.check(p.ID, p.Status, to); err != nil {
		return err
	}
	typ, err := eventOf(web3PaymentEvents, "payment "+p.ID, to)
	if err != nil {
		return err
	}
	p.Status, p.UpdatedAt, p.LeaseUntil = to, now, nil
	if to != Web3PaymentStatusPending {
		p.DealError = "" // a failed creation is a pending payment's; its log keeps it
	}
	switch to {
	case Web3PaymentStatusCompleted:
		p.CompletedAt = &now
	case Web3PaymentStatusCancelled:
		p.CancelledAt = &now
	case Web3PaymentStatusExpired:
		p.UpdatedAt = p.ExpiresAt // the deadline, whenever the sweep ran
	}
	if err := tx.UpdateWeb3Payment(ctx, p); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, p.TenantID, typ, p.ID, p)
}

// noteWeb3Payment writes a change of p that is not a status move and fires
// typ for it.
func (s *Service) noteWeb3Payment(ctx context.Context, tx Tx, now time.Time, p *Web3Payment, typ string) error {
	p.UpdatedAt = now
	if err := tx.UpdateWeb3Payment(ctx, p); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, p.TenantID, typ, p.ID, p)
}

// CancelWeb3Payment asks for the payment's cancellation and returns it. A
// payment that never reached a chain is cancelled at once; a web3 one whose
// deal was sent, or is being sent, is cancelling, and background work cancels
// the deal on the chain (CancelDeal): it is cancelled when the cancellation is
// confirmed, or completed if a deposit got there first. Asking again, or for a
// cancelled payment, changes nothing. Returns ENOTFOUND, EFORBIDDEN when a
// cannot reach the payment's node, and ECONFLICT for a completed, expired or
// failed payment.
func (s *Service) CancelWeb3Payment(ctx context.Context, a NodeAccess, id string) (*Web3Payment, error) {
	p, err := write(ctx, s, a.TenantID, "web3payment.cancel", id, func(tx Tx, now time.Time) (*Web3Payment, error) {
		p, err := findWeb3Payment(ctx, tx, a, id)
		if err != nil {
			return nil, err
		}
		switch {
		case p.Status == Web3PaymentStatusCancelling || p.Status == Web3PaymentStatusCancelled:
			return p, nil
		case p.expiredAt(now):
			return nil, Errorf(ECONFLICT, "Payment %s expired at %s and cannot be cancelled.", p.ID, p.ExpiresAt.Format(time.RFC3339))
		case p.Status != Web3PaymentStatusPending && p.Status != Web3PaymentStatusProcessing:
			return nil, Errorf(ECONFLICT, "Payment %s is %s and cannot be cancelled.", p.ID, p.Status)
		}
		// A deal that was sent, or whose creation is being sent right now (a
		// worker holds the payment), may be on the chain: it is cancelled
		// there. Otherwise nothing was sent, and nothing will be.
		inFlight := p.LeaseUntil != nil && p.LeaseUntil.After(now)
		if p.Method == Web3PaymentMethodWeb3 && (p.DealTxHash != "" || p.DealOpenedAt != nil || inFlight) {
			return p, s.moveWeb3Payment(ctx, tx, now, p, Web3PaymentStatusCancelling)
		}
		return p, s.moveWeb3Payment(ctx, tx, now, p, Web3PaymentStatusCancelled)
	})
	if err != nil {
		return nil, err
	}
	return s.withAccessToken(ctx, p)
}

// RetryWeb3Payment queues again a pending web3 payment whose deal's creation
// failed (DealError): background work sends it again, with the same deal id
// and terms. Retry becomes true and RetryCount grows by one. Returns
// ENOTFOUND, EFORBIDDEN, and ECONFLICT for a payment not eligible: not web3,
// not pending (or expired), or pending without a failed creation (it is
// queued already).
func (s *Service) RetryWeb3Payment(ctx context.Context, a NodeAccess, id string) (*Web3Payment, error) {
	p, err := write(ctx, s, a.TenantID, "web3payment.retry", id, func(tx Tx, now time.Time) (*Web3Payment, error) {
		p, err := findWeb3Payment(ctx, tx, a, id)
		if err != nil {
			return nil, err
		}
		status := p.asOf(now).Status
		switch {
		case p.Method != Web3PaymentMethodWeb3:
			return nil, Errorf(ECONFLICT, "Payment %s is not eligible for retry: it is not a web3 payment.", p.ID)
		case status != Web3PaymentStatusPending:
			return nil, Errorf(ECONFLICT, "Payment %s is not eligible for retry: it is %s.", p.ID, status)
		case p.DealError == "":
			return nil, Errorf(ECONFLICT, "Payment %s is not eligible for retry: its deal is queued for creation already.", p.ID)
		}
		p.DealError, p.Retry, p.RetryCount, p.LeaseUntil = "", true, p.RetryCount+1, nil
		return p, s.noteWeb3Payment(ctx, tx, now, p, EventWeb3PaymentRetried)
	})
	if err != nil {
		return nil, err
	}
	return s.withAccessToken(ctx, p)
}

// accountCodeNode prefixes the code of a node's account: what its completed
// payments received, one per node and currency.
const accountCodeNode = "node:"

// nodeAccount returns the node's account in currency c, opening it on first
// use. It is a business account: it only ever receives.
func (s *Service) nodeAccount(ctx context.Context, tx Tx, now time.Time, tenantID, nodeID string, c Currency) (*Account, error) {
	a, err := tx.FindAccountByCode(ctx, tenantID, accountCodeNode+nodeID, c)
	if ErrorCode(err) != ENOTFOUND {
		return a, err
	}
	a = &Account{ID: newID(), TenantID: tenantID, Kind: AccountKindBusiness, Currency: c, Code: accountCodeNode + nodeID,
		Name: "Node " + nodeID, BusinessAccountID: nodeID, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateAccount(ctx, a); err != nil {
		return nil, err
	}
	return a, s.appendEvent(ctx, tx, now, tenantID, EventAccountCreated, a.ID, a)
}

// FindNodeAccount returns the account that the node's completed payments in
// currency c credit. Returns ENOTFOUND until one completes.
func (s *Service) FindNodeAccount(ctx context.Context, tenantID, nodeID string, c Currency) (*Account, error) {
	return s.store.FindAccountByCode(ctx, tenantID, accountCodeNode+nodeID, c)
}

// Web3Work names the background work a web3 payment may be leased for.
type Web3Work string

// Background work on web3 payments (web3payments_chain.go).
const (
	// Web3WorkSend: pending web3 payments, not expired, whose creation has
	// not failed (DealError empty): their deals are created.
	Web3WorkSend Web3Work = "send"
	// Web3WorkCheck: processing payments whose deal's creation was sent
	// (DealTxHash) and is not confirmed (DealOpenedAt nil): whether it
	// failed is checked.
	Web3WorkCheck Web3Work = "check"
	// Web3WorkCancel: cancelling payments: their deals are cancelled.
	Web3WorkCancel Web3Work = "cancel"
)

// Web3PaymentStore reads web3 payments.
type Web3PaymentStore interface {
	FindWeb3PaymentByID(ctx context.Context, tenantID, id string) (*Web3Payment, error)
	// FindWeb3Payments returns a page of the tenant's payments that f
	// selects, newest first (CreatedAt, then ID, descending), after skipping
	// f.Offset, and how many f selects in all.
	FindWeb3Payments(ctx context.Context, tenantID string, f Web3PaymentFilter) ([]*Web3Payment, int, error)
	// FindWeb3PaymentByDeal returns the payment of any tenant with the deal
	// id on the contract contractID: a lookup of background work. Returns
	// ENOTFOUND.
	FindWeb3PaymentByDeal(ctx context.Context, contractID string, id DealID) (*Web3Payment, error)
	// FindWeb3PaymentByAccessToken returns the payment of any tenant whose
	// AccessTokenHash is hash: a lookup that authenticates. Returns ENOTFOUND.
	FindWeb3PaymentByAccessToken(ctx context.Context, hash []byte) (*Web3Payment, error)
	// FindWeb3PaymentEvents returns a page of the events whose subject is the
	// tenant's payment id, newest first, after skipping offset, and how many
	// there are.
	FindWeb3PaymentEvents(ctx context.Context, tenantID, id string, offset, limit int) ([]*Event, int, error)
	// FindExpiredWeb3Payments returns up to limit pending or processing
	// payments of every tenant whose ExpiresAt is at or before now, oldest
	// expiry first.
	FindExpiredWeb3Payments(ctx context.Context, now time.Time, limit int) ([]*Web3Payment, error)
}

// Web3PaymentTx writes web3 payments and leases them to background work.
type Web3PaymentTx interface {
	// CreateWeb3Payment inserts p. Returns ECONFLICT naming "externalId" when
	// the node has a payment with its ExternalID, and ECONFLICT when its ID,
	// its deal on its contract or its access token is taken.
	CreateWeb3Payment(ctx context.Context, p *Web3Payment) error
	// UpdateWeb3Payment writes every mutable field of p: Status, Retry,
	// RetryCount, DealTxHash, DealError, DealOpenedAt, CancelTxHash,
	// TransactionHash, Payer, FailureReason, TransferID, SentAt, CompletedAt,
	// CancelledAt, LeaseUntil and UpdatedAt.
	UpdateWeb3Payment(ctx context.Context, p *Web3Payment) error
	// ClaimWeb3Payments leases, until leaseUntil, up to limit payments of every
	// tenant that work is due on (see Web3Work) and that are not leased at
	// now, oldest first, and returns them with LeaseUntil set.
	ClaimWeb3Payments(ctx context.Context, work Web3Work, now, leaseUntil time.Time, limit int) ([]*Web3Payment, error)
}
