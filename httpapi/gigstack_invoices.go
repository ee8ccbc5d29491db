package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/paykit/paykit"
)

// Invoices of the gigstack dialect: the Service's tax invoices, income (type
// I) at /v2/invoices/income and payment complements (type P) at
// /v2/invoices/payment. Their amounts are decimal units, as gigstack's
// invoice object shows them (a payment's are cents); their id is their uuid,
// paykit's ID, since nothing stamps them; created_at is epoch seconds.

type gigstackInvoiceItemIn struct {
	ID          string          `json:"id"` // a service's
	Description string          `json:"description"`
	Quantity    *jsonNumber     `json:"quantity"`
	UnitPrice   *jsonNumber     `json:"unit_price"`
	ProductKey  string          `json:"product_key"`
	UnitKey     string          `json:"unit_key"`
	UnitName    string          `json:"unit_name"`
	Taxes       []gigstackTaxIn `json:"taxes"`
}

type gigstackInvoiceCreate struct {
	Client         *gigstackClientIn       `json:"client"`
	Items          []gigstackInvoiceItemIn `json:"items"`
	Currency       string                  `json:"currency"`
	ExchangeRate   *jsonNumber             `json:"exchange_rate"`
	Series         string                  `json:"series"`
	FolioNumber    json.RawMessage         `json:"folio_number"`
	Use            string                  `json:"use"`
	PaymentForm    string                  `json:"payment_form"`
	PaymentMethod  string                  `json:"payment_method"`
	AutomationType string                  `json:"automation_type"`
	Metadata       json.RawMessage         `json:"metadata"`
}

// gigstackDocumentClient splits a document's client object: {"id"} alone
// names an existing client; anything else is a client to create.
func gigstackDocumentClient(c *gigstackClientIn) (string, *paykit.ClientCreate) {
	if c == nil {
		return "", nil
	}
	if c.ID != "" && c.Name == "" && c.LegalName == "" && c.Email == "" && c.RFC == "" && c.TaxID == "" {
		return prefixedOrMissing(prefixClient, c.ID), nil
	}
	cc := c.domain()
	return "", &cc
}

func (c *gigstackInvoiceCreate) domain() (paykit.TaxInvoiceCreate, error) {
	var v paykit.Validation
	if len(c.FolioNumber) > 0 && string(c.FolioNumber) != "null" {
		v.Add("folio_number", "Folios are assigned by the series' counter, without gaps: give a series, not a folio.")
	}
	switch strings.ToLower(c.AutomationType) {
	case "", "none":
	default:
		v.Add("automation_type", "Only none: a payment's automations issue invoices paid through it.")
	}
	in := paykit.TaxInvoiceCreate{Currency: c.Currency, Exchange: decimalPtr(c.ExchangeRate), Series: c.Series,
		Use: c.Use, PaymentForm: c.PaymentForm, PaymentMethod: c.PaymentMethod, Metadata: c.Metadata}
	in.ClientID, in.Client = gigstackDocumentClient(c.Client)
	if c.Items != nil {
		in.Items = make([]paykit.ChargeItemInput, len(c.Items))
	}
	for i, it := range c.Items {
		in.Items[i] = paykit.ChargeItemInput{ProductID: prefixedOrMissing(prefixService, it.ID), Name: it.Description,
			Quantity: decimalPtr(it.Quantity), UnitPrice: decimalPtr(it.UnitPrice), ProductKey: it.ProductKey,
			UnitKey: it.UnitKey, UnitName: it.UnitName, Taxes: gigstackTaxes(it.Taxes)}
	}
	return in, v.Err()
}

// Responses.

type gigstackInvoiceClient struct {
	ID        *string `json:"id"`
	Name      string  `json:"name"`
	LegalName string  `json:"legal_name"`
	TaxID     string  `json:"tax_id"`
	TaxSystem string  `json:"tax_system"`
	Zip       string  `json:"zip"`
	Use       string  `json:"use"`
	Email     string  `json:"email,omitempty"`
}

type gigstackIssuer struct {
	TaxID     string `json:"tax_id"`
	LegalName string `json:"legal_name"`
	TaxSystem string `json:"tax_system"`
	Zip       string `json:"zip"`
}

type gigstackInvoiceItem struct {
	ID          *string          `json:"id"`
	Description string           `json:"description"`
	Quantity    jsonNumber       `json:"quantity"`
	UnitPrice   jsonNumber       `json:"unit_price"`
	ProductKey  string           `json:"product_key"`
	UnitKey     string           `json:"unit_key"`
	UnitName    string           `json:"unit_name"`
	Subtotal    jsonNumber       `json:"subtotal"` // the base, taxes out
	Taxes       []gigstackTaxOut `json:"taxes"`
	Total       jsonNumber       `json:"total"`
}

