package paykit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Creating a charge: its input, validated and computed outside the
// transaction (items, taxes, the exchange rate, the processor's intent), then
// written in one: the client, the split, the ledger transfer and the row whose
// unique key decides the internal ID.

// ChargeItemInput is an item of ChargeCreate. ProductID takes the fields left
// out from one of the tenant's products.
type ChargeItemInput struct {
	ProductID   string           `json:"productId"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Quantity    *decimal.Decimal `json:"quantity"`  // default 1
	UnitPrice   *decimal.Decimal `json:"unitPrice"` // in currency units, taxes included unless they say otherwise
	ProductKey  string           `json:"productKey"`
	UnitKey     string           `json:"unitKey"`
	UnitName    string           `json:"unitName"`
	Taxes       []TaxInput       `json:"taxes"` // nil: the product's, or none
}

// ChargeCreate is the input of CreateCharge.
type ChargeCreate struct {
	// Team is the team the charge is for: empty for the caller's own, or, for
	// a master team, a team of its billing account.
	Team string `json:"team"`
	// Exactly one of ClientID and Client, or Email alone: the client is the
	// tenant's ClientID, or Client (an existing one when its ID is the
	// tenant's, otherwise created), or the tenant's client with Email
	// (created, named by it, when there is none).
	ClientID string            `json:"clientId"`
	Client   *ClientCreate     `json:"client"`
	Email    string            `json:"email"`
	Items    []ChargeItemInput `json:"items"`
	Currency string            `json:"currency"` // MXN (default), USD or EUR
	// Exchange is how many MXN a unit of Currency is worth; without it the
	// Service's ExchangeRates source says, for the day.
	Exchange    *decimal.Decimal `json:"exchange"`
	PaymentForm string           `json:"paymentForm"` // c_FormaPago; required when Paid
	Paid        bool             `json:"paid"`
	Date        *time.Time       `json:"date"` // default now
	Livemode    bool             `json:"livemode"`
	AvoidEmail  bool             `json:"avoidEmail"`
	// The automations: at most one invoice automation; the PPD one excludes
	// Paid and PaymentForm.
	AutomaticInvoice           bool            `json:"automaticInvoice"`
	InvoiceOnComplete          bool            `json:"invoiceOnComplete"`
	IncomeInvoiceAndComplement bool            `json:"incomeInvoiceAndComplement"`
	ForceReceipt               bool            `json:"forceReceipt"`
	InvoiceConfig              json.RawMessage `json:"invoiceConfig"` // a JSON object: folio, series, type
	From                       string          `json:"from"`          // default "api"
	Metadata                   json.RawMessage `json:"metadata"`      // a JSON object; internalId is unique per team
}

// maxChargeItems bounds a charge's items.
const maxChargeItems = 500

// internalIDTaken is the message of a metadata.internalId the team used
// already.
const internalIDTaken = "The team already has a payment with this internalId."

// CreateCharge creates a charge of the team in.Team (the tenant's own when
// empty) to a client, with its payment link and processor intent; a paid one
// is recorded as succeeded, its money posted. Returns EFORBIDDEN for a team
// the tenant may not act for, EINVALID (the client or a product not found is
// one, on its field), and ECONFLICT, on the field "metadata.internalId", when
// the team has a charge with that internal ID: the store's unique key decides,
// in the transaction, so of concurrent creates with one internal ID exactly one
// succeeds.
func (s *Service) CreateCharge(ctx context.Context, tenantID string, in ChargeCreate) (*Payment, error) {
	team, err := s.ActingTeam(ctx, tenantID, in.Team)
	if err != nil {
		return nil, err
	}
	p, err := s.newCharge(ctx, tenantID, team, &in)
	if err != nil {
		return nil, err
	}
	ch := p.Charge
	if !in.Paid {
		intent, err := s.processor.Open(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("open charge %s with %s: %w", p.ID, s.processor.Name(), err)
		}
		p.RailReference, ch.ClientSecret = intent.Reference, intent.ClientSecret
	}
	return write(ctx, s, team.TenantID, "charge.create", in, func(tx Tx, now time.Time) (*Payment, error) {
		c := *p
		ch := *p.Charge
		c.Charge = &ch
		p := &c
		p.CreatedAt, p.UpdatedAt, p.SubmittedAt = now, now, &now
		if in.Date == nil {
			ch.Date = now
		}
		client, err := s.resolveClient(ctx, tx, now, team.TenantID, clientRef{ID: in.ClientID, New: in.Client, Email: in.Email,
			Livemode: in.Livemode, From: "payment"})
		if err != nil {
			return nil, err
		}
		ch.ClientID, ch.Client = client.ID, client
		if ch.Email == "" {
			ch.Email = client.Email
		}
		if err := checkInvoiceable(ctx, tx, team.TenantID, &ch); err != nil {
			return nil, err
		}
		if ch.Split, err = s.chargeSplit(ctx, tx, team, p); err != nil {
			return nil, err
		}
		world, err := s.systemAccount(ctx, tx, now, team.TenantID, accountCodeWorld, p.Amount.Currency)
		if err != nil {
			return nil, err
		}
		sales, err := s.systemAccount(ctx, tx, now, team.TenantID, accountCodeSales, p.Amount.Currency)
		if err != nil {
			return nil, err
		}
		t := &Transfer{Amount: p.Amount.Minor(), Currency: p.Amount.Currency, Status: TransferStatusPending, Kind: "payment", Ref: p.ID}
		if in.Paid {
			t.Status = TransferStatusPosted
		}
		if err := s.transfer(ctx, tx, now, t, world, sales); err != nil {
			return nil, err
		}
		p.TransferID, p.Destination = t.ID, partyOf(sales)
		if in.Paid {
			ch.SucceededAt = &ch.Date
			if err := s.splitCharge(ctx, tx, now, p); err != nil {
				return nil, err
			}
		}
		if err := tx.CreatePayment(ctx, p); err != nil {
			if ErrorCode(err) == ECONFLICT && ErrorFields(err)["charge.internalId"] != "" {
				return nil, &Error{Code: ECONFLICT, Message: internalIDTaken, Fields: map[string]string{"metadata.internalId": internalIDTaken}}
			}
			return nil, err
		}
		if err := s.appendEvent(ctx, tx, now, team.TenantID, EventPaymentCreated, p.ID, p); err != nil {
			return nil, err
		}
		if in.Paid {
			if err := s.appendEvent(ctx, tx, now, team.TenantID, EventPaymentSucceeded, p.ID, p); err != nil {
				return nil, err
			}
		}
		return p, s.chargeMoved(ctx, tx, now, p)
	})
}

// newCharge validates in and computes the charge's amounts, outside any
// transaction: products are read from the store (they never change), and the
// exchange rate from the Service's source.
func (s *Service) newCharge(ctx context.Context, tenantID string, team *Team, in *ChargeCreate) (*Payment, error) {
	var v Validation
	ch := &Charge{Email: strings.TrimSpace(in.Email), PaymentForm: strings.TrimSpace(in.PaymentForm), Paid: in.Paid,
		Livemode: in.Livemode, AvoidEmail: in.AvoidEmail, From: orDefault(in.From, "api"), CreatedBy: tenantID,
		BillingAccountID: team.BillingAccountID, Processor: s.processor.Name(), LinkToken: randomString(32)}
	if in.Paid {
		ch.Processor = "api"
	}
	if in.Date != nil {
		ch.Date = in.Date.UTC().Truncate(time.Microsecond)
	}
	switch n := len(slices.DeleteFunc([]bool{in.ClientID != "", in.Client != nil}, func(b bool) bool { return !b })); {
	case n == 0 && ch.Email == "":
		v.Add("clientId", "Give clientId, client or email.")
	case n == 2:
		v.Add("client", "Give either clientId or client, not both.")
	}
	if in.Client != nil {
		// Validated as CreateClient would, unless it names an existing client.
		var cv Validation
		newClient(&cv, "client.", tenantID, in.Client)
		if in.Client.ID == "" {
			for f, m := range ErrorFields(cv.Err()) {
				v.Add(f, m)
			}
		}
	}
	if ch.Email != "" {
		checkClient(&v, "", &Client{Name: "-", Email: ch.Email, Metadata: json.RawMessage(`{}`)})
	}
	c, err := parseChargeCurrency("currency", in.Currency)
	if err != nil {
		v.Add("currency", ErrorMessage(err))
	}
	switch {
	case in.Paid && ch.PaymentForm == "":
		v.Add("paymentForm", "A paid payment needs its payment form.")
	case ch.PaymentForm != "":
		if err := CheckPaymentForm("paymentForm", ch.PaymentForm); err != nil {
			v.Add("paymentForm", ErrorMessage(err))
		}
	}
	ch.Automations = checkAutomations(&v, in)
	ch.InvoiceConfig = in.InvoiceConfig
	if len(in.InvoiceConfig) > 0 && string(in.InvoiceConfig) != "null" {
		ch.InvoiceConfig = checkMetadata(&v, "invoiceConfig", in.InvoiceConfig)
		if !v.Has("invoiceConfig") && !isJSONObject(ch.InvoiceConfig) {
			v.Add("invoiceConfig", "The invoice configuration is a JSON object.")
		} else if !v.Has("invoiceConfig") {
			checkInvoiceConfig(&v, ch.InvoiceConfig)
		}
	} else {
		ch.InvoiceConfig = nil
	}
	ch.Metadata = checkMetadata(&v, "metadata", in.Metadata)
	if !v.Has("metadata") {
		var meta map[string]json.RawMessage
		if err := json.Unmarshal(ch.Metadata, &meta); err != nil || meta == nil {
			v.Add("metadata", "Metadata must be a JSON object.")
		} else if raw, ok := meta["internalId"]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &ch.InternalID); err != nil || strings.TrimSpace(ch.InternalID) == "" || len(ch.InternalID) > 255 {
				v.Add("metadata.internalId", "internalId is a string of 1 to 255 characters.")
			}
		}
	}

	// The exchange rate.
	if c != "" {
		rate, err := s.exchangeRate(ctx, &v, "exchange", c, in.Exchange)
		if err != nil {
			return nil, err
		}
		ch.Exchange = rate
	}

	// The items.
	switch {
	case len(in.Items) == 0:
		v.Add("items", "Give at least one item.")
	case len(in.Items) > maxChargeItems:
		v.Add("items", fmt.Sprintf("A payment has at most %d items.", maxChargeItems))
	}
	if c == "" || len(in.Items) > maxChargeItems {
		return nil, v.Err()
	}
	items, sums, err := s.lines(ctx, &v, team.TenantID, in.Items, c)
	if err != nil {
		return nil, err
	}
	ch.Items, ch.Subtotal, ch.Transferred, ch.Withheld = items, sums.Subtotal, sums.Transferred, sums.Withheld
	amount := sums.Total
	if err := v.Err(); err != nil {
		return nil, err
	}
	switch {
	case !amount.Amount.IsPositive():
		return nil, invalid("amount", "The amount must be greater than zero.")
	case amount.Minor() > maxMinor:
		return nil, invalid("amount", "The amount is too large.")
	}
	return &Payment{ID: newID(), TenantID: team.TenantID, Type: PaymentTypeCharge, Status: statusOfNewCharge(in.Paid),
		Amount: amount, Source: Party{ExternalStorage: ch.Processor}, Charge: ch}, nil
}

func statusOfNewCharge(paid bool) PaymentStatus {
	if paid {
		return PaymentStatusSucceeded
	}
	return PaymentStatusRequiresPaymentMethod
}

// checkAutomations validates the automations asked for into v and returns
// them.
func checkAutomations(v *Validation, in *ChargeCreate) []Automation {
	out := []Automation{}
	invoices := 0
	if in.AutomaticInvoice {
		// A PUE invoice says the payment was made: it is issued as soon as
		// it is, at creation for a paid charge (see cfdi_automations.go).
		invoices++
		out = append(out, Automation{Document: AutomationInvoice, When: PaymentStatusSucceeded})
	}
	if in.InvoiceOnComplete {
		invoices++
		out = append(out, Automation{Document: AutomationInvoice, When: PaymentStatusSucceeded})
	}
	if in.IncomeInvoiceAndComplement {
		invoices++
		out = append(out, Automation{Document: AutomationPPDInvoice},
			Automation{Document: AutomationPaymentComplement, When: PaymentStatusSucceeded})
		if in.Paid {
			v.Add("incomeInvoiceAndComplement", "A PPD invoice and complement cannot be asked for a paid payment.")
		} else if strings.TrimSpace(in.PaymentForm) != "" {
			v.Add("incomeInvoiceAndComplement", "A PPD invoice and complement cannot be asked with a payment form.")
		}
	}
	if invoices > 1 {
		v.Add(FieldInput, "Ask for one invoice automation: automaticInvoice, invoiceOnComplete or incomeInvoiceAndComplement.")
	}
	if in.ForceReceipt {
		out = append(out, Automation{Document: AutomationReceipt})
	}
	return out
}

// clientRef names the client of a document: the tenant's client ID, or New
// (an existing client when its ID is the tenant's, otherwise created), or the
// tenant's client with Email (created, named by it, when there is none).
type clientRef struct {
	ID       string
	New      *ClientCreate
	Email    string
	Livemode bool
	From     string // where a created client comes from
}

// resolveClient returns the client ref names, creating it when it asks for a
// new one. Its errors name the fields clientId and client.*.
func (s *Service) resolveClient(ctx context.Context, tx Tx, now time.Time, tenantID string, ref clientRef) (*Client, error) {
	switch {
	case ref.ID != "":
		c, err := tx.FindClientByID(ctx, tenantID, ref.ID)
		if ErrorCode(err) == ENOTFOUND {
			return nil, invalid("clientId", "The team has no client with this id.")
		}
		return c, err
	case ref.New != nil && ref.New.ID != "":
		c, err := tx.FindClientByID(ctx, tenantID, ref.New.ID)
		if ErrorCode(err) != ENOTFOUND {
			return c, err
		}
	case ref.New == nil:
		email := strings.TrimSpace(ref.Email)
		cs, _, err := tx.FindClients(ctx, tenantID, ClientFilter{Email: &email, Limit: 1})
		if err != nil || len(cs) > 0 {
			return first(cs), err
		}
		ref.New = &ClientCreate{Name: email, Email: email}
	}
	cc := *ref.New
	cc.From = ref.From
	cc.Livemode = cc.Livemode || ref.Livemode
	var v Validation
	c := newClient(&v, "client.", tenantID, &cc)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.createClient(ctx, tx, now, c); err != nil {
		return nil, renameErrField(err, "id", "client.id")
	}
	return c, nil
}

func first[T any](xs []*T) *T {
	if len(xs) == 0 {
		return nil
	}
	return xs[0]
}

// renameErrField returns err with its field from renamed to to.
func renameErrField(err error, from, to string) error {
	e, ok := err.(*Error)
	if !ok || e.Fields[from] == "" {
		return err
	}
	c := &Error{Code: e.Code, Message: e.Message, Fields: map[string]string{}}
	for k, v := range e.Fields {
		if k == from {
			k = to
		}
		c.Fields[k] = v
	}
	return c
}
