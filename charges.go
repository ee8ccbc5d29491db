package paykit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// A charge is a Payment of PaymentTypeCharge: a team asks a client to pay
// for items, each with its SAT keys and taxes, and a processor (a card
// processor such as Stripe, behind the Processor interface) collects the
// money. Its statuses are a payment intent's. From creation its amount is a
// pending transfer from the world into the team's sales account; success
// posts it, cancellation voids it. A master team's charge that names a
// connected team in its metadata is split on success: the connected team's
// share leaves the master's sales account for the connected team's.

// Statuses of charges, a processor's payment intent's. PaymentStatusProcessing
// and PaymentStatusCanceled are shared with account payments.
const (
	PaymentStatusRequiresPaymentMethod PaymentStatus = "requires_payment_method"
	PaymentStatusRequiresConfirmation  PaymentStatus = "requires_confirmation"
	PaymentStatusRequiresAction        PaymentStatus = "requires_action"
	PaymentStatusRequiresCapture       PaymentStatus = "requires_capture"
	PaymentStatusSucceeded             PaymentStatus = "succeeded"
)

// chargeStatuses are a charge's statuses, in their documented order.
var chargeStatuses = []PaymentStatus{PaymentStatusRequiresPaymentMethod, PaymentStatusRequiresConfirmation,
	PaymentStatusRequiresAction, PaymentStatusProcessing, PaymentStatusRequiresCapture, PaymentStatusCanceled,
	PaymentStatusSucceeded}

// ParseChargeStatus returns the charge status s names, exactly. It returns
// EINVALID naming field for any other s.
func ParseChargeStatus(field, s string) (PaymentStatus, error) {
	return parseEnum(field, "Status", s, chargeStatuses)
}

// Events of charges, beside EventPaymentCreated and EventPaymentCanceled.
const (
	EventPaymentUpdated   = "payment.updated" // a charge moved to a status that is not final
	EventPaymentSucceeded = "payment.succeeded"
)

// chargeLifecycle is the charge lifecycle: the moves a payment intent makes.
// A failed attempt to pay returns it to requires_payment_method; a
// processing one cannot be canceled.
var chargeLifecycle = lifecycle[PaymentStatus]{
	next: map[PaymentStatus][]PaymentStatus{
		PaymentStatusRequiresPaymentMethod: {PaymentStatusRequiresConfirmation, PaymentStatusRequiresAction,
			PaymentStatusProcessing, PaymentStatusRequiresCapture, PaymentStatusSucceeded, PaymentStatusCanceled},
		PaymentStatusRequiresConfirmation: {PaymentStatusRequiresPaymentMethod, PaymentStatusRequiresAction,
			PaymentStatusProcessing, PaymentStatusRequiresCapture, PaymentStatusSucceeded, PaymentStatusCanceled},
		PaymentStatusRequiresAction: {PaymentStatusRequiresPaymentMethod, PaymentStatusProcessing,
			PaymentStatusRequiresCapture, PaymentStatusSucceeded, PaymentStatusCanceled},
		PaymentStatusProcessing:      {PaymentStatusRequiresPaymentMethod, PaymentStatusRequiresCapture, PaymentStatusSucceeded},
		PaymentStatusRequiresCapture: {PaymentStatusSucceeded, PaymentStatusCanceled},
	},
	cannot: "Payment %[1]s is %[2]s and cannot become %[3]s.",
}

// chargeEvents are the events of a charge's moves.
var chargeEvents = map[PaymentStatus]string{
	PaymentStatusRequiresPaymentMethod: EventPaymentUpdated,
	PaymentStatusRequiresConfirmation:  EventPaymentUpdated,
	PaymentStatusRequiresAction:        EventPaymentUpdated,
	PaymentStatusProcessing:            EventPaymentUpdated,
	PaymentStatusRequiresCapture:       EventPaymentUpdated,
	PaymentStatusSucceeded:             EventPaymentSucceeded,
	PaymentStatusCanceled:              EventPaymentCanceled,
}

// accountCodeSales is a team's sales account: what its charges collect.
const accountCodeSales = "sales"

