package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/signing"
)

// Webhooks of the gigstack dialect: the team's endpoints of the gigstack
// scheme, subscribed to the names of gigstackEvents.

type gigstackWebhookIn struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Status      *string   `json:"status"`
}

type gigstackWebhook struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Status      string   `json:"status"`
	Description string   `json:"description"`
	Owner       string   `json:"owner"`
	Team        string   `json:"team"`
	CreatedAt   int64    `json:"created_at"`
	Secret      string   `json:"secret"` // the key of X-Gigstack-Signature
}

func gigstackWebhookOf(e *paykit.Endpoint) gigstackWebhook {
	out := gigstackWebhook{ID: wireID(prefixWebhook, e.ID), URL: e.URL, Events: make([]string, len(e.Events)),
		Status: "active", Description: e.Description, Owner: e.TenantID, Team: e.TenantID,
		CreatedAt: millis(e.CreatedAt), Secret: e.Secret}
	for i, typ := range e.Events {
		out.Events[i] = gigstackEventName(typ)
	}
	if !e.Enabled {
		out.Status = "inactive"
	}
	return out
}

// webhookStatus reads an optional status: active or inactive.
func webhookStatus(s *string) (*bool, error) {
	if s == nil {
		return nil, nil
	}
	switch *s {
	case "active":
		return ptrTo(true), nil
	case "inactive":
		return ptrTo(false), nil
	}
	return nil, invalidField("status", "status is active or inactive.")
}

func (g *gigstack) createWebhook(c *gigstackCall) (int, any, error) {
	var in gigstackWebhookIn
	if err := decodeJSON(c.w, c.r, &in, false); err != nil {
		return 0, nil, err
	}
	var v paykit.Validation
	enabled, err := webhookStatus(in.Status)
	if err != nil {
		v.Add("status", paykit.ErrorMessage(err))
	}
	switch {
	case in.URL == nil || strings.TrimSpace(*in.URL) == "":
		v.Add("url", "A value is required.")
	}
	if in.Events == nil || len(*in.Events) == 0 {
		v.Add("events", "Give at least one event.")
	}
	if err := v.Err(); err != nil {
		return 0, nil, err
	}
	create := paykit.EndpointCreate{URL: *in.URL, Events: *in.Events, Scheme: SchemeGigstack, Enabled: enabled,
		Catalog: gigstackEventTypes}
	if in.Description != nil {
		create.Description = *in.Description
	}
	e, err := g.svc.CreateEndpoint(c.ctx, c.tenant(), create)
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackWebhookOf(e), "Webhook created successfully")
}

// webhook returns the acting team's gigstack webhook with the wire ID id.
func (g *gigstack) webhook(c *gigstackCall) (*paykit.Endpoint, error) {
	id := domainID(prefixWebhook, c.r.PathValue("id"))
	if id == "" {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Webhook not found.")
	}
	e, err := g.svc.FindEndpointByID(c.ctx, c.tenant(), id)
	if paykit.ErrorCode(err) == paykit.ENOTFOUND || err == nil && e.Scheme != SchemeGigstack {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Webhook not found.")
	}
	return e, err
}

func (g *gigstack) getWebhook(c *gigstackCall) (int, any, error) {
	e, err := g.webhook(c)
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackWebhookOf(e), "Webhook retrieved successfully")
}

