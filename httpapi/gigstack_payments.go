package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/paykit/paykit"
	"github.com/shopspring/decimal"
)

// Payments of the gigstack dialect: the Service's charges.

// gigstackDate is a date in ISO format: an RFC 3339 date-time, or a date
// alone (midnight UTC).
type gigstackDate struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (d *gigstackDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[isoTime]()}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			d.Time = t.UTC()
			return nil
		}
	}
	return &json.UnmarshalTypeError{Value: "string " + strconv.Quote(s), Type: reflect.TypeFor[isoTime]()}
}

type gigstackTaxIn struct {
	Type        string      `json:"type"`
	Rate        *jsonNumber `json:"rate"`
	Factor      string      `json:"factor"`
	Inclusive   *bool       `json:"inclusive"`
	Withholding *bool       `json:"withholding"`
}

func gigstackTaxes(in []gigstackTaxIn) []paykit.TaxInput {
	if in == nil {
		return nil
	}
	out := make([]paykit.TaxInput, len(in))
	for i, t := range in {
		out[i] = paykit.TaxInput{Type: t.Type, Rate: decimalPtr(t.Rate), Factor: t.Factor, Inclusive: t.Inclusive, Withholding: t.Withholding}
	}
	return out
}

func decimalPtr(n *jsonNumber) *decimal.Decimal {
	if n == nil {
		return nil
	}
	d := n.Decimal
	return &d
}

type gigstackItemIn struct {
	ID          string          `json:"id"` // a service's
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Quantity    *jsonNumber     `json:"quantity"`
	Total       *jsonNumber     `json:"total"`
	ProductKey  string          `json:"product_key"`
	UnitKey     string          `json:"unit_key"`
	UnitName    string          `json:"unit_name"`
	Taxes       []gigstackTaxIn `json:"taxes"`
}

type gigstackPaymentCreate struct {
	Team                               string            `json:"team"`
	ClientID                           string            `json:"clientId"`
	Client                             *gigstackClientIn `json:"client"`
	Email                              string            `json:"email"`
	Items                              []gigstackItemIn  `json:"items"`
	Currency                           string            `json:"currency"`
	Exchange                           *jsonNumber       `json:"exchange"`
	PaymentMethod                      string            `json:"paymentMethod"`
	Paid                               bool              `json:"paid"`
	Date                               *gigstackDate     `json:"date"`
	Livemode                           bool              `json:"livemode"`
	AvoidEmail                         bool              `json:"avoidEmail"`
	AutomaticInvoice                   bool              `json:"automaticInvoice"`
	AutomateInvoiceOnComplete          bool              `json:"automateInvoiceOnComplete"`
	AutomateIncomeInvoiceAndComplement bool              `json:"automateIncomeInvoiceAndComplement"`
	ForceReceipt                       bool              `json:"forceReceipt"`
	InvoiceConfig                      json.RawMessage   `json:"invoiceConfig"`
	From                               string            `json:"from"`
	Metadata                           json.RawMessage   `json:"metadata"`
}

// domain returns the Service's input; a wire ID without its prefix names
// nothing ("-" never matches, where "" would mean "none given").
func (c *gigstackPaymentCreate) domain() paykit.ChargeCreate {
	in := paykit.ChargeCreate{Team: c.Team, ClientID: prefixedOrMissing(prefixClient, c.ClientID), Email: c.Email,
		Currency: c.Currency, Exchange: decimalPtr(c.Exchange), PaymentForm: c.PaymentMethod, Paid: c.Paid,
		Livemode: c.Livemode, AvoidEmail: c.AvoidEmail, AutomaticInvoice: c.AutomaticInvoice,
		InvoiceOnComplete: c.AutomateInvoiceOnComplete, IncomeInvoiceAndComplement: c.AutomateIncomeInvoiceAndComplement,
		ForceReceipt: c.ForceReceipt, InvoiceConfig: c.InvoiceConfig, From: c.From, Metadata: c.Metadata}
	if c.Client != nil {
		cc := c.Client.domain()
		in.Client = &cc
	}
	if c.Date != nil && !c.Date.IsZero() {
		t := c.Date.Time
		in.Date = &t
	}
	in.Items = gigstackItems(c.Items)
	return in
}

