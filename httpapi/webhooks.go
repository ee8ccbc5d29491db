package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/paykit/paykit"
)

// NewEvents returns the routes of a tenant's events, webhook endpoints and
// webhook delivery log, in one neutral dialect that a host mounts beside any
// other (at /webhooks, say): camelCase JSON, times
// as ISO-8601 UTC strings, empty values as null, and errors as
// {"error":{"code","message","fields"?}} with the statuses of the package
// doc. auth names the tenant of a request, or returns an EUNAUTHORIZED (or
// EFORBIDDEN) error; BearerAuth is one.
//
//	GET    /events                          → 200 list of events; ?type=&subject=&limit=&starting_after=<seq>
//	GET    /events/{id}                     → 200 event
//	POST   /events/{id}/redeliver           → 200 {"data":[delivery]}: sent again now to every subscribed endpoint
//	GET    /webhook-endpoints               → 200 list of endpoints; ?scheme=&enabled=&limit=&starting_after=<id>
//	POST   /webhook-endpoints               {"url","events"?,"scheme"?,"id"?,"secret"?,"standardSecret"?,
//	                                         "description"?,"headers"?,"metadata"?,"enabled"?} → 201 endpoint
//	GET    /webhook-endpoints/{id}          → 200 endpoint
//	PATCH  /webhook-endpoints/{id}          any field of POST → 200 endpoint
//	DELETE /webhook-endpoints/{id}          → 204, with its deliveries
//	GET    /webhook-deliveries              → 200 list of deliveries; ?endpoint=&event=&status=&limit=&starting_after=<id>
//	GET    /webhook-deliveries/{id}         → 200 delivery with "attempts":[attempt]
//
// An event's data is the canonical snapshot of its subject after the change:
// the root type's own JSON (paykit.Payout's for payout.created, say), not any
// dialect's wire object; a delivery's body is what its scheme posts.
//
// Lists are {"data":[...],"hasMore","nextCursor"}, oldest first; pass
// nextCursor as starting_after for the next page; limit is 1 to 1000
// (default 25). Shapes:
//
//	event:    {"id","seq","type","subjectId","data","createdAt"}
//	endpoint: {"id","url","events","scheme","secret","standardSecret","enabled","disabledReason",
//	           "description","headers","metadata","failingSince","createdAt","updatedAt"}
//	delivery: {"id","eventId","eventType","endpointId","url","scheme","status","attemptCount",
//	           "nextAttemptAt","lastAttemptAt","lastStatusCode","lastError","body","createdAt","updatedAt"}
//	attempt:  {"n","url","at","statusCode","response","error","durationMs","succeeded"}
//
// An endpoint's scheme is gigapay, gigstack or standard (the default); events
// [] (or absent) subscribes to every event type. Every endpoint has a
// standardSecret (whsec_…, drawn when none is given; a standard endpoint's is
// its secret) that signs the Standard Webhooks headers of its deliveries, so
// webhook-id, webhook-timestamp and webhook-signature always come together.
// A PATCH with "secret":"" or "standardSecret":"" draws a new one. A
// delivery's status is pending, succeeded or failed; its id is the webhook-id
// header of every attempt. Every POST honours an Idempotency-Key.
func NewEvents(svc *paykit.Service, auth func(*http.Request) (tenantID string, err error)) http.Handler {
	// The vendor schemes its endpoints may use; the dialects that use them
	// register them too.
	svc.RegisterScheme(gigapayScheme)
	svc.RegisterScheme(gigstackScheme)
	h := &hooks{svc: svc}
	rt := newRouter(func(r *http.Request) (*paykit.Tenant, error) {
		id, err := auth(r)
		if err != nil {
			return nil, err
		}
		return &paykit.Tenant{ID: id}, nil
	}, hookErrorWriter(svc))
	rt.handle("GET /events", h.findEvents)
	rt.handle("GET /events/{id}", h.findEvent)
	rt.handle("POST /events/{id}/redeliver", h.redeliverEvent)
	rt.handle("GET /webhook-endpoints", h.findEndpoints)
	rt.handle("POST /webhook-endpoints", h.createEndpoint)
	rt.handle("GET /webhook-endpoints/{id}", h.findEndpoint)
	rt.handle("PATCH /webhook-endpoints/{id}", h.updateEndpoint)
	rt.handle("DELETE /webhook-endpoints/{id}", h.deleteEndpoint)
	rt.handle("GET /webhook-deliveries", h.findDeliveries)
	rt.handle("GET /webhook-deliveries/{id}", h.findDelivery)
	return rt
}

// BearerAuth returns an auth function for NewEvents that authenticates a
// tenant's API key sent as "Authorization: Bearer <key>".
func BearerAuth(svc *paykit.Service) func(*http.Request) (string, error) {
	auth := bearerAuth(svc)
	return func(r *http.Request) (string, error) {
		t, err := auth(r)
		if err != nil {
			return "", err
		}
		return t.ID, nil
	}
}

