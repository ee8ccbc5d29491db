package paykit

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Issuing a tax invoice: its input validated outside the transaction (lines,
// payment terms, series), then, in one, the issuer and the receiver, the next
// folio of its series, the row and its event.

// seriesPattern is a series: 1 to 25 letters and digits.
var seriesPattern = regexp.MustCompile(`^[A-Za-z0-9]{1,25}$`)

// checkSeries validates a series into v.
func checkSeries(v *Validation, field, series string) {
	if !seriesPattern.MatchString(series) {
		v.Add(field, "A series has 1 to 25 letters and digits.")
	}
}

// checkPaymentTerms validates an invoice's payment method and form into v and
// returns them with their defaults: PUE, paid in a form other than 99; or
// PPD, whose form is 99.
func checkPaymentTerms(v *Validation, method, form string) (PaymentMethod, string) {
	m := PaymentMethod(strings.ToUpper(strings.TrimSpace(method)))
	form = strings.TrimSpace(form)
	if m == "" {
		m = PaymentMethodPUE
	} else if _, err := parseEnum("paymentMethod", "Payment method", string(m), paymentMethods); err != nil {
		v.Add("paymentMethod", ErrorMessage(err))
		return m, form
	}
	switch {
	case m == PaymentMethodPPD && form == "":
		form = paymentFormUndefined
	case m == PaymentMethodPPD && form != paymentFormUndefined:
		v.Add("paymentForm", "A PPD invoice is not paid yet: its payment form is 99 (Por definir).")
	case form == "":
		v.Add("paymentForm", msgRequired)
	case form == paymentFormUndefined:
		v.Add("paymentForm", "A PUE invoice is paid: give how, not 99 (Por definir).")
	default:
		if err := CheckPaymentForm("paymentForm", form); err != nil {
			v.Add("paymentForm", ErrorMessage(err))
		}
	}
	return m, form
}

// teamIssuer returns the fiscal identity the tenant's team issues invoices
// as, or ECONFLICT on the field "team" when it has none.
func teamIssuer(ctx context.Context, st Store, tenantID string) (*FiscalIdentity, error) {
	t, err := findTeam(ctx, st, tenantID)
	if err != nil {
		return nil, err
	}
	if t.Fiscal == nil {
		msg := "Team " + quote(tenantID) + " has no fiscal identity (RFC, legal name, tax system, postal code) to invoice with."
		return nil, &Error{Code: ECONFLICT, Message: msg, Fields: map[string]string{"team": msg}}
	}
	f := *t.Fiscal
	return &f, nil
}

// cfdiReceiver validates client as the receiver of an invoice into v, naming
// its fields with prefix, and returns it. A client without an RFC (or with the
// general public's) is invoiced as the general public: RFC XAXX010101000, tax
// system 616, use S01, and the issuer's postal code; any other needs its legal
// name, tax system, postal code and a CFDI use allowed for its tax system. use
// overrides the client's use.
func cfdiReceiver(v *Validation, prefix string, c *Client, use string, issuer *FiscalIdentity) CFDIReceiver {
	r := CFDIReceiver{ClientID: c.ID, RFC: c.RFC, Name: strings.ToUpper(orDefault(c.LegalName, c.Name)), Zip: c.Address.Zip,
		TaxSystem: c.TaxSystem, Use: strings.ToUpper(orDefault(strings.TrimSpace(use), c.Use)), Email: c.Email}
	if r.RFC == "" || r.RFC == RFCGeneralPublic || r.RFC == RFCForeign {
		r.RFC = orDefault(r.RFC, RFCGeneralPublic)
		r.TaxSystem, r.Use, r.Zip = "616", "S01", issuer.Zip
		return r
	}
	if c.LegalName == "" {
		v.Add(prefix+"legalName", "An invoice needs the client's legal name, as registered with the SAT.")
	}
	if r.TaxSystem == "" {
		v.Add(prefix+"taxSystem", "An invoice needs the client's tax system.")
	}
	if !zipPattern.MatchString(r.Zip) {
		v.Add(prefix+"address.zip", "An invoice needs the client's fiscal postal code (5 digits).")
	}
	if r.Use == "" {
		v.Add(prefix+"use", "An invoice needs the client's CFDI use.")
	} else {
		field := prefix + "use"
		if use != "" {
			field = "use"
		}
		checkCFDIUse(v, field, r.Use, r.TaxSystem)
	}
	return r
}

// CreateTaxInvoice issues an income invoice of the tenant's team to a client,
// with the next folio of its series. Returns EINVALID (the client not found is
// one, on clientId), and ECONFLICT on the field "team" when the team has no
// fiscal identity.
func (s *Service) CreateTaxInvoice(ctx context.Context, tenantID string, in TaxInvoiceCreate) (*TaxInvoice, error) {
	var v Validation
	tmpl := TaxInvoice{TenantID: tenantID, Type: CFDITypeIncome, Status: TaxInvoiceStatusValid,
		Series: orDefault(strings.TrimSpace(in.Series), DefaultIncomeSeries)}
	checkSeries(&v, "series", tmpl.Series)
	switch {
	case in.ClientID == "" && in.Client == nil:
		v.Add("clientId", "Give clientId or client.")
	case in.ClientID != "" && in.Client != nil:
		v.Add("client", "Give either clientId or client, not both.")
	case in.Client != nil && in.Client.ID == "":
		var cv Validation
		newClient(&cv, "client.", tenantID, in.Client)
		for f, m := range ErrorFields(cv.Err()) {
			v.Add(f, m)
		}
	}
	if in.Use != "" {
		if _, ok := catalogEntry(CatalogCFDIUses, strings.ToUpper(strings.TrimSpace(in.Use))); !ok {
			v.Add("use", "Not a CFDI use of the SAT catalog c_UsoCFDI, like G03.")
		}
	}
	tmpl.PaymentMethod, tmpl.PaymentForm = checkPaymentTerms(&v, in.PaymentMethod, in.PaymentForm)
	doc, err := s.priceDocument(ctx, &v, tenantID, "An invoice", in.Metadata, in.Currency, in.Exchange, in.Items)
	if err != nil {
		return nil, err
	}
	tmpl.Metadata, tmpl.Currency, tmpl.Exchange, tmpl.Items, tmpl.LineSums = doc.Metadata, doc.Currency, doc.Exchange, doc.Items, doc.LineSums
	return write(ctx, s, tenantID, "tax_invoice.create", in, func(tx Tx, now time.Time) (*TaxInvoice, error) {
		inv := tmpl
		issuer, err := teamIssuer(ctx, tx, tenantID)
		if err != nil {
			return nil, err
		}
		client, err := s.resolveClient(ctx, tx, now, tenantID, clientRef{ID: in.ClientID, New: in.Client, From: "invoice"})
		if err != nil {
			return nil, err
		}
		var v Validation
		inv.Issuer, inv.Receiver = *issuer, cfdiReceiver(&v, "client.", client, in.Use, issuer)
		if err := v.Err(); err != nil {
			return nil, err
		}
		return &inv, s.issueTaxInvoice(ctx, tx, now, &inv)
	})
}

// issueTaxInvoice gives inv its ID, the next folio of its series, its times
// and its balance, inserts it and fires tax_invoice.created, in the caller's
// transaction: a folio taken by a transaction that rolls back is taken back,
// so the folios of a series have no gaps.
func (s *Service) issueTaxInvoice(ctx context.Context, tx Tx, now time.Time, inv *TaxInvoice) error {
	folio, err := tx.NextFolio(ctx, inv.TenantID, inv.Series)
	if err != nil {
		return fmt.Errorf("folio of series %s: %w", inv.Series, err)
	}
	inv.ID, inv.Folio, inv.IssuedAt, inv.CreatedAt, inv.UpdatedAt = newID(), folio, now, now, now
	inv.Balance = MoneyFromMinor(0, inv.Currency)
	if inv.PaymentMethod == PaymentMethodPPD {
		inv.Balance = inv.Total
	}
	if inv.Items == nil {
		inv.Items = []ChargeItem{}
	}
	if len(inv.Metadata) == 0 {
		inv.Metadata = json.RawMessage(`{}`)
	}
	if err := tx.CreateTaxInvoice(ctx, inv); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, inv.TenantID, EventTaxInvoiceCreated, inv.ID, inv)
}