type gigstackInvoiceTax struct {
	Type        paykit.TaxType   `json:"type"`
	Factor      paykit.TaxFactor `json:"factor"`
	Rate        jsonNumber       `json:"rate"`
	Withholding bool             `json:"withholding"`
	Base        jsonNumber       `json:"base"`
	Amount      jsonNumber       `json:"amount"`
}

type gigstackComplement struct {
	InvoiceUUID     string     `json:"invoice_uuid"`
	Series          string     `json:"series"`
	FolioNumber     int64      `json:"folio_number"`
	PaidAt          int64      `json:"paid_at"` // epoch seconds
	PaymentForm     string     `json:"payment_form"`
	Amount          jsonNumber `json:"amount"`
	ExchangeRate    jsonNumber `json:"exchange_rate"`
	Installment     int        `json:"installment"`
	PreviousBalance jsonNumber `json:"previous_balance"`
	Balance         jsonNumber `json:"balance"`
}

type gigstackCancellation struct {
	Motive           paykit.CancelMotive `json:"motive"`
	SubstitutionUUID *string             `json:"substitution_uuid"`
	CanceledAt       int64               `json:"canceled_at"` // epoch seconds
}

type gigstackInvoice struct {
	ID           string                `json:"id"`
	UUID         string                `json:"uuid"`
	InvoiceType  paykit.CFDIType       `json:"invoice_type"`
	Status       string                `json:"status"`
	Series       string                `json:"series"`
	FolioNumber  int64                 `json:"folio_number"`
	Client       gigstackInvoiceClient `json:"client"`
	Issuer       gigstackIssuer        `json:"issuer"`
	Currency     paykit.Currency       `json:"currency"`
	ExchangeRate jsonNumber            `json:"exchange_rate"`
	PaymentForm  *string               `json:"payment_form"`
	// PaymentMethod is PUE or PPD, null for a complement.
	PaymentMethod *string               `json:"payment_method"`
	Use           string                `json:"use"`
	Items         []gigstackInvoiceItem `json:"items"`
	Subtotal      jsonNumber            `json:"subtotal"`
	Taxes         []gigstackInvoiceTax  `json:"taxes"`
	Total         jsonNumber            `json:"total"`
	LastBalance   jsonNumber            `json:"last_balance"`
	Complement    *gigstackComplement   `json:"complement,omitempty"`
	Payment       *string               `json:"payment"`
	Receipt       *string               `json:"receipt"`
	Automation    *string               `json:"automation"`
	Cancellation  *gigstackCancellation `json:"cancellation"`
	Stamped       bool                  `json:"stamped"` // always false: no PAC stamps paykit's invoices
	Stamp         *struct{}             `json:"stamp"`   // always null, for the same reason
	Metadata      json.RawMessage       `json:"metadata"`
	Team          string                `json:"team"`
	CreatedAt     int64                 `json:"created_at"`
}

// gigstackStatus renders a status: gigstack writes canceled with two ls.
func gigstackStatus[S ~string](s S) string {
	if s == "canceled" {
		return "cancelled"
	}
	return string(s)
}

// domainStatus reads a status filter, either spelling of canceled.
func domainStatus(s string) string {
	if s == "cancelled" {
		return "canceled"
	}
	return s
}

func gigstackInvoiceItemOf(it *paykit.ChargeItem) gigstackInvoiceItem {
	w := gigstackInvoiceItem{ID: nullable(wireID(prefixService, it.ProductID)), Description: it.Name,
		Quantity: jsonNumber{it.Quantity}, UnitPrice: jsonNumber{it.UnitPrice.Amount}, ProductKey: it.ProductKey,
		UnitKey: it.UnitKey, UnitName: it.UnitName, Subtotal: jsonNumber{it.Base.Amount}, Taxes: []gigstackTaxOut{},
		Total: jsonNumber{it.Total.Amount}}
	for _, t := range it.Taxes {
		w.Taxes = append(w.Taxes, gigstackTaxOut{Type: t.Type, Rate: jsonNumber{t.Rate}, Factor: t.Factor,
			Inclusive: t.Inclusive, Withholding: t.Withholding, Base: &jsonNumber{t.Base.Amount}, Amount: &jsonNumber{t.Amount.Amount}})
	}
	return w
}

func gigstackInvoiceTaxesOf(items []paykit.ChargeItem) []gigstackInvoiceTax {
	out := []gigstackInvoiceTax{}
	for _, t := range paykit.SumTaxes(items) {
		out = append(out, gigstackInvoiceTax{Type: t.Type, Factor: t.Factor, Rate: jsonNumber{t.Rate},
			Withholding: t.Withholding, Base: jsonNumber{t.Base}, Amount: jsonNumber{t.Amount.Amount}})
	}
	return out
}

