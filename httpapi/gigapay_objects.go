package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/paykit/paykit"
	"github.com/shopspring/decimal"
)

// Gigapay's wire objects: one struct and one encoder per object, used by the
// handlers, the browsable HTML, the sandbox and the webhook bodies, so that a
// webhook posts byte for byte what the API returns. The root types are
// paykit's canonical form; the fields here are Gigapay's, in Gigapay's order:
// snake_case, money as a decimal string at the currency's scale, times in UTC
// to the microsecond with a Z, metadata {} when there is none, and null for an
// empty optional string.

// gigapayTimeLayout is how Gigapay writes times, like 2019-05-22T10:32:36.118753Z.
const gigapayTimeLayout = "2006-01-02T15:04:05.000000Z"

func gigapayTime(t time.Time) string { return t.UTC().Format(gigapayTimeLayout) }

func gigapayTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := gigapayTime(*t)
	return &s
}

// gigapayMetadata is metadata as Gigapay shows it: {} when there is none.
func gigapayMetadata(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return json.RawMessage(`{}`)
	}
	return m
}

// gigapayEmployee is Gigapay's employee object.
type gigapayEmployee struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	CellphoneNumber *string         `json:"cellphone_number"`
	Email           *string         `json:"email"`
	Country         string          `json:"country"`
	Metadata        json.RawMessage `json:"metadata"`
	CreatedAt       string          `json:"created_at"`
	NotifiedAt      *string         `json:"notified_at"`
	ClaimedAt       *string         `json:"claimed_at"`
	VerifiedAt      *string         `json:"verified_at"`
	// ClaimURL, an extension, is the invitation's link (the magic link)
	// when the host serves its page: the employee routes set it.
	ClaimURL string `json:"claim_url,omitempty"`
}

func gigapayEmployeeOf(e *paykit.Employee) gigapayEmployee {
	return gigapayEmployee{ID: e.ID, Name: e.Name, CellphoneNumber: nullable(e.CellphoneNumber),
		Email: nullable(e.Email), Country: e.Country, Metadata: gigapayMetadata(e.Metadata),
		CreatedAt: gigapayTime(e.CreatedAt), NotifiedAt: gigapayTimePtr(e.NotifiedAt),
		ClaimedAt: gigapayTimePtr(e.ClaimedAt), VerifiedAt: gigapayTimePtr(e.VerifiedAt)}
}

// gigapayInvoice is Gigapay's invoice object.
type gigapayInvoice struct {
	ID        string          `json:"id"`
	App       string          `json:"app"`
	PDF       string          `json:"pdf"`
	CreatedAt string          `json:"created_at"`
	PaidAt    *string         `json:"paid_at"`
	Currency  paykit.Currency `json:"currency"`
	Metadata  json.RawMessage `json:"metadata"`
	OCRNumber string          `json:"ocr_number"`
	Open      bool            `json:"open"`
	Price     string          `json:"price"`
}

func gigapayInvoiceOf(inv *paykit.Invoice) gigapayInvoice {
	return gigapayInvoice{ID: inv.ID, App: inv.AppURL, PDF: inv.PDFURL, CreatedAt: gigapayTime(inv.CreatedAt),
		PaidAt: gigapayTimePtr(inv.PaidAt), Currency: inv.Currency, Metadata: gigapayMetadata(inv.Metadata),
		OCRNumber: inv.OCRNumber(), Open: inv.Open, Price: inv.Price.Fixed()}
}

// gigapayPayout is Gigapay's payout object. Employee and Invoice are the
// client ids, or the objects themselves when expanded (?expand=).
type gigapayPayout struct {
	ID                      string          `json:"id"`
	Amount                  string          `json:"amount"`
	InvoicedAmount          string          `json:"invoiced_amount"`
	Cost                    string          `json:"cost"`
	Currency                paykit.Currency `json:"currency"`
	Description             string          `json:"description"`
	Employee                any             `json:"employee"`
	FullSalarySpecification bool            `json:"full_salary_specification"`
	Invoice                 any             `json:"invoice"`
	Metadata                json.RawMessage `json:"metadata"`
	StartAt                 *string         `json:"start_at"`
	EndAt                   *string         `json:"end_at"`
	CreatedAt               string          `json:"created_at"`
	NotifiedAt              *string         `json:"notified_at"`
	AcceptedAt              *string         `json:"accepted_at"`
}

// gigapayPayoutOf renders p, with its employee and invoice expanded when emp
// and inv are given.
func gigapayPayoutOf(p *paykit.Payout, emp *paykit.Employee, inv *paykit.Invoice) gigapayPayout {
	out := gigapayPayout{ID: p.ID, Amount: p.Amount.Fixed(), InvoicedAmount: p.InvoicedAmount.Fixed(),
		Cost: p.Cost.Fixed(), Currency: p.Amount.Currency, Description: p.Description, Employee: p.EmployeeID,
		FullSalarySpecification: p.FullSalarySpecification(), Invoice: p.InvoiceID, Metadata: gigapayMetadata(p.Metadata),
		StartAt: gigapayTimePtr(p.StartAt), EndAt: gigapayTimePtr(p.EndAt), CreatedAt: gigapayTime(p.CreatedAt),
		NotifiedAt: gigapayTimePtr(p.NotifiedAt), AcceptedAt: gigapayTimePtr(p.AcceptedAt)}
	if emp != nil {
		out.Employee = gigapayEmployeeOf(emp)
	}
	if inv != nil {
		out.Invoice = gigapayInvoiceOf(inv)
	}
	return out
}