// chargeHome is the currency charges are accounted in: Exchange says how
// much of it a unit of the charge's currency is worth.
const chargeHome Currency = "MXN"

// Charge is what a charge has beyond a payment: the client, the items, the
// automations asked for and the processor's intent.
type Charge struct {
	ClientID string       `json:"clientId"`
	Client   *Client      `json:"client"` // as it was when charged
	Email    string       `json:"email"`  // where the payment link and receipts go
	Items    []ChargeItem `json:"items"`
	// Subtotal is the sum of the items' bases; Transferred and Withheld the
	// sums of their taxes. Amount = Subtotal + Transferred − Withheld.
	Subtotal    Money           `json:"subtotal"`
	Transferred Money           `json:"transferred"`
	Withheld    Money           `json:"withheld"`
	Exchange    decimal.Decimal `json:"exchange"`    // MXN per unit of the currency
	PaymentForm string          `json:"paymentForm"` // c_FormaPago; "" until known
	Paid        bool            `json:"paid"`        // recorded as already paid
	Date        time.Time       `json:"date"`
	Livemode    bool            `json:"livemode"`
	AvoidEmail  bool            `json:"avoidEmail"`
	From        string          `json:"from"`
	Metadata    json.RawMessage `json:"metadata"`
	// InternalID is metadata.internalId, unique among the tenant's charges.
	InternalID    string          `json:"internalId,omitempty"`
	Automations   []Automation    `json:"automations"`
	InvoiceConfig json.RawMessage `json:"invoiceConfig,omitempty"`
	// CreatedBy is the team whose key created the charge: the tenant itself, or
	// a master team acting for it.
	CreatedBy        string       `json:"createdBy"`
	BillingAccountID string       `json:"billingAccountId,omitempty"`
	Processor        string       `json:"processor"`
	ClientSecret     string       `json:"clientSecret,omitempty"` // the processor's, for the payer's browser
	LinkToken        string       `json:"linkToken"`              // the hosted payment link's
	SucceededAt      *time.Time   `json:"succeededAt,omitempty"`
	Split            *ChargeSplit `json:"split,omitempty"`
}