func gigstackInvoiceOf(inv *paykit.TaxInvoice) gigstackInvoice {
	r := inv.Receiver
	out := gigstackInvoice{ID: inv.ID, UUID: inv.ID, InvoiceType: inv.Type, Status: gigstackStatus(inv.Status),
		Series: inv.Series, FolioNumber: inv.Folio,
		Client: gigstackInvoiceClient{ID: nullable(wireID(prefixClient, r.ClientID)), Name: r.Name, LegalName: r.Name,
			TaxID: r.RFC, TaxSystem: r.TaxSystem, Zip: r.Zip, Use: r.Use, Email: r.Email},
		Issuer: gigstackIssuer{TaxID: inv.Issuer.RFC, LegalName: inv.Issuer.LegalName, TaxSystem: inv.Issuer.TaxSystem,
			Zip: inv.Issuer.Zip},
		Currency: inv.Currency, ExchangeRate: jsonNumber{inv.Exchange}, PaymentForm: nullable(inv.PaymentForm),
		PaymentMethod: nullable(string(inv.PaymentMethod)), Use: r.Use, Items: []gigstackInvoiceItem{},
		Subtotal: jsonNumber{inv.Subtotal.Amount}, Taxes: gigstackInvoiceTaxesOf(inv.Items), Total: jsonNumber{inv.Total.Amount},
		LastBalance: jsonNumber{inv.Balance.Amount}, Payment: nullable(wireID(prefixPayment, inv.PaymentID)),
		Receipt: nullable(wireID(prefixReceipt, inv.ReceiptID)), Automation: nullable(string(inv.Automation)),
		Metadata: inv.Metadata, Team: inv.TenantID, CreatedAt: inv.CreatedAt.Unix()}
	for i := range inv.Items {
		out.Items = append(out.Items, gigstackInvoiceItemOf(&inv.Items[i]))
	}
	if p := inv.Payment; p != nil {
		out.Complement = &gigstackComplement{InvoiceUUID: p.InvoiceID, Series: p.InvoiceSeries, FolioNumber: p.InvoiceFolio,
			PaidAt: p.PaidAt.Unix(), PaymentForm: p.PaymentForm, Amount: jsonNumber{p.Amount.Amount},
			ExchangeRate: jsonNumber{p.Exchange}, Installment: p.Installment, PreviousBalance: jsonNumber{p.PreviousBalance.Amount},
			Balance: jsonNumber{p.PreviousBalance.Amount.Sub(p.Amount.Amount)}}
	}
	if c := inv.Cancellation; c != nil {
		out.Cancellation = &gigstackCancellation{Motive: c.Motive, SubstitutionUUID: nullable(c.SubstitutionID),
			CanceledAt: c.CanceledAt.Unix()}
	}
	return out
}

// gigstackDocList is the envelope of a list of invoices or receipts: snake_case,
// as gigstack's invoice lists are.
type gigstackDocList struct {
	Data         any     `json:"data"`
	Message      string  `json:"message"`
	HasMore      bool    `json:"has_more"`
	TotalResults int     `json:"total_results"`
	Next         *string `json:"next"`
}

// Handlers.