type hooks struct {
	svc *paykit.Service
}

// hookErrorWriter returns the events API's one error writer: err as
// {"error":{"code","message","fields"}}, with Retry-After on a 429 or 503 (by
// svc's Clock). Internal errors say only "Internal error.".
func hookErrorWriter(svc *paykit.Service) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		status := errorStatus(err)
		setRetryAfter(w, r, svc, status, err)
		writeHookError(w, status, err)
	}
}

func writeHookError(w http.ResponseWriter, status int, err error) {
	body := hookErrorBody{Code: paykit.ErrorCode(err), Message: paykit.ErrorMessage(err)}
	if body.Code == paykit.EINVALID {
		// Only invalid input lists fields here; a conflict that names its
		// field (a taken endpoint ID) is {"code","message"}.
		body.Fields = paykit.ErrorFields(err)
	}
	if status == http.StatusInternalServerError {
		body = hookErrorBody{Code: paykit.EINTERNAL, Message: "Internal error."}
	}
	writeJSON(w, status, struct {
		Error hookErrorBody `json:"error"`
	}{body})
}

type hookErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// Shapes.

type hookEvent struct {
	ID        string          `json:"id"`
	Seq       int64           `json:"seq"`
	Type      string          `json:"type"`
	SubjectID *string         `json:"subjectId"`
	Data      json.RawMessage `json:"data"`
	CreatedAt isoTime         `json:"createdAt"`
}

func hookEventOf(e *paykit.Event) hookEvent {
	data := e.Data
	if len(data) == 0 || !json.Valid(data) {
		data = json.RawMessage("null")
	}
	return hookEvent{ID: e.ID, Seq: e.Seq, Type: e.Type, SubjectID: nullable(e.SubjectID), Data: data, CreatedAt: isoTime{e.CreatedAt}}
}

type hookEndpoint struct {
	ID             string                 `json:"id"`
	URL            string                 `json:"url"`
	Events         []string               `json:"events"`
	Scheme         paykit.SignatureScheme `json:"scheme"`
	Secret         string                 `json:"secret"`
	StandardSecret *string                `json:"standardSecret"`
	Enabled        bool                   `json:"enabled"`
	DisabledReason *string                `json:"disabledReason"`
	Description    *string                `json:"description"`
	Headers        map[string]string      `json:"headers"`
	Metadata       json.RawMessage        `json:"metadata"`
	FailingSince   *isoTime               `json:"failingSince"`
	CreatedAt      isoTime                `json:"createdAt"`
	UpdatedAt      isoTime                `json:"updatedAt"`
}

func hookEndpointOf(e *paykit.Endpoint) hookEndpoint {
	out := hookEndpoint{ID: e.ID, URL: e.URL, Events: e.Events, Scheme: e.Scheme, Secret: e.Secret,
		StandardSecret: nullable(e.StandardSecret), Enabled: e.Enabled, DisabledReason: nullable(e.DisabledReason),
		Description: nullable(e.Description), Headers: e.Headers, Metadata: e.Metadata,
		FailingSince: isoTimePtr(e.FailingSince), CreatedAt: isoTime{e.CreatedAt}, UpdatedAt: isoTime{e.UpdatedAt}}
	if out.Events == nil {
		out.Events = []string{}
	}
	if len(out.Metadata) == 0 {
		out.Metadata = json.RawMessage("null")
	}
	return out
}

type hookDelivery struct {
	ID             string                 `json:"id"`
	EventID        string                 `json:"eventId"`
	EventType      string                 `json:"eventType"`
	EndpointID     *string                `json:"endpointId"`
	URL            string                 `json:"url"`
	Scheme         paykit.SignatureScheme `json:"scheme"`
	Status         paykit.DeliveryStatus  `json:"status"`
	AttemptCount   int                    `json:"attemptCount"`
	NextAttemptAt  *isoTime               `json:"nextAttemptAt"`
	LastAttemptAt  *isoTime               `json:"lastAttemptAt"`
	LastStatusCode *int                   `json:"lastStatusCode"`
	LastError      *string                `json:"lastError"`
	Body           json.RawMessage        `json:"body"`
	CreatedAt      isoTime                `json:"createdAt"`
	UpdatedAt      isoTime                `json:"updatedAt"`
	Attempts       *[]hookAttempt         `json:"attempts,omitempty"`
}

