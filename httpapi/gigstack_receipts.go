package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/paykit/paykit"
)

// Receipts of the gigstack dialect: camelCase like payments (validUntil, the
// items' total as the unit price, paymentMethod for the SAT payment form),
// their total in decimal units like invoices, listed like invoices.

// gigstackWhen is a time a client gives: an ISO 8601 string (or a date), or
// epoch milliseconds.
type gigstackWhen struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (w *gigstackWhen) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] >= '0' && b[0] <= '9' {
		ms, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return &json.UnmarshalTypeError{Value: "number " + string(b), Type: reflect.TypeFor[isoTime]()}
		}
		w.Time = time.UnixMilli(ms).UTC()
		return nil
	}
	var d gigstackDate
	if err := d.UnmarshalJSON(b); err != nil {
		return err
	}
	w.Time = d.Time
	return nil
}

func (w *gigstackWhen) ptr() *time.Time {
	if w == nil || w.IsZero() {
		return nil
	}
	t := w.Time
	return &t
}

type gigstackReceiptCreate struct {
	ClientID      string            `json:"clientId"`
	Client        *gigstackClientIn `json:"client"`
	Items         []gigstackItemIn  `json:"items"`
	Currency      string            `json:"currency"`
	Exchange      *jsonNumber       `json:"exchange"`
	PaymentMethod string            `json:"paymentMethod"` // c_FormaPago, as a payment's
	ValidUntil    *gigstackWhen     `json:"validUntil"`
	Metadata      json.RawMessage   `json:"metadata"`
}

type gigstackReceiptUpdate struct {
	ClientID      *string          `json:"clientId"`
	ValidUntil    *gigstackWhen    `json:"validUntil"`
	PaymentMethod *string          `json:"paymentMethod"`
	Metadata      *json.RawMessage `json:"metadata"`
	Status        *string          `json:"status"`
}

type gigstackReceiptStamp struct {
	ClientID      string            `json:"clientId"`
	Client        *gigstackClientIn `json:"client"`
	PaymentMethod string            `json:"paymentMethod"`
	Use           string            `json:"use"`
	Series        string            `json:"series"`
}

type gigstackReceipt struct {
	ID          string               `json:"id"`
	Status      string               `json:"status"`
	Client      *gigstackClient      `json:"client"`
	ClientID    *string              `json:"clientId"`
	Items       []gigstackItem       `json:"items"`
	Currency    paykit.Currency      `json:"currency"`
	Exchange    jsonNumber           `json:"exchange"`
	Subtotal    jsonNumber           `json:"subtotal"`
	Taxes       []gigstackInvoiceTax `json:"taxes"`
	Total       jsonNumber           `json:"total"`
	PaymentForm *string              `json:"payment_form"`
	Payment     *string              `json:"payment"`
	Invoice     *string              `json:"invoice"`
	ValidUntil  int64                `json:"validUntil"`
	Metadata    json.RawMessage      `json:"metadata"`
	Team        string               `json:"team"`
	Timestamp   int64                `json:"timestamp"`
}

func gigstackReceiptOf(r *paykit.Receipt) gigstackReceipt {
	out := gigstackReceipt{ID: wireID(prefixReceipt, r.ID), Status: gigstackStatus(r.Status),
		ClientID: nullable(wireID(prefixClient, r.ClientID)), Items: []gigstackItem{}, Currency: r.Currency,
		Exchange: jsonNumber{r.Exchange}, Subtotal: jsonNumber{r.Subtotal.Amount}, Taxes: gigstackInvoiceTaxesOf(r.Items),
		Total: jsonNumber{r.Total.Amount}, PaymentForm: nullable(r.PaymentForm),
		Payment: nullable(wireID(prefixPayment, r.PaymentID)), Invoice: nullable(r.InvoiceID),
		ValidUntil: millis(r.ValidUntil), Metadata: r.Metadata, Team: r.TenantID, Timestamp: millis(r.CreatedAt)}
	if r.Client != nil {
		cl := gigstackClientOf(r.Client, "")
		out.Client = &cl
	}
	for _, it := range r.Items {
		out.Items = append(out.Items, gigstackItemOf(&it, r.Currency))
	}
	return out
}

func (g *gigstack) createReceipt(c *gigstackCall) (int, any, error) {
	var body gigstackReceiptCreate
	if err := decodeJSON(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	in := paykit.ReceiptCreate{ClientID: prefixedOrMissing(prefixClient, body.ClientID), Currency: body.Currency,
		Exchange: decimalPtr(body.Exchange), PaymentForm: body.PaymentMethod, ValidUntil: body.ValidUntil.ptr(),
		Metadata: body.Metadata}
	if body.Client != nil {
		id, cc := gigstackDocumentClient(body.Client)
		in.Client = cc
		if id != "" {
			in.ClientID = orString(in.ClientID, id)
			if body.ClientID != "" {
				return 0, nil, invalidField("client", "Give either clientId or client, not both.")
			}
		}
	}
	in.Items = gigstackItems(body.Items)
	r, err := g.svc.CreateReceipt(c.ctx, c.tenant(), in)
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackReceiptOf(r), "Receipt created successfully")
}