func (g *gigstack) createInvoice(c *gigstackCall) (int, any, error) {
	var body gigstackInvoiceCreate
	if err := decodeJSON(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	in, err := body.domain()
	if err != nil {
		return 0, nil, err
	}
	inv, err := g.svc.CreateTaxInvoice(c.ctx, c.tenant(), in)
	if err != nil {
		return 0, nil, gigstackDocErr(err)
	}
	return gsOK(gigstackInvoiceOf(inv), "Factura creada correctamente")
}

// invoice returns the acting team's tax invoice id of type typ (any type
// when typ is "").
func (g *gigstack) invoice(c *gigstackCall, typ paykit.CFDIType) (*paykit.TaxInvoice, error) {
	inv, err := g.svc.FindTaxInvoiceByID(c.ctx, c.tenant(), c.r.PathValue("id"))
	if err == nil && typ != "" && inv.Type != typ {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Invoice not found.")
	}
	return inv, err
}

// getInvoice answers the invoice of type typ, or with ?file_type=xml its
// CFDI XML (unstamped). There is no PDF.
func (g *gigstack) getInvoice(typ paykit.CFDIType) gigstackHandler {
	return func(c *gigstackCall) (int, any, error) {
		inv, err := g.invoice(c, typ)
		if err != nil {
			return 0, nil, err
		}
		switch ft := c.r.URL.Query().Get("file_type"); ft {
		case "":
		case "xml":
			b, err := inv.CFDI()
			if err != nil {
				return 0, nil, err
			}
			return http.StatusOK, rawBody{contentType: "application/xml; charset=utf-8", body: b}, nil
		default:
			return 0, nil, invalidField("file_type", "file_type is xml: the invoices are not rendered as PDF.")
		}
		return gsOK(gigstackInvoiceOf(inv), "Invoice retrieved successfully")
	}
}

func (g *gigstack) listInvoices(typ paykit.CFDIType) gigstackHandler {
	return func(c *gigstackCall) (int, any, error) {
		q := c.r.URL.Query()
		limit, err := listLimit(q)
		if err != nil {
			return 0, nil, err
		}
		f := paykit.TaxInvoiceFilter{Type: &typ, Limit: limit + 1, After: orString(q.Get("next"), q.Get("starting_after"))}
		if s := q.Get("status"); s != "" {
			st, err := paykit.ParseTaxInvoiceStatus("status", domainStatus(s))
			if err != nil {
				return 0, nil, invalidField("status", "status is valid or cancelled.")
			}
			f.Status = &st
		}
		if s := orString(q.Get("client_id"), q.Get("clientId")); s != "" {
			id := prefixedOrMissing(prefixClient, s)
			f.ClientID = &id
		}
		if s := q.Get("series"); s != "" {
			f.Series = &s
		}
		if s := q.Get("payment_id"); s != "" {
			id := prefixedOrMissing(prefixPayment, s)
			f.PaymentID = &id
		}
		invs, total, err := g.svc.FindTaxInvoices(c.ctx, c.tenant(), f)
		if err != nil {
			return 0, nil, err
		}
		more := len(invs) > limit
		if more {
			invs = invs[:limit]
		}
		data := make([]gigstackInvoice, len(invs))
		for i, inv := range invs {
			data[i] = gigstackInvoiceOf(inv)
		}
		return http.StatusOK, gigstackDocList{Data: data, Message: "Invoices retrieved successfully", HasMore: more,
			TotalResults: total, Next: nextOf(more, len(invs), func() string { return invs[len(invs)-1].ID })}, nil
	}
}

// gigstackInvoiceCancel is a cancellation: in the body, or in the query.
// replacement is the gigstack CLI's name for substitution_uuid.
type gigstackInvoiceCancel struct {
	Motive           string `json:"motive"`
	SubstitutionUUID string `json:"substitution_uuid"`
	Replacement      string `json:"replacement"`
}

func (g *gigstack) cancelInvoice(typ paykit.CFDIType) gigstackHandler {
	return func(c *gigstackCall) (int, any, error) {
		var in gigstackInvoiceCancel
		if err := decodeJSON(c.w, c.r, &in, true); err != nil {
			return 0, nil, err
		}
		q := c.r.URL.Query()
		in.Motive = orString(in.Motive, q.Get("motive"))
		sub := orString(orString(in.SubstitutionUUID, in.Replacement), q.Get("substitution_uuid"))
		inv, err := g.invoice(c, typ)
		if err != nil {
			return 0, nil, err
		}
		inv, err = g.svc.CancelTaxInvoice(c.ctx, c.tenant(), inv.ID, paykit.TaxInvoiceCancel{Motive: in.Motive, SubstitutionID: sub})
		if err != nil {
			return 0, nil, gigstackDocErr(err)
		}
		return gsOK(gigstackInvoiceOf(inv), "Factura cancelada correctamente")
	}
}

// gigstackFailure is the data of an invoice.failed delivery.
type gigstackFailure struct {
	Payment    string            `json:"payment"`
	Automation string            `json:"automation"`
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Details    map[string]string `json:"details,omitempty"`
}

// gigstackDocumentData renders the snapshot of a tax invoice or receipt event
// in gigstack's shape, or returns false for one it does not know.
func gigstackDocumentData(ev *paykit.Event) (json.RawMessage, bool) {
	var v any
	switch {
	case ev.Type == paykit.EventTaxInvoiceFailed:
		var f paykit.AutomationFailure
		if json.Unmarshal(ev.Data, &f) != nil || f.PaymentID == "" {
			return nil, false
		}
		w := gigstackFailure{Payment: wireID(prefixPayment, f.PaymentID), Automation: string(f.Document),
			Code: gigstackCodes[f.Code].code, Message: gigstackMessage(f.Message)}
		if len(f.Fields) > 0 {
			w.Details = map[string]string{}
			for k, m := range f.Fields {
				w.Details[gigstackField(k)] = gigstackMessage(m)
			}
		}
		v = w
	case strings.HasPrefix(ev.Type, "tax_invoice."):
		var inv paykit.TaxInvoice
		if json.Unmarshal(ev.Data, &inv) != nil || inv.ID == "" {
			return nil, false
		}
		v = gigstackInvoiceOf(&inv)
	case strings.HasPrefix(ev.Type, "receipt."):
		var r paykit.Receipt
		if json.Unmarshal(ev.Data, &r) != nil || r.ID == "" {
			return nil, false
		}
		v = gigstackReceiptOf(&r)
	default:
		return nil, false
	}
	b, err := encodeJSON(v)
	return b, err == nil
}