// gigapayPricing is Gigapay's pricing object: null for what Swedish payouts
// never carry (health insurance, pension), and for the id of a calculation
// without one.
type gigapayPricing struct {
	ID              *string         `json:"id"`
	Amount          string          `json:"amount"`
	InvoicedAmount  string          `json:"invoiced_amount"`
	Cost            string          `json:"cost"`
	Currency        paykit.Currency `json:"currency"`
	Fee             string          `json:"fee"`
	Payroll         string          `json:"payroll"`
	Tax             string          `json:"tax"`
	VAT             string          `json:"vat"`
	HealthInsurance *string         `json:"health_insurance"`
	Pension         *string         `json:"pension"`
	Metadata        json.RawMessage `json:"metadata"`
}

func gigapayPricingOf(p *paykit.Pricing) gigapayPricing {
	return gigapayPricing{ID: nullable(p.ID), Amount: p.Amount.Fixed(), InvoicedAmount: p.InvoicedAmount.Fixed(),
		Cost: p.Cost.Fixed(), Currency: p.Amount.Currency, Fee: p.Fee.Fixed(), Payroll: p.Payroll.Fixed(),
		Tax: p.Tax.Fixed(), VAT: p.VAT.Fixed(), Metadata: gigapayMetadata(p.Metadata)}
}

// gigapayIntegration is Gigapay's integration object.
type gigapayIntegration struct {
	ID           string                 `json:"id"`
	Name         string                 `json:"name"`
	Type         paykit.IntegrationType `json:"type"`
	Logo         *string                `json:"logo"`
	Metadata     json.RawMessage        `json:"metadata"`
	Email        string                 `json:"email"`
	Recipient    string                 `json:"recipient"`
	AddressLine1 string                 `json:"address_line_1"`
	AddressLine2 *string                `json:"address_line_2"`
	ZipCode      string                 `json:"zip_code"`
	City         string                 `json:"city"`
}

func gigapayIntegrationOf(in *paykit.Integration) gigapayIntegration {
	return gigapayIntegration{ID: in.ID, Name: in.Name, Type: in.Type, Logo: nullable(in.Logo),
		Metadata: gigapayMetadata(in.Metadata), Email: in.Email, Recipient: in.Recipient,
		AddressLine1: in.AddressLine1, AddressLine2: nullable(in.AddressLine2), ZipCode: in.ZipCode, City: in.City}
}

// gigapayWebhook is Gigapay's webhook object.
type gigapayWebhook struct {
	ID        string          `json:"id"`
	URL       string          `json:"url"`
	Events    []string        `json:"events"`
	SecretKey string          `json:"secret_key"`
	Metadata  json.RawMessage `json:"metadata"`
}

func gigapayWebhookOf(e *paykit.Endpoint) gigapayWebhook {
	md := e.Metadata
	if len(md) == 0 {
		md = json.RawMessage(`{}`)
	}
	events := make([]string, len(e.Events))
	for i, typ := range e.Events {
		events[i] = gigapayEventName(typ)
	}
	return gigapayWebhook{ID: e.ID, URL: e.URL, Events: events, SecretKey: e.Secret, Metadata: md}
}

// gigapayRates are an integration's pricing rates as the sandbox shows them.
type gigapayRates struct {
	Payroll   decimal.Decimal `json:"payroll"`
	IncomeTax decimal.Decimal `json:"income_tax"`
	VAT       decimal.Decimal `json:"vat"`
	Fee       decimal.Decimal `json:"fee"`
}

func gigapayRatesOf(r paykit.PricingRates) gigapayRates {
	return gigapayRates{Payroll: r.Payroll, IncomeTax: r.IncomeTax, VAT: r.VAT, Fee: r.Fee}
}

// renderGigapayEvent returns the body of a Gigapay webhook: the Gigapay
// object of the event's canonical snapshot, byte for byte what the API returns
// for it (an Invoice.paid body, of paykit.EventInvoicePaid, is GET
// /invoices/{id}/), unexpanded. Events of other nouns, which a Gigapay webhook
// cannot subscribe to but an endpoint of the scheme made through the engine
// may, are posted as their snapshot. The secret is not needed: Gigapay signs
// in a header.
func renderGigapayEvent(ev *paykit.Event, secret string) (json.RawMessage, error) {
	noun, _, _ := strings.Cut(ev.Type, ".")
	var obj any
	switch noun {
	case "employee":
		var e paykit.Employee
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			return nil, fmt.Errorf("gigapay body of event %s: %w", ev.ID, err)
		}
		obj = gigapayEmployeeOf(&e)
	case "payout":
		var p paykit.Payout
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			return nil, fmt.Errorf("gigapay body of event %s: %w", ev.ID, err)
		}
		obj = gigapayPayoutOf(&p, nil, nil)
	case "invoice":
		var inv paykit.Invoice
		if err := json.Unmarshal(ev.Data, &inv); err != nil {
			return nil, fmt.Errorf("gigapay body of event %s: %w", ev.ID, err)
		}
		obj = gigapayInvoiceOf(&inv)
	default:
		if len(ev.Data) == 0 {
			return json.RawMessage("null"), nil
		}
		return ev.Data, nil
	}
	b, err := encodeJSON(obj)
	if err != nil {
		return nil, fmt.Errorf("gigapay body of event %s: %w", ev.ID, err)
	}
	return b, nil
}