// gigstackItems returns the Service's items of a payment's (or receipt's)
// items: total is the unit price.
func gigstackItems(items []gigstackItemIn) []paykit.ChargeItemInput {
	if items == nil {
		return nil
	}
	out := make([]paykit.ChargeItemInput, len(items))
	for i, it := range items {
		out[i] = paykit.ChargeItemInput{ProductID: prefixedOrMissing(prefixService, it.ID), Name: it.Name,
			Description: it.Description, Quantity: decimalPtr(it.Quantity), UnitPrice: decimalPtr(it.Total),
			ProductKey: it.ProductKey, UnitKey: it.UnitKey, UnitName: it.UnitName, Taxes: gigstackTaxes(it.Taxes)}
	}
	return out
}

// prefixedOrMissing returns the Service's ID of a wire ID, "" for "", and an
// ID no row has for a wire ID without its prefix.
func prefixedOrMissing(prefix, id string) string {
	if id == "" {
		return ""
	}
	if d := domainID(prefix, id); d != "" {
		return d
	}
	return "!" + id // no ID has a "!": a lookup that finds nothing
}

// Responses.

type gigstackItem struct {
	ID          *string          `json:"id"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Quantity    jsonNumber       `json:"quantity"`
	Total       jsonNumber       `json:"total"`
	ProductKey  string           `json:"product_key"`
	UnitKey     string           `json:"unit_key"`
	UnitName    string           `json:"unit_name"`
	Taxes       []gigstackTaxOut `json:"taxes"`
	Discount    int              `json:"discount"`
	Currency    string           `json:"currency"`
	PaymentType gigstackLabel    `json:"paymentType"`
}

type gigstackTaxOut struct {
	Type        paykit.TaxType   `json:"type"`
	Rate        jsonNumber       `json:"rate"`
	Factor      paykit.TaxFactor `json:"factor"`
	Inclusive   bool             `json:"inclusive"`
	Withholding bool             `json:"withholding"`
	Base        *jsonNumber      `json:"base,omitempty"`   // an item's, in currency units
	Amount      *jsonNumber      `json:"amount,omitempty"` // an item's, in currency units
}

type gigstackLabel struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

type gigstackMethodType struct {
	Name               string `json:"name"`
	ID                 string `json:"id"`
	Logo               string `json:"logo"`
	Details            string `json:"details"`
	ManualConfirmation bool   `json:"manualConfirmation"`
	RequiredKey        string `json:"requiredKey,omitempty"`
}

// gigstackMethodTypes are the payment methods a payment link offers, as the
// seed's response lists them.
var gigstackMethodTypes = []gigstackMethodType{
	{Name: "Transferencia bancaria", ID: "bank", Logo: "https://pro-gigstack.s3.us-east-2.amazonaws.com/icons/+bank.png",
		Details: "Pago con transferencia desde tu cuenta bancaria", ManualConfirmation: true},
	{Name: "Tarjeta de crédito o débito", ID: "card", Logo: "https://pro-gigstack.s3.us-east-2.amazonaws.com/icons/Cards2.svg",
		Details: "Pago con tarjeta de crédito o débito", RequiredKey: "paymentIntent"},
	{Name: "OXXO", ID: "oxxo", Logo: "https://js.stripe.com/v3/fingerprinted/img/oxxo-96b6ab36d23607973cb466bec56d187b.svg",
		Details: "Pago en efectivo en tiendas OXXO", RequiredKey: "paymentIntent"},
}

// gigstackMethodOptions are the options of the payment methods, as the seed's.
var gigstackMethodOptions = json.RawMessage(`{"card":{"installments":null,"mandate_options":null,"network":null,` +
	`"request_three_d_secure":"automatic"},"oxxo":{"expires_after_days":3}}`)

type gigstackAutomation struct {
	Action  string `json:"action"`
	Ref     string `json:"ref"`
	Type    string `json:"type"`
	From    string `json:"from"`
	Trigger string `json:"trigger,omitempty"` // the status it waits for
	Invoice string `json:"invoice,omitempty"` // the uuid of the invoice it issued
	Receipt string `json:"receipt,omitempty"` // the receipt it made
	Failure string `json:"failure,omitempty"` // why it could not
}

type gigstackTransferData struct {
	Destination string     `json:"destination"`
	Split       jsonNumber `json:"split"` // the connected team's percentage
	SplitType   struct {
		Master  paykit.SplitClient `json:"master"`
		Connect paykit.SplitClient `json:"connect"`
	} `json:"splitType"`
}

type gigstackPayment struct {
	ID                   string                `json:"id"`
	FID                  string                `json:"fid"`
	Team                 string                `json:"team"`
	Owner                string                `json:"owner"`
	BillingAccount       *string               `json:"billingAccount"`
	Amount               int64                 `json:"amount"`
	Currency             paykit.Currency       `json:"currency"`
	Status               paykit.PaymentStatus  `json:"status"`
	InternalStatus       paykit.PaymentStatus  `json:"internalStatus"`
	Client               *gigstackClient       `json:"client"`
	ClientID             *string               `json:"clientId"`
	Items                []gigstackItem        `json:"items"`
	Discount             int                   `json:"discount"`
	Exchange             jsonNumber            `json:"exchange"`
	PaymentForm          *string               `json:"payment_form"`
	Processor            string                `json:"processor"`
	CustomMethodTypes    []gigstackMethodType  `json:"custom_method_types"`
	Automations          []gigstackAutomation  `json:"automations"`
	Invoices             []string              `json:"invoices"`
	Metadata             json.RawMessage       `json:"metadata"`
	From                 string                `json:"from"`
	Timestamp            int64                 `json:"timestamp"`
	Created              int64                 `json:"created"`
	SucceededTimestamp   *int64                `json:"succeededTimestamp"`
	Livemode             bool                  `json:"livemode"`
	ShortURL             string                `json:"shortURL"`
	ShortURL2            string                `json:"shortUrl"`
	Token                string                `json:"token"`
	HasStripe            bool                  `json:"hasStripe"`
	PaymentIntent        *string               `json:"paymentIntent"`
	ClientSecret         *string               `json:"client_secret"`
	StripeGenerated      bool                  `json:"stripeGenerated"`
	PaymentMethodOptions json.RawMessage       `json:"payment_method_options"`
	TransferData         *gigstackTransferData `json:"transfer_data,omitempty"`
}

// gigstackSummary is a payment in a list, and in a webhook's data (without
// its link: a delivery has no request to take the host from).
type gigstackSummary struct {
	ID        string               `json:"id"`
	Amount    int64                `json:"amount"`
	Status    paykit.PaymentStatus `json:"status"`
	ClientID  *string              `json:"clientId"`
	Currency  paykit.Currency      `json:"currency"`
	Timestamp int64                `json:"timestamp"`
	Client    *struct {
		Name string `json:"name"`
		RFC  string `json:"rfc"`
	} `json:"client"`
	ShortURL string `json:"shortURL,omitempty"`
}

// millis renders t as epoch milliseconds.
func millis(t time.Time) int64 { return t.UnixMilli() }

// linkBase is the base of the payment links the dialect writes: the host's
// (paykit.WithPaymentLinkURL), else the URL of this API as the request came
// to it.
func (g *gigstack) linkBase(r *http.Request) string {
	if b := g.svc.PaymentLinkURL(); b != "" {
		return b
	}
	return mountBase(r)
}

// payLink is the absolute URL of a charge's hosted payment page.
func payLink(base string, p *paykit.Payment) string {
	return base + "/pay/" + p.Charge.LinkToken
}

func gigstackPaymentOf(p *paykit.Payment, base string) gigstackPayment {
	ch := p.Charge
	c := p.Amount.Currency
	out := gigstackPayment{
		ID: wireID(prefixPayment, p.ID), FID: wireID(prefixPayment, p.ID), Team: p.TenantID, Owner: ch.CreatedBy,
		BillingAccount: nullable(ch.BillingAccountID), Amount: p.Amount.Minor(), Currency: c, Status: p.Status,
		InternalStatus: p.Status, ClientID: nullable(wireID(prefixClient, ch.ClientID)), Items: []gigstackItem{},
		Exchange: jsonNumber{ch.Exchange}, PaymentForm: nullable(ch.PaymentForm), Processor: ch.Processor,
		CustomMethodTypes: gigstackMethodTypes, Automations: []gigstackAutomation{}, Invoices: []string{},
		Metadata: ch.Metadata, From: ch.From, Timestamp: millis(p.CreatedAt), Created: millis(p.CreatedAt),
		Livemode: ch.Livemode, ShortURL: payLink(base, p), ShortURL2: payLink(base, p), Token: ch.LinkToken,
		PaymentIntent: nullable(p.RailReference), ClientSecret: nullable(ch.ClientSecret),
		PaymentMethodOptions: gigstackMethodOptions,
	}
	if ch.Client != nil {
		cl := gigstackClientOf(ch.Client, ch.BillingAccountID)
		out.Client = &cl
	}
	if ch.SucceededAt != nil {
		ms := millis(*ch.SucceededAt)
		out.SucceededTimestamp = &ms
	}
	for _, it := range ch.Items {
		out.Items = append(out.Items, gigstackItemOf(&it, c))
	}
	for _, a := range ch.Automations {
		w := gigstackAutomation{Action: "create", Ref: "payments", Type: string(a.Document), From: "payments",
			Trigger: string(a.When), Failure: a.Failure}
		out.Automations = append(out.Automations, w)
		if a.DocumentID == "" {
			continue
		}
		if a.Document == paykit.AutomationReceipt {
			w.Receipt = wireID(prefixReceipt, a.DocumentID)
		} else {
			w.Invoice = a.DocumentID
			out.Invoices = append(out.Invoices, a.DocumentID)
		}
		out.Automations[len(out.Automations)-1] = w
	}
	if sp := ch.Split; sp != nil {
		td := &gigstackTransferData{Destination: sp.Destination, Split: jsonNumber{sp.ConnectPercent()}}
		td.SplitType.Master, td.SplitType.Connect = sp.MasterClient, sp.ConnectClient
		out.TransferData = td
	}
	return out
}

// gigstackItemOf renders an item of a payment or receipt in c.
func gigstackItemOf(it *paykit.ChargeItem, c paykit.Currency) gigstackItem {
	w := gigstackItem{ID: nullable(wireID(prefixService, it.ProductID)), Name: it.Name, Description: it.Description,
		Quantity: jsonNumber{it.Quantity}, Total: jsonNumber{it.UnitPrice.Amount}, ProductKey: it.ProductKey,
		UnitKey: it.UnitKey, UnitName: it.UnitName, Taxes: []gigstackTaxOut{}, Currency: string(c),
		PaymentType: gigstackLabel{"Tarifa fija", "fixed"}}
	for _, t := range it.Taxes {
		w.Taxes = append(w.Taxes, gigstackTaxOut{Type: t.Type, Rate: jsonNumber{t.Rate}, Factor: t.Factor,
			Inclusive: t.Inclusive, Withholding: t.Withholding,
			Base: &jsonNumber{t.Base.Amount}, Amount: &jsonNumber{t.Amount.Amount}})
	}
	return w
}

func gigstackSummaryOf(p *paykit.Payment, base string) gigstackSummary {
	ch := p.Charge
	out := gigstackSummary{ID: wireID(prefixPayment, p.ID), Amount: p.Amount.Minor(), Status: p.Status,
		ClientID: nullable(wireID(prefixClient, ch.ClientID)), Currency: p.Amount.Currency, Timestamp: millis(p.CreatedAt)}
	if ch.Client != nil {
		out.Client = &struct {
			Name string `json:"name"`
			RFC  string `json:"rfc"`
		}{ch.Client.Name, ch.Client.RFC}
	}
	if base != "" {
		out.ShortURL = payLink(base, p)
	}
	return out
}

// Handlers.

func (g *gigstack) createPayment(c *gigstackCall) (int, any, error) {
	var in gigstackPaymentCreate
	if err := decodeJSON(c.w, c.r, &in, false); err != nil {
		return 0, nil, err
	}
	if q := c.r.URL.Query().Get("team"); q != "" {
		if in.Team != "" && in.Team != q {
			return 0, nil, invalidField("team", "The query's team and the body's differ.")
		}
		in.Team = q
	}
	p, err := g.svc.CreateCharge(c.ctx, c.auth.ID, in.domain())
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackPaymentOf(p, g.linkBase(c.r)), "Pago registrado correctamente")
}

// charge returns the acting team's charge with the wire ID id.
func (g *gigstack) charge(c *gigstackCall, id string) (*paykit.Payment, error) {
	d := domainID(prefixPayment, id)
	if d == "" {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Payment not found.")
	}
	p, err := g.svc.FindPaymentByID(c.ctx, c.tenant(), d)
	if err == nil && p.Type != paykit.PaymentTypeCharge {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Payment not found.")
	}
	return p, err
}

func (g *gigstack) getPayment(c *gigstackCall) (int, any, error) {
	p, err := g.charge(c, c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackPaymentOf(p, g.linkBase(c.r)), "Payment retrieved successfully")
}

// listLimit reads a list's limit: 1 to 100, default 10.
func listLimit(q map[string][]string) (int, error) {
	s := first(q["limit"])
	if s == "" {
		return 10, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100 {
		return 0, invalidField("limit", "limit is an integer from 1 to 100.")
	}
	return n, nil
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func (g *gigstack) listPayments(c *gigstackCall) (int, any, error) {
	q := c.r.URL.Query()
	var v paykit.Validation
	limit, err := listLimit(q)
	if err != nil {
		v.Add("limit", paykit.ErrorMessage(err))
	}
	f := paykit.PaymentFilter{Types: []paykit.PaymentType{paykit.PaymentTypeCharge}, Limit: limit + 1}
	desc := true
	switch q.Get("order_direction") {
	case "", "desc":
	case "asc":
		desc = false
	default:
		v.Add("order_direction", "order_direction is asc or desc.")
	}
	switch q.Get("order_by") {
	case "", "timestamp", "created":
		f.Sort = map[bool]paykit.PaymentSort{true: paykit.PaymentSortCreatedDesc, false: paykit.PaymentSortCreatedAsc}[desc]
	case "amount":
		f.Sort = map[bool]paykit.PaymentSort{true: paykit.PaymentSortAmountDesc, false: paykit.PaymentSortAmountAsc}[desc]
	default:
		v.Add("order_by", "order_by is timestamp or amount.")
	}
	if s := q.Get("amount"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			v.Add("amount", "amount is an integer number of cents.")
		}
		f.AmountMinor = &n
	}
	if s := q.Get("status"); s != "" {
		st := paykit.PaymentStatus(s)
		f.Status = &st
	}
	if s := q.Get("clientId"); s != "" {
		id := prefixedOrMissing(prefixClient, s)
		f.ClientID = &id
	}
	if s := q.Get("rfc"); s != "" {
		r := paykit.NormalizeRFC(s)
		f.RFC = &r
	}
	if s := q.Get("starting_after"); s != "" {
		f.After = prefixedOrMissing(prefixPayment, s)
	}
	if err := v.Err(); err != nil {
		return 0, nil, err
	}
	ps, total, err := g.svc.FindPaymentPage(c.ctx, c.tenant(), f)
	if err != nil {
		return 0, nil, err
	}
	more := len(ps) > limit
	if more {
		ps = ps[:limit]
	}
	base := g.linkBase(c.r)
	data := make([]gigstackSummary, len(ps))
	for i, p := range ps {
		data[i] = gigstackSummaryOf(p, base)
	}
	return http.StatusOK, gigstackList{Data: data, Message: "Payments retrieved successfully", TotalResults: total,
		HasMore: more, Next: nextOf(more, len(ps), func() string { return wireID(prefixPayment, ps[len(ps)-1].ID) })}, nil
}

// nextOf is a list's next cursor: the last item's ID when there is more.
func nextOf(more bool, n int, last func() string) *string {
	if !more || n == 0 {
		return nil
	}
	s := last()
	return &s
}

// gigstackPaymentData renders the snapshot of a payment event as its summary,
// or returns false for a snapshot that is not a charge's.
func gigstackPaymentData(data json.RawMessage) (json.RawMessage, bool) {
	if !strings.Contains(string(data), `"charge"`) {
		return nil, false
	}
	var p paykit.Payment
	if err := json.Unmarshal(data, &p); err != nil || p.Type != paykit.PaymentTypeCharge || p.Charge == nil {
		return nil, false
	}
	b, err := encodeJSON(gigstackSummaryOf(&p, ""))
	return b, err == nil
}