func hookDeliveryOf(d *paykit.Delivery) hookDelivery {
	out := hookDelivery{ID: d.ID, EventID: d.EventID, EventType: d.EventType, EndpointID: nullable(d.EndpointID),
		URL: d.URL, Scheme: d.Scheme, Status: d.Status, AttemptCount: d.Attempts, NextAttemptAt: isoTimePtr(d.NextAttemptAt),
		LastAttemptAt: isoTimePtr(d.LastAttemptAt), LastError: nullable(d.LastError), Body: d.Body,
		CreatedAt: isoTime{d.CreatedAt}, UpdatedAt: isoTime{d.UpdatedAt}}
	if d.LastStatusCode != 0 {
		out.LastStatusCode = &d.LastStatusCode
	}
	if !json.Valid(out.Body) {
		out.Body = json.RawMessage("null")
	}
	return out
}

type hookAttempt struct {
	N          int     `json:"n"`
	URL        string  `json:"url"`
	At         isoTime `json:"at"`
	StatusCode *int    `json:"statusCode"`
	Response   *string `json:"response"`
	Error      *string `json:"error"`
	DurationMS float64 `json:"durationMs"`
	Succeeded  bool    `json:"succeeded"`
}

func hookAttemptOf(a *paykit.DeliveryAttempt) hookAttempt {
	out := hookAttempt{N: a.N, URL: a.URL, At: isoTime{a.At}, Response: nullable(a.Response), Error: nullable(a.Error),
		DurationMS: float64(a.Duration.Microseconds()) / 1000, Succeeded: a.Succeeded}
	if a.StatusCode != 0 {
		out.StatusCode = &a.StatusCode
	}
	return out
}

// hookList is the shape of every list: a page and the cursor of the next.
type hookList[T any] struct {
	Data       []T     `json:"data"`
	HasMore    bool    `json:"hasMore"`
	NextCursor *string `json:"nextCursor"`
}

// hookPage fetches a page of limit items and renders it as a list (GigPay's
// payments list too: its shape is the same). fetch
// returns up to n items, after the given one or, when that is nil, after the
// request's cursor; one more than the page tells whether another follows.
func hookPage[S, T any](limit int, fetch func(n int, after *S) ([]S, error), render func(S) T, cursor func(S) string) (hookList[T], error) {
	items, err := fetch(limit+1, nil)
	if err != nil {
		return hookList[T]{}, err
	}
	out := hookList[T]{Data: make([]T, 0, min(len(items), limit))}
	if len(items) > limit {
		items, out.HasMore = items[:limit], true
	} else if len(items) == limit && limit == paykit.MaxLimit {
		// The root caps a list at MaxLimit, so a full page of MaxLimit needs
		// one more look past its end.
		next, err := fetch(1, &items[len(items)-1])
		if err != nil {
			return hookList[T]{}, err
		}
		out.HasMore = len(next) > 0
	}
	for _, it := range items {
		out.Data = append(out.Data, render(it))
	}
	if out.HasMore {
		c := cursor(items[len(items)-1])
		out.NextCursor = &c
	}
	return out, nil
}

// hookLimit parses ?limit= (1 to MaxLimit; absent or empty, DefaultLimit)
// into v.
func hookLimit(r *http.Request, v *paykit.Validation) int {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return paykit.DefaultLimit
	}
	n, err := paykit.ParseLimit("limit", s)
	if err != nil {
		v.Add("limit", paykit.ErrorMessage(err))
	}
	return n
}

// Events.