// receipt returns the acting team's receipt with the wire ID in the path.
func (g *gigstack) receipt(c *gigstackCall) (*paykit.Receipt, error) {
	id := domainID(prefixReceipt, c.r.PathValue("id"))
	if id == "" {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Receipt not found.")
	}
	return g.svc.FindReceiptByID(c.ctx, c.tenant(), id)
}

func (g *gigstack) getReceipt(c *gigstackCall) (int, any, error) {
	r, err := g.receipt(c)
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackReceiptOf(r), "Receipt retrieved successfully")
}

func (g *gigstack) listReceipts(c *gigstackCall) (int, any, error) {
	q := c.r.URL.Query()
	limit, err := listLimit(q)
	if err != nil {
		return 0, nil, err
	}
	f := paykit.ReceiptFilter{Limit: limit + 1}
	if s := orString(q.Get("next"), q.Get("starting_after")); s != "" {
		f.After = prefixedOrMissing(prefixReceipt, s)
	}
	if s := q.Get("status"); s != "" {
		st, err := paykit.ParseReceiptStatus("status", domainStatus(s))
		if err != nil {
			return 0, nil, invalidField("status", "status is pending, open, invoiced, completed, expired or cancelled.")
		}
		f.Status = &st
	}
	if s := orString(q.Get("client_id"), q.Get("clientId")); s != "" {
		id := prefixedOrMissing(prefixClient, s)
		f.ClientID = &id
	}
	if s := orString(q.Get("payment_id"), q.Get("paymentId")); s != "" {
		id := prefixedOrMissing(prefixPayment, s)
		f.PaymentID = &id
	}
	rs, total, err := g.svc.FindReceipts(c.ctx, c.tenant(), f)
	if err != nil {
		return 0, nil, err
	}
	more := len(rs) > limit
	if more {
		rs = rs[:limit]
	}
	data := make([]gigstackReceipt, len(rs))
	for i, r := range rs {
		data[i] = gigstackReceiptOf(r)
	}
	return http.StatusOK, gigstackDocList{Data: data, Message: "Receipts retrieved successfully", HasMore: more,
		TotalResults: total, Next: nextOf(more, len(rs), func() string { return wireID(prefixReceipt, rs[len(rs)-1].ID) })}, nil
}

func (g *gigstack) updateReceipt(c *gigstackCall) (int, any, error) {
	r, err := g.receipt(c)
	if err != nil {
		return 0, nil, err
	}
	var body gigstackReceiptUpdate
	if err := decodeJSON(c.w, c.r, &body, false); err != nil {
		return 0, nil, err
	}
	upd := paykit.ReceiptUpdate{ValidUntil: body.ValidUntil.ptr(), PaymentForm: body.PaymentMethod, Metadata: body.Metadata}
	if body.ClientID != nil {
		id := ""
		if *body.ClientID != "" {
			id = prefixedOrMissing(prefixClient, *body.ClientID)
		}
		upd.ClientID = &id
	}
	if body.ValidUntil != nil && body.ValidUntil.IsZero() {
		return 0, nil, invalidField("validUntil", "validUntil is a time: it cannot be removed.")
	}
	if body.Status != nil {
		st := paykit.ReceiptStatus(domainStatus(strings.TrimSpace(*body.Status)))
		upd.Status = &st
	}
	r, err = g.svc.UpdateReceipt(c.ctx, c.tenant(), r.ID, upd)
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackReceiptOf(r), "Receipt updated successfully")
}

func (g *gigstack) deleteReceipt(c *gigstackCall) (int, any, error) {
	r, err := g.receipt(c)
	if err != nil {
		return 0, nil, err
	}
	if r, err = g.svc.DeleteReceipt(c.ctx, c.tenant(), r.ID); err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackReceiptOf(r), "Receipt cancelled successfully")
}

func (g *gigstack) stampReceipt(c *gigstackCall) (int, any, error) {
	r, err := g.receipt(c)
	if err != nil {
		return 0, nil, err
	}
	var body gigstackReceiptStamp
	if err := decodeJSON(c.w, c.r, &body, true); err != nil {
		return 0, nil, err
	}
	in := paykit.ReceiptStamp{ClientID: prefixedOrMissing(prefixClient, body.ClientID), PaymentForm: body.PaymentMethod,
		Use: body.Use, Series: body.Series}
	if body.Client != nil {
		id, cc := gigstackDocumentClient(body.Client)
		in.Client = cc
		if id != "" && in.ClientID == "" {
			in.ClientID = id
		}
	}
	inv, err := g.svc.StampReceipt(c.ctx, c.tenant(), r.ID, in)
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackInvoiceOf(inv), "Recibo timbrado correctamente")
}
