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
// creation ("created") or when it succeeds ("succeeded"). Automations are
// recorded; the invoices and receipts nouns perform them.
type Automation struct {
	Document AutomationDocument `json:"document"`
	When     PaymentStatus      `json:"when"` // "" at creation, or succeeded
}

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
		client, err := s.chargeClient(ctx, tx, now, team.TenantID, &in)
		if err != nil {
			return nil, err
		}
		ch.ClientID, ch.Client = client.ID, client
		if ch.Email == "" {
			ch.Email = client.Email
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
			return p, s.appendEvent(ctx, tx, now, team.TenantID, EventPaymentSucceeded, p.ID, p)
		}
		return p, nil
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
	switch {
	case c == "":
	case in.Exchange != nil && !in.Exchange.IsPositive():
		v.Add("exchange", "An exchange rate is greater than zero.")
	case in.Exchange != nil && c == chargeHome && !in.Exchange.Equal(decimal.NewFromInt(1)):
		v.Add("exchange", "A payment in MXN has the exchange rate 1.")
	case in.Exchange != nil && !in.Exchange.Equal(in.Exchange.Truncate(maxRateDecimals)):
		v.Add("exchange", "An exchange rate has at most 6 decimals.")
	case in.Exchange != nil:
		ch.Exchange = *in.Exchange
	case c == chargeHome:
		ch.Exchange = decimal.NewFromInt(1)
	case s.rates == nil:
		v.Add("exchange", "Give the exchange rate: no exchange rate source is configured.")
	default:
		rate, err := s.rates.Rate(ctx, c, s.now())
		if err != nil {
			return nil, fmt.Errorf("exchange rate of %s: %w", c, err)
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
	ch.Subtotal, ch.Transferred, ch.Withheld = MoneyFromMinor(0, c), MoneyFromMinor(0, c), MoneyFromMinor(0, c)
	amount := MoneyFromMinor(0, c)
	for i := range in.Items {
		it, err := s.chargeItem(ctx, &v, team.TenantID, i, &in.Items[i], c)
		if err != nil {
			return nil, err
		} else if it == nil {
			continue
		}
		ch.Items = append(ch.Items, *it)
		ch.Subtotal = ch.Subtotal.Add(it.Base)
		for _, t := range it.Taxes {
			if t.Withholding {
				ch.Withheld = ch.Withheld.Add(t.Amount)
			} else {
				ch.Transferred = ch.Transferred.Add(t.Amount)
			}
		}
		amount = amount.Add(it.Total)
	}
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
		invoices++
		out = append(out, Automation{Document: AutomationInvoice})
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

// chargeItem validates the item i of a charge in c into v and computes its
// amounts; it returns nil when the item is invalid.
func (s *Service) chargeItem(ctx context.Context, v *Validation, tenantID string, i int, in *ChargeItemInput, c Currency) (*ChargeItem, error) {
	f := fmt.Sprintf("items[%d].", i)
	it := &ChargeItem{ProductID: in.ProductID, Name: strings.TrimSpace(in.Name), Description: in.Description,
		ProductKey: strings.TrimSpace(in.ProductKey), UnitKey: strings.ToUpper(strings.TrimSpace(in.UnitKey)),
		UnitName: strings.TrimSpace(in.UnitName), Quantity: decimal.NewFromInt(1)}
	price, taxes := in.UnitPrice, in.Taxes
	if in.ProductID != "" {
		prod, err := s.store.FindProductByID(ctx, tenantID, in.ProductID)
		if ErrorCode(err) == ENOTFOUND {
			v.Add(f+"productId", "The team has no product with this id.")
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		if prod.Price.Currency != c {
			v.Add(f+"productId", "Product "+prod.ID+" is priced in "+string(prod.Price.Currency)+", not "+string(c)+".")
			return nil, nil
		}
		it.Name = orDefault(it.Name, prod.Name)
		if it.Description == "" {
			it.Description = prod.Description
		}
		it.ProductKey, it.UnitKey, it.UnitName = orDefault(it.ProductKey, prod.ProductKey), orDefault(it.UnitKey, prod.UnitKey),
			orDefault(it.UnitName, prod.UnitName)
		if price == nil {
			price = &prod.Price.Amount
		}
		if taxes == nil {
			for _, t := range prod.Taxes {
				rate, inclusive, withholding := t.Rate, t.Inclusive, t.Withholding
				taxes = append(taxes, TaxInput{Type: string(t.Type), Rate: &rate, Factor: string(t.Factor),
					Inclusive: &inclusive, Withholding: &withholding})
			}
		}
	}
	ok := true
	bad := func(field, msg string) { v.Add(f+field, msg); ok = false }
	if it.Name == "" {
		bad("name", msgRequired)
	} else if len(it.Name) > 1000 {
		bad("name", "At most 1000 characters.")
	}
	if in.Quantity != nil {
		it.Quantity = *in.Quantity
	}
	switch {
	case !it.Quantity.IsPositive():
		bad("quantity", "The quantity must be greater than zero.")
	case !it.Quantity.Equal(it.Quantity.Truncate(6)):
		bad("quantity", "A quantity has at most 6 decimals.")
	case it.Quantity.GreaterThan(decimal.NewFromInt(1_000_000_000)):
		bad("quantity", "The quantity is too large.")
	}
	switch {
	case price == nil:
		bad("unitPrice", msgRequired)
	default:
		m, err := NewPositiveMoney(f+"unitPrice", *price, c)
		if err != nil {
			bad("unitPrice", ErrorMessage(err))
		}
		it.UnitPrice = m
	}
	if it.ProductKey == "" {
		it.ProductKey = "01010101"
	}
	if it.UnitKey == "" {
		it.UnitKey = "E48"
	}
	n := len(v.fields)
	checkProductKey(v, f+"productKey", it.ProductKey)
	checkUnitKey(v, f+"unitKey", it.UnitKey)
	tx := checkTaxes(v, f+"taxes", taxes)
	if len(v.fields) != n || !ok {
		return nil, nil
	}
	if it.UnitName == "" {
		if e, found := catalogEntry(CatalogUnitKeys, it.UnitKey); found {
			it.UnitName = e.Description
		}
	}
	base, total, amounts, err := itemAmounts(f+"taxes", it.Quantity, it.UnitPrice.Amount, tx, c)
	if err != nil {
		v.Add(f+"taxes", ErrorMessage(err))
		return nil, nil
	}
	it.Base, it.Total, it.Taxes = base, total, amounts
	if !total.Amount.IsPositive() {
		v.Add(f+"unitPrice", "The item's total must be greater than zero.")
		return nil, nil
	}
	return it, nil
}

// chargeClient returns the client of a charge being created, creating it when
// the input asks for a new one.
func (s *Service) chargeClient(ctx context.Context, tx Tx, now time.Time, tenantID string, in *ChargeCreate) (*Client, error) {
	switch {
	case in.ClientID != "":
		c, err := tx.FindClientByID(ctx, tenantID, in.ClientID)
		if ErrorCode(err) == ENOTFOUND {
			return nil, invalid("clientId", "The team has no client with this id.")
		}
		return c, err
	case in.Client != nil && in.Client.ID != "":
		c, err := tx.FindClientByID(ctx, tenantID, in.Client.ID)
		if ErrorCode(err) != ENOTFOUND {
			return c, err
		}
	case in.Client == nil:
		email := strings.TrimSpace(in.Email)
		cs, _, err := tx.FindClients(ctx, tenantID, ClientFilter{Email: &email, Limit: 1})
		if err != nil || len(cs) > 0 {
			return first(cs), err
		}
		in = &ChargeCreate{Client: &ClientCreate{Name: email, Email: email}, Livemode: in.Livemode}
	}
	cc := *in.Client
	cc.From = "payment"
	cc.Livemode = cc.Livemode || in.Livemode
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
		return p, s.movePayment(ctx, tx, now, p, to, reason)
	})
}

// FindChargeByLinkToken returns the charge whose payment link has token, of
// whichever tenant. Returns ENOTFOUND.
func (s *Service) FindChargeByLinkToken(ctx context.Context, token string) (*Payment, error) {
	if token == "" {
		return nil, Errorf(ENOTFOUND, "Payment not found.")
	}
	return s.store.FindPaymentByLinkToken(ctx, token)
}