func (h *hooks) findEvents(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	q := r.URL.Query()
	var v paykit.Validation
	n := hookLimit(r, &v)
	var f paykit.EventFilter
	if s := q.Get("type"); s != "" {
		f.Type = &s
	}
	if s := q.Get("subject"); s != "" {
		f.SubjectID = &s
	}
	if s := q.Get("starting_after"); s != "" {
		seq, err := strconv.ParseInt(s, 10, 64)
		if err != nil || seq < 0 {
			v.Add("starting_after", "Give the nextCursor of the previous page.")
		}
		f.AfterSeq = seq
	}
	if err := v.Err(); err != nil {
		return err
	}
	out, err := hookPage(n, func(n int, after **paykit.Event) ([]*paykit.Event, error) {
		f := f
		if f.Limit = n; after != nil {
			f.AfterSeq = (*after).Seq
		}
		return h.svc.FindEvents(r.Context(), t.ID, f)
	}, hookEventOf, func(e *paykit.Event) string { return strconv.FormatInt(e.Seq, 10) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *hooks) findEvent(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	ev, err := h.svc.FindEventByID(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hookEventOf(ev))
	return nil
}

func (h *hooks) redeliverEvent(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	if err := decodeJSON(w, r, &struct{}{}, true); err != nil {
		return err
	}
	ds, err := h.svc.RedeliverEvent(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := struct {
		Data []hookDelivery `json:"data"`
	}{Data: make([]hookDelivery, len(ds))}
	for i, d := range ds {
		out.Data[i] = hookDeliveryOf(d)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// Endpoints.

// hookEndpointInput is the body of POST and PATCH: absent and null fields are nil.
type hookEndpointInput struct {
	ID             *string                 `json:"id"`
	URL            *string                 `json:"url"`
	Events         *[]string               `json:"events"`
	Scheme         *paykit.SignatureScheme `json:"scheme"`
	Secret         *string                 `json:"secret"`
	StandardSecret *string                 `json:"standardSecret"`
	Description    *string                 `json:"description"`
	Headers        *map[string]string      `json:"headers"`
	Metadata       *json.RawMessage        `json:"metadata"`
	Enabled        *bool                   `json:"enabled"`
}

func hookValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (h *hooks) createEndpoint(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in hookEndpointInput
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	ep, err := h.svc.CreateEndpoint(r.Context(), t.ID, paykit.EndpointCreate{ID: hookValue(in.ID), URL: hookValue(in.URL),
		Events: hookValue(in.Events), Scheme: hookValue(in.Scheme), Secret: hookValue(in.Secret), StandardSecret: hookValue(in.StandardSecret),
		Description: hookValue(in.Description), Headers: hookValue(in.Headers), Metadata: hookValue(in.Metadata), Enabled: in.Enabled})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, hookEndpointOf(ep))
	return nil
}

func (h *hooks) findEndpoints(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	q := r.URL.Query()
	var v paykit.Validation
	n := hookLimit(r, &v)
	f := paykit.EndpointFilter{After: q.Get("starting_after")}
	if s := q.Get("scheme"); s != "" {
		scheme := paykit.SignatureScheme(s)
		if err := h.svc.CheckEndpointScheme(scheme); err != nil {
			v.Add("scheme", paykit.ErrorMessage(err))
		} else {
			f.Scheme = &scheme
		}
	}
	if s := q.Get("enabled"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			v.Add("enabled", "Enabled must be true or false.")
		}
		f.Enabled = &b
	}
	if err := v.Err(); err != nil {
		return err
	}
	out, err := hookPage(n, func(n int, after **paykit.Endpoint) ([]*paykit.Endpoint, error) {
		f := f
		if f.Limit = n; after != nil {
			f.After = (*after).ID
		}
		return h.svc.FindEndpoints(r.Context(), t.ID, f)
	}, hookEndpointOf, func(e *paykit.Endpoint) string { return e.ID })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *hooks) findEndpoint(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	ep, err := h.svc.FindEndpointByID(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hookEndpointOf(ep))
	return nil
}

func (h *hooks) updateEndpoint(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	var in hookEndpointInput
	if err := decodeJSON(w, r, &in, false); err != nil {
		return err
	}
	ep, err := h.svc.UpdateEndpoint(r.Context(), t.ID, r.PathValue("id"), paykit.EndpointUpdate{ID: in.ID, URL: in.URL,
		Events: in.Events, Scheme: in.Scheme, Secret: in.Secret, StandardSecret: in.StandardSecret,
		Description: in.Description, Headers: in.Headers, Metadata: in.Metadata, Enabled: in.Enabled})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hookEndpointOf(ep))
	return nil
}

func (h *hooks) deleteEndpoint(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	if err := h.svc.DeleteEndpoint(r.Context(), t.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Deliveries.

func (h *hooks) findDeliveries(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	q := r.URL.Query()
	var v paykit.Validation
	n := hookLimit(r, &v)
	f := paykit.DeliveryFilter{After: q.Get("starting_after")}
	if s := q.Get("endpoint"); s != "" {
		f.EndpointID = &s
	}
	if s := q.Get("event"); s != "" {
		f.EventID = &s
	}
	if s := q.Get("status"); s != "" {
		if st, err := paykit.ParseDeliveryStatus("status", s); err != nil {
			v.Add("status", paykit.ErrorMessage(err))
		} else {
			f.Status = &st
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	out, err := hookPage(n, func(n int, after **paykit.Delivery) ([]*paykit.Delivery, error) {
		f := f
		if f.Limit = n; after != nil {
			f.After = (*after).ID
		}
		return h.svc.FindDeliveries(r.Context(), t.ID, f)
	}, hookDeliveryOf, func(d *paykit.Delivery) string { return d.ID })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *hooks) findDelivery(w http.ResponseWriter, r *http.Request, t *paykit.Tenant) error {
	ctx := r.Context()
	d, err := h.svc.FindDeliveryByID(ctx, t.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	as, err := h.svc.FindDeliveryAttempts(ctx, t.ID, d.ID)
	if err != nil {
		return err
	}
	out := hookDeliveryOf(d)
	attempts := make([]hookAttempt, len(as))
	for i, a := range as {
		attempts[i] = hookAttemptOf(a)
	}
	out.Attempts = &attempts
	writeJSON(w, http.StatusOK, out)
	return nil
}