// ChargeItem is one line of a charge.
type ChargeItem struct {
	ProductID   string          `json:"productId,omitempty"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Quantity    decimal.Decimal `json:"quantity"`
	UnitPrice   Money           `json:"unitPrice"`
	ProductKey  string          `json:"productKey"`
	UnitKey     string          `json:"unitKey"`
	UnitName    string          `json:"unitName"`
	Taxes       []TaxAmount     `json:"taxes"`
	Base        Money           `json:"base"`
	Total       Money           `json:"total"` // base + transferred − withheld taxes
}

// ChargeSplit is how a split charge's money is shared between the master
// team that owns it and a connected team.
type ChargeSplit struct {
	Destination   string          `json:"destination"` // the connected team (tenant)
	TriggerKey    string          `json:"triggerKey"`  // the metadata key that asked for the split
	ResolvedBy    string          `json:"resolvedBy"`  // "id": the key's value is the team; "metadata": the team's metadata has it
	MasterPercent decimal.Decimal `json:"masterPercent"`
	MasterClient  SplitClient     `json:"masterClient"`
	ConnectClient SplitClient     `json:"connectClient"`
	MasterAmount  Money           `json:"masterAmount"`  // RoundMoney(amount × masterPercent ÷ 100)
	ConnectAmount Money           `json:"connectAmount"` // amount − masterAmount
	// The ledger transfers of the connected team's share, once the charge
	// succeeded: out of the master's sales account, and into the connected
	// team's (in its own ledger).
	OutTransferID string `json:"outTransferId,omitempty"`
	InTransferID  string `json:"inTransferId,omitempty"`
}

// ConnectPercent is the connected team's share, in percent.
func (sp *ChargeSplit) ConnectPercent() decimal.Decimal {
	return decimal.NewFromInt(100).Sub(sp.MasterPercent)
}

// AutomationDocument is a fiscal document an automation creates.
type AutomationDocument string

// Automation documents.
const (
	AutomationInvoice           AutomationDocument = "invoice"            // a PUE income invoice
	AutomationPPDInvoice        AutomationDocument = "ppd_invoice"        // a PPD income invoice, paid later
	AutomationPaymentComplement AutomationDocument = "payment_complement" // the PPD invoice's complement, once paid
	AutomationReceipt           AutomationDocument = "receipt"
)

// Automation is a document a charge asked to be created, and when: at
// creation ("") or when the charge succeeds (at creation for a charge created
// paid). The automations of cfdi_automations.go perform them, in the
// transaction of that move, and record the document made, or why none could
// be.
type Automation struct {
	Document   AutomationDocument `json:"document"`
	When       PaymentStatus      `json:"when"`                 // "" at creation, or succeeded
	DocumentID string             `json:"documentId,omitempty"` // the tax invoice or receipt made
	Failure    string             `json:"failure,omitempty"`    // why it could not be made
}

// chargeSplit returns how the team's charge p is split, or nil: when the team
// has split billing and p's metadata holds one of its keys with a string value,
// the connected team is the team of its billing account whose ID is the value,
// or else the one whose metadata has the key with that value. A key that
// names no such team is EINVALID, whether or not the team exists elsewhere.
func (s *Service) chargeSplit(ctx context.Context, tx Tx, team *Team, p *Payment) (*ChargeSplit, error) {
	cfg := team.Split
	if !cfg.Enabled || team.BillingAccountID == "" {
		return nil, nil
	}
	var meta map[string]json.RawMessage
	if err := json.Unmarshal(p.Charge.Metadata, &meta); err != nil {
		return nil, fmt.Errorf("split of charge %s: %w", p.ID, err)
	}
	for _, key := range cfg.MetadataKeys {
		var val string
		if raw, ok := meta[key]; !ok || json.Unmarshal(raw, &val) != nil || val == "" {
			continue
		}
		field := "metadata." + key
		sp := &ChargeSplit{TriggerKey: key, MasterPercent: cfg.MasterPercent, MasterClient: cfg.MasterClient,
			ConnectClient: cfg.ConnectClient}
		if t, err := tx.FindTeam(ctx, val); err == nil && t.BillingAccountID == team.BillingAccountID {
			sp.Destination, sp.ResolvedBy = t.TenantID, "id"
		} else if err != nil && ErrorCode(err) != ENOTFOUND {
			return nil, err
		} else {
			ts, err := tx.FindTeams(ctx, TeamFilter{BillingAccountID: team.BillingAccountID, MetadataKey: key, MetadataValue: val, Limit: 2})
			switch {
			case err != nil:
				return nil, err
			case len(ts) == 0:
				return nil, invalid(field, "No team of this billing account has the id or the metadata %s %q.", key, val)
			case len(ts) > 1:
				return nil, invalid(field, "More than one team of this billing account has the metadata %s %q.", key, val)
			}
			sp.Destination, sp.ResolvedBy = ts[0].TenantID, "metadata"
		}
		if sp.Destination == team.TenantID {
			return nil, invalid(field, "A team cannot split a payment with itself.")
		}
		master := RoundMoney(p.Amount.Amount.Mul(cfg.MasterPercent).Div(decimal.NewFromInt(100)), p.Amount.Currency)
		sp.MasterAmount = master
		sp.ConnectAmount = MoneyFromMinor(p.Amount.Minor()-master.Minor(), p.Amount.Currency)
		return sp, nil
	}
	return nil, nil
}

// splitCharge moves the connected team's share of the succeeded charge p out
// of the master's sales account and into the connected team's, each in its own
// tenant's ledger, and records the transfers on p.
func (s *Service) splitCharge(ctx context.Context, tx Tx, now time.Time, p *Payment) error {
	sp := p.Charge.Split
	if sp == nil || sp.ConnectAmount.Minor() == 0 {
		return nil
	}
	c := p.Amount.Currency
	sales, err := tx.FindAccountByID(ctx, p.TenantID, p.Destination.AccountID)
	if err != nil {
		return fmt.Errorf("split of charge %s: %w", p.ID, err)
	}
	world, err := s.systemAccount(ctx, tx, now, p.TenantID, accountCodeWorld, c)
	if err != nil {
		return err
	}
	out := &Transfer{Amount: sp.ConnectAmount.Minor(), Currency: c, Status: TransferStatusPosted, Kind: "payment_split", Ref: p.ID}
	if err := s.transfer(ctx, tx, now, out, sales, world); err != nil {
		return err
	}
	theirWorld, err := s.systemAccount(ctx, tx, now, sp.Destination, accountCodeWorld, c)
	if err != nil {
		return err
	}
	theirSales, err := s.systemAccount(ctx, tx, now, sp.Destination, accountCodeSales, c)
	if err != nil {
		return err
	}
	in := &Transfer{Amount: sp.ConnectAmount.Minor(), Currency: c, Status: TransferStatusPosted, Kind: "payment_split", Ref: p.ID}
	if err := s.transfer(ctx, tx, now, in, theirWorld, theirSales); err != nil {
		return err
	}
	sp.OutTransferID, sp.InTransferID = out.ID, in.ID
	return nil
}

// MoveCharge records what the charge's processor reports (typically from its
// webhook): the charge moves to status to, as its lifecycle allows. Success
// posts its money and splits it; cancellation voids it; a return to
// requires_payment_method keeps reason as the failure of the last attempt.
// Returns ENOTFOUND (also for a payment that is not a charge) and ECONFLICT.
func (s *Service) MoveCharge(ctx context.Context, tenantID, id string, to PaymentStatus, reason string) (*Payment, error) {
	in := struct{ ID, Status, Reason string }{id, string(to), reason}
	return write(ctx, s, tenantID, "charge.move", in, func(tx Tx, now time.Time) (*Payment, error) {
		p, err := tx.FindPaymentByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if p.Type != PaymentTypeCharge {
			return nil, Errorf(ENOTFOUND, "Payment not found.")
		}
		if _, err := ParseChargeStatus("status", string(to)); err != nil {
			return nil, err
		}
		if err := chargeLifecycle.check(p.ID, p.Status, to); err != nil {
			return nil, err
		}
		switch to {
		case PaymentStatusSucceeded:
			p.Charge.SucceededAt = &now
			if err := s.settleTransfer(ctx, tx, now, tenantID, p.TransferID, TransferStatusPosted); err != nil {
				return nil, err
			}
			if err := s.splitCharge(ctx, tx, now, p); err != nil {
				return nil, err
			}
		case PaymentStatusCanceled:
			if err := s.settleTransfer(ctx, tx, now, tenantID, p.TransferID, TransferStatusVoided); err != nil {
				return nil, err
			}
		}
		if err := s.movePayment(ctx, tx, now, p, to, reason); err != nil {
			return nil, err
		}
		return p, s.chargeMoved(ctx, tx, now, p)
	})
}

// PayableByLink reports whether the charge's hosted payment link may complete
// it, as PayChargeByLink does: the sandbox processor holds it, and it is
// neither succeeded nor canceled. A real processor completes its own charges.
func (p *Payment) PayableByLink() bool {
	return p.Charge.Processor == (SandboxProcessor{}).Name() && p.Status != PaymentStatusSucceeded &&
		p.Status != PaymentStatusCanceled
}

// PayChargeByLink completes the charge whose hosted payment link is token, as
// the sandbox processor would report it paid: the link page's pay button.
// Returns ENOTFOUND, and ECONFLICT for a charge the link may not pay
// (PayableByLink).
func (s *Service) PayChargeByLink(ctx context.Context, token string) (*Payment, error) {
	p, err := s.FindChargeByLinkToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if !p.PayableByLink() {
		return nil, Errorf(ECONFLICT, "This payment cannot be paid here.")
	}
	return s.MoveCharge(ctx, p.TenantID, p.ID, PaymentStatusSucceeded, "")
}

// FindChargeByLinkToken returns the charge whose payment link has token, of
// whichever tenant. Returns ENOTFOUND.
func (s *Service) FindChargeByLinkToken(ctx context.Context, token string) (*Payment, error) {
	if token == "" {
		return nil, Errorf(ENOTFOUND, "Payment not found.")
	}
	return s.store.FindPaymentByLinkToken(ctx, token)
}