func (g *gigstack) listWebhooks(c *gigstackCall) (int, any, error) {
	q := c.r.URL.Query()
	limit, err := listLimit(q)
	if err != nil {
		return 0, nil, err
	}
	scheme := SchemeGigstack
	f := paykit.EndpointFilter{Scheme: &scheme}
	if s := q.Get("status"); s != "" {
		if f.Enabled, err = webhookStatus(&s); err != nil {
			return 0, nil, err
		}
	}
	page := paykit.ListPage{Limit: limit + 1}
	if s := q.Get("starting_after"); s != "" {
		e, err := g.svc.FindEndpointByID(c.ctx, c.tenant(), domainID(prefixWebhook, s))
		if err != nil && paykit.ErrorCode(err) != paykit.ENOTFOUND {
			return 0, nil, err
		}
		page.After = &paykit.Cursor{UID: "\x00"} // names no webhook: an empty page
		if err == nil {
			page.After = &paykit.Cursor{CreatedAt: e.CreatedAt, UID: e.ID}
		}
	}
	es, total, err := g.svc.FindEndpointPage(c.ctx, c.tenant(), f, page)
	if err != nil {
		return 0, nil, err
	}
	more := len(es) > limit
	if more {
		es = es[:limit]
	}
	data := make([]gigstackWebhook, len(es))
	for i, e := range es {
		data[i] = gigstackWebhookOf(e)
	}
	return http.StatusOK, gigstackList{Data: data, Message: "Webhooks retrieved successfully", TotalResults: total,
		HasMore: more, Next: nextOf(more, len(es), func() string { return wireID(prefixWebhook, es[len(es)-1].ID) })}, nil
}

func (g *gigstack) updateWebhook(c *gigstackCall) (int, any, error) {
	e, err := g.webhook(c)
	if err != nil {
		return 0, nil, err
	}
	var in gigstackWebhookIn
	if err := decodeJSON(c.w, c.r, &in, false); err != nil {
		return 0, nil, err
	}
	enabled, err := webhookStatus(in.Status)
	if err != nil {
		return 0, nil, err
	}
	if in.Events != nil && len(*in.Events) == 0 {
		return 0, nil, invalidField("events", "Give at least one event.")
	}
	e, err = g.svc.UpdateEndpoint(c.ctx, c.tenant(), e.ID, paykit.EndpointUpdate{URL: in.URL, Events: in.Events,
		Description: in.Description, Enabled: enabled, Catalog: gigstackEventTypes})
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackWebhookOf(e), "Webhook updated successfully")
}

func (g *gigstack) deleteWebhook(c *gigstackCall) (int, any, error) {
	e, err := g.webhook(c)
	if err != nil {
		return 0, nil, err
	}
	if err := g.svc.DeleteEndpoint(c.ctx, c.tenant(), e.ID); err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackDeleted{wireID(prefixWebhook, e.ID), true}, "Webhook deleted successfully")
}

// renderGigstackEvent is the body of a gigstack delivery:
// {"id":"evt_<event ID>","event","timestamp","data"}, the event named as
// gigstack documents it and its data in gigstack's shape where the dialect
// has one (a payment's summary, a client, a service, an invoice, a receipt);
// any other snapshot is
// posted as the event holds it.
func renderGigstackEvent(ev *paykit.Event, _ string) (json.RawMessage, error) {
	data := ev.Data
	switch {
	case strings.HasPrefix(ev.Type, "payment."):
		if d, ok := gigstackPaymentData(ev.Data); ok {
			data = d
		}
	case strings.HasPrefix(ev.Type, "client."):
		var cl paykit.Client
		if json.Unmarshal(ev.Data, &cl) == nil && cl.ID != "" && cl.CreatedAt.Unix() > 0 {
			if b, err := encodeJSON(gigstackClientOf(&cl, "")); err == nil {
				data = b
			}
		}
	case strings.HasPrefix(ev.Type, "tax_invoice."), strings.HasPrefix(ev.Type, "receipt."):
		if d, ok := gigstackDocumentData(ev); ok {
			data = d
		}
	case strings.HasPrefix(ev.Type, "product."):
		var p paykit.Product
		if json.Unmarshal(ev.Data, &p) == nil && p.ID != "" && p.Price.Currency != "" {
			if b, err := encodeJSON(gigstackServiceOf(&p)); err == nil {
				data = b
			}
		}
	}
	return signing.GigstackEnvelope("evt_"+ev.ID, gigstackEventName(ev.Type), ev.CreatedAt, data)
}
