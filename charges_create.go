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
