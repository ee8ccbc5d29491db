package paykit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paykit/paykit/signing"
)

// This file is the delivery engine. Events reach receivers in two stages of
// the RunDue step deliverWebhooks, both after the transaction that appended
// them has committed:
//
//  1. fanOutEvents reads the outbox past a persisted cursor and, in one
//     transaction, creates a delivery per matching enabled endpoint and per
//     callback and advances the cursor: every event is fanned out exactly once,
//     whatever crashes. The body is rendered here, once, by the delivery's
//     registered WebhookScheme (schemes.go), so every attempt posts the same
//     bytes.
//  2. deliverLane leases due deliveries and posts them, outside any
//     transaction, signing each attempt with the Clock's time of that attempt,
//     then records each outcome in a short transaction of its own.
//
// A receiver therefore gets every event at least once; a delivery's ID, sent as
// webhook-id, is the same on every attempt and redelivery, so it can
// deduplicate.
//
// Deliveries are grouped in lanes: one per endpoint, and for callbacks one per
// host of their URL. Lanes are worked in parallel and independently, each with
// at most a quarter of the delivery concurrency, so a slow or dead receiver
// holds up only its own lane. A lane stops for the rest of a RunDue at its
// first failed attempt: a failing receiver gets at most one round of attempts
// per RunDue instead of its whole backlog, and its other due deliveries wait
// for the next RunDue. Otherwise a RunDue performs every attempt that is due.

// DeliveryStatus is where a delivery is in its lifecycle: pending until an
// attempt succeeds (succeeded) or the retry schedule is spent or its endpoint
// is disabled (failed). RedeliverEvent makes a finished delivery pending again.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryStatusPending   DeliveryStatus = "pending"
	DeliveryStatusSucceeded DeliveryStatus = "succeeded"
	DeliveryStatusFailed    DeliveryStatus = "failed"
)

// deliveryStatuses are the DeliveryStatus values.
var deliveryStatuses = []DeliveryStatus{DeliveryStatusPending, DeliveryStatusSucceeded, DeliveryStatusFailed}

// Valid reports whether st is one of the delivery statuses.
func (st DeliveryStatus) Valid() bool { return slices.Contains(deliveryStatuses, st) }

// ParseDeliveryStatus returns the DeliveryStatus s names, exactly. It returns
// EINVALID naming field for any other s.
func ParseDeliveryStatus(field, s string) (DeliveryStatus, error) {
	return parseEnum(field, "Status", s, deliveryStatuses)
}

// deliveryLifecycle is the delivery lifecycle. A pending delivery stays
// pending through its retries; RedeliverEvent queues a finished one again; and
// an attempt that succeeds after its endpoint was disabled (which failed the
// delivery meanwhile) is recorded as the success it was.
var deliveryLifecycle = lifecycle[DeliveryStatus]{
	next: map[DeliveryStatus][]DeliveryStatus{
		DeliveryStatusPending:   {DeliveryStatusSucceeded, DeliveryStatusFailed},
		DeliveryStatusSucceeded: {DeliveryStatusPending},
		DeliveryStatusFailed:    {DeliveryStatusPending, DeliveryStatusSucceeded},
	},
	cannot: "Delivery %[1]s is %[2]s and cannot become %[3]s.",
}

// moveDelivery sets d's status to `to`; staying where it is, as a retried
// delivery stays pending, is no move.
func moveDelivery(d *Delivery, to DeliveryStatus) error {
	if d.Status == to {
		return nil
	}
	if err := deliveryLifecycle.check(d.ID, d.Status, to); err != nil {
		return err
	}
	d.Status = to
	return nil
}

// Delivery is one event on its way to one endpoint or callback.
type Delivery struct {
	// ID is sent as the webhook-id header: the same on every attempt and
	// redelivery, so receivers can deduplicate.
	ID         string `json:"id"`
	TenantID   string `json:"tenantId"`
	EventID    string `json:"eventId"`
	EventType  string `json:"eventType"`
	EndpointID string `json:"endpointId,omitempty"` // empty for a callback
	// URL is the callback's URL, or the endpoint's when the delivery was
	// created; an endpoint's attempts go to its URL at the time of the attempt.
	URL    string          `json:"url"`
	Scheme SignatureScheme `json:"scheme"`
	// Secret signs a callback's attempts; endpoint deliveries are signed with
	// their endpoint's current secrets, and a callback whose scheme signs
	// within the body has none.
	Secret string          `json:"-"`
	Body   json.RawMessage `json:"body"` // posted unchanged on every attempt
	Status DeliveryStatus  `json:"status"`
	// Attempts counts every attempt made; Tries those since the delivery was
	// last (re)queued, which index the retry schedule.
	Attempts       int        `json:"attempts"`
	Tries          int        `json:"-"`
	NextAttemptAt  *time.Time `json:"nextAttemptAt,omitempty"`
	LastAttemptAt  *time.Time `json:"lastAttemptAt,omitempty"`
	LastStatusCode int        `json:"lastStatusCode,omitempty"`
	LastError      string     `json:"lastError,omitempty"`
	LeaseUntil     *time.Time `json:"-"` // while a worker is attempting it
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
}

// DeliveryAttempt is one POST of a delivery and what came of it.
type DeliveryAttempt struct {
	DeliveryID string    `json:"deliveryId"`
	TenantID   string    `json:"tenantId"`
	N          int       `json:"n"` // 1 for the first attempt
	URL        string    `json:"url"`
	At         time.Time `json:"at"`                   // by the Clock; the timestamp its signatures carry
	StatusCode int       `json:"statusCode,omitempty"` // 0 when no response came
	Response   string    `json:"response,omitempty"`   // the first KiB of the response body
	Error      string    `json:"error,omitempty"`      // why the attempt failed
	// Duration is the wall time from sending to the end of the response; the
	// Clock does not measure the network.
	Duration  time.Duration `json:"duration"`
	Succeeded bool          `json:"succeeded"`
}

// DeliveryFilter selects deliveries; nil fields match all.
type DeliveryFilter struct {
	EndpointID *string
	EventID    *string
	Status     *DeliveryStatus
	After      string // keyset cursor: the ID of the last delivery of the previous page
	Limit      int
}

// DeliveryLane names the deliveries that share a receiver: those of one
// endpoint, or the callbacks to one host. Key is the store's.
type DeliveryLane struct {
	TenantID string
	Key      string
}

// maxResponseExcerpt bounds the response body kept with an attempt.
const maxResponseExcerpt = 1 << 10

// leaseMargin is how long past the attempt timeout a claimed delivery stays
// leased: a worker that dies mid-attempt loses it then, and it is retried.
const leaseMargin = time.Minute

// userAgent is sent with every delivery.
const userAgent = "paykit-webhooks/1.0"

// FindEventByID returns one of the tenant's events. Returns ENOTFOUND.
func (s *Service) FindEventByID(ctx context.Context, tenantID, id string) (*Event, error) {
	return s.store.FindEventByID(ctx, tenantID, id)
}

// FindDeliveries lists the tenant's deliveries in creation order.
func (s *Service) FindDeliveries(ctx context.Context, tenantID string, f DeliveryFilter) ([]*Delivery, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindDeliveries(ctx, tenantID, f)
}

// FindDeliveryByID returns one of the tenant's deliveries. Returns ENOTFOUND.
func (s *Service) FindDeliveryByID(ctx context.Context, tenantID, id string) (*Delivery, error) {
	return s.store.FindDeliveryByID(ctx, tenantID, id)
}

// FindDeliveryAttempts returns the attempts of one of the tenant's deliveries,
// first attempt first. Returns ENOTFOUND for an unknown delivery.
func (s *Service) FindDeliveryAttempts(ctx context.Context, tenantID, deliveryID string) ([]*DeliveryAttempt, error) {
	if _, err := s.store.FindDeliveryByID(ctx, tenantID, deliveryID); err != nil {
		return nil, err
	}
	return s.store.FindDeliveryAttempts(ctx, tenantID, deliveryID)
}

// RedeliverEvent sends one of the tenant's events again, now, to every enabled
// endpoint that subscribes to it, and to its callbacks. A receiver that already
// had a delivery of the event gets the same delivery again (same ID, same body),
// with a fresh retry schedule; a newly matching endpoint gets a new delivery.
// The attempts happen at the next RunDue. Returns ENOTFOUND for an unknown
// event.
func (s *Service) RedeliverEvent(ctx context.Context, tenantID, eventID string) ([]*Delivery, error) {
	return write(ctx, s, tenantID, "event.redeliver", eventID, func(tx Tx, now time.Time) ([]*Delivery, error) {
		ev, err := tx.FindEventByID(ctx, tenantID, eventID)
		if err != nil {
			return nil, err
		}
		var existing []*Delivery
		for after := ""; ; {
			page, err := tx.FindDeliveries(ctx, tenantID, DeliveryFilter{EventID: &ev.ID, After: after, Limit: MaxLimit})
			if err != nil {
				return nil, err
			}
			existing = append(existing, page...)
			if len(page) < MaxLimit {
				break
			}
			after = page[len(page)-1].ID
		}
		eps, err := enabledEndpoints(ctx, tx, tenantID)
		if err != nil {
			return nil, err
		}
		var out, reset []*Delivery
		for _, ep := range eps {
			if !ep.wants(ev.Type) {
				continue
			}
			if i := slices.IndexFunc(existing, func(d *Delivery) bool { return d.EndpointID == ep.ID }); i >= 0 {
				reset = append(reset, existing[i])
				continue
			}
			d, err := s.endpointDelivery(ev, ep, now)
			if err != nil {
				return nil, err
			}
			d.NextAttemptAt = &now
			if err := tx.CreateDelivery(ctx, d); err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		for _, d := range existing {
			if d.EndpointID == "" {
				reset = append(reset, d)
			}
		}
		for _, d := range reset {
			if err := moveDelivery(d, DeliveryStatusPending); err != nil {
				return nil, err
			}
			d.Tries, d.NextAttemptAt, d.UpdatedAt = 0, &now, now
			if err := tx.UpdateDelivery(ctx, d); err != nil {
				return nil, err
			}
		}
		out = append(out, reset...)
		slices.SortFunc(out, func(a, b *Delivery) int { return strings.Compare(a.ID, b.ID) })
		return out, nil
	})
}

// ---------------------------------------------------------------------------
// Fan-out

// fanOutEvents turns the next batch of events past the cursor into deliveries,
// and moves the cursor past them, in one transaction.
func (s *Service) fanOutEvents(ctx context.Context) (int, error) {
	n := 0
	err := s.store.InTx(ctx, func(tx Tx) error {
		cursor, err := tx.FindWebhookCursor(ctx)
		if err != nil {
			return err
		}
		evs, err := tx.FindEventsAfter(ctx, cursor, s.batchSize)
		if err != nil || len(evs) == 0 {
			return err
		}
		now := s.now()
		endpoints := make(map[string][]*Endpoint) // by tenant
		for _, ev := range evs {
			eps, ok := endpoints[ev.TenantID]
			if !ok {
				if eps, err = enabledEndpoints(ctx, tx, ev.TenantID); err != nil {
					return err
				}
				endpoints[ev.TenantID] = eps
			}
			if err := s.fanOut(ctx, tx, now, ev, eps); err != nil {
				return fmt.Errorf("fan out event %s: %w", ev.ID, err)
			}
		}
		n = len(evs)
		return tx.UpdateWebhookCursor(ctx, evs[len(evs)-1].Seq)
	})
	return n, err
}

// fanOut creates the deliveries of one event: one per endpoint of eps that
// subscribes to it and was created before it, and one per callback.
func (s *Service) fanOut(ctx context.Context, tx Tx, now time.Time, ev *Event, eps []*Endpoint) error {
	for _, ep := range eps {
		if !ep.wants(ev.Type) || ev.Seq <= ep.FromSeq {
			continue
		}
		d, err := s.endpointDelivery(ev, ep, now)
		if err != nil {
			return err
		}
		// A conflict means RedeliverEvent delivered it before its fan-out.
		if err := tx.CreateDelivery(ctx, d); err != nil && ErrorCode(err) != ECONFLICT {
			return err
		}
	}
	for _, fn := range s.callbacks {
		cbs, err := fn(ctx, tx, ev)
		if err != nil {
			return err
		}
		for _, cb := range cbs {
			ws, body, err := s.render(cb.Scheme, ev, cb.Secret)
			if err != nil {
				return fmt.Errorf("callback to %s: %w", cb.URL, err)
			}
			d := s.newDelivery(ev, now)
			d.URL, d.Scheme, d.Body = cb.URL, cb.Scheme, body
			if ws.Sign != nil {
				d.Secret = cb.Secret // the attempts sign with it
			}
			if err := tx.CreateDelivery(ctx, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// newDelivery returns a pending delivery of ev, due after the schedule's first
// delay.
func (s *Service) newDelivery(ev *Event, now time.Time) *Delivery {
	due := now.Add(s.webhooks.schedule[0])
	return &Delivery{ID: newID(), TenantID: ev.TenantID, EventID: ev.ID, EventType: ev.Type,
		Status: DeliveryStatusPending, NextAttemptAt: &due, CreatedAt: now, UpdatedAt: now}
}

// endpointDelivery returns a new delivery of ev to ep, its body rendered in
// ep's scheme.
func (s *Service) endpointDelivery(ev *Event, ep *Endpoint, now time.Time) (*Delivery, error) {
	_, body, err := s.render(ep.Scheme, ev, ep.Secret)
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", ep.ID, err)
	}
	d := s.newDelivery(ev, now)
	d.EndpointID, d.URL, d.Scheme, d.Body = ep.ID, ep.URL, ep.Scheme, body
	return d, nil
}

// enabledEndpoints returns every enabled endpoint of the tenant.
func enabledEndpoints(ctx context.Context, tx Tx, tenantID string) ([]*Endpoint, error) {
	enabled := true
	var out []*Endpoint
	for after := ""; ; {
		page, err := tx.FindEndpoints(ctx, tenantID, EndpointFilter{Enabled: &enabled, After: after, Limit: MaxLimit})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < MaxLimit {
			return out, nil
		}
		after = page[len(page)-1].ID
	}
}

// ---------------------------------------------------------------------------
// Attempts

// deliverWebhooks fans out every new event and performs every due attempt.
// It works each lane with due deliveries once, up to the delivery
// concurrency of lanes at a time, then fans out what those attempts appended
// (endpoint.disabled) and works the lanes that became due, until no lane it
// has not worked yet is due. It reports 0, so that RunDue does not call it
// again for the lanes it left for the next RunDue on purpose.
func (s *Service) deliverWebhooks(ctx context.Context) (int, error) {
	var fanOutErr error
	worked := make(map[DeliveryLane]bool)
	for {
		for {
			// A failing fan-out does not hold up the deliveries already made.
			n, err := s.fanOutEvents(ctx)
			if err != nil {
				fanOutErr = fmt.Errorf("fan out events: %w", err)
			}
			if err != nil || n < s.batchSize {
				break
			}
		}
		// Lanes work what is due at this instant: a receiver that others keep
		// feeding cannot hold RunDue, and the steps after it, for ever.
		now := s.now()
		lanes, err := s.store.FindDueDeliveryLanes(ctx, now, s.batchSize+len(worked))
		if err != nil {
			return 0, errors.Join(fanOutErr, err)
		}
		lanes = slices.DeleteFunc(lanes, func(l DeliveryLane) bool { return worked[l] })
		if len(lanes) == 0 {
			return 0, fanOutErr
		}
		var (
			wg     sync.WaitGroup
			errs   = make([]error, len(lanes))
			active = make(chan struct{}, s.webhooks.concurrency)
		)
		for i, l := range lanes {
			worked[l] = true
			select {
			case active <- struct{}{}:
			case <-ctx.Done():
				wg.Wait()
				return 0, ctx.Err()
			}
			wg.Add(1)
			go func() {
				defer func() { <-active; wg.Done() }()
				errs[i] = s.deliverLane(ctx, l, now)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return 0, errors.Join(fanOutErr, err)
		}
	}
}

// perLane is how many attempts one lane may have in flight.
func (s *Service) perLane() int { return (s.webhooks.concurrency + 3) / 4 }

// deliverLane claims and attempts the lane's deliveries due at now, perLane at
// a time, until none is left or an attempt fails.
func (s *Service) deliverLane(ctx context.Context, lane DeliveryLane, now time.Time) error {
	per := s.perLane()
	for {
		ds, err := inTx(ctx, s.store, func(tx Tx) ([]*Delivery, error) {
			return tx.ClaimDeliveries(ctx, lane, now, s.now().Add(s.webhooks.timeout+leaseMargin), per)
		})
		if err != nil || len(ds) == 0 {
			return err
		}
		// A lane is one endpoint, or callbacks, which have none.
		var ep *Endpoint
		if id := ds[0].EndpointID; id != "" {
			if ep, err = s.store.FindEndpointByID(ctx, lane.TenantID, id); ErrorCode(err) == ENOTFOUND || (err == nil && !ep.Enabled) {
				// Deleted, renamed or disabled since the claim: its deliveries
				// went with it, follow it (retried when the lease ends), or
				// were failed.
				return nil
			} else if err != nil {
				return err
			}
		}
		var (
			wg   sync.WaitGroup
			ok   = make([]bool, len(ds))
			errs = make([]error, len(ds))
		)
		for i, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok[i], errs[i] = s.attempt(ctx, d, ep)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if len(ds) < per || slices.Contains(ok, false) {
			return nil
		}
	}
}

// attemptResult is the outcome of one POST.
type attemptResult struct {
	at       time.Time
	url      string
	status   int
	response string
	err      string
	duration time.Duration
	ok       bool
	needs    string // what the scheme wants the receiver to answer
}

// failure says why the attempt failed, or "" when it succeeded.
func (r *attemptResult) failure() string {
	switch {
	case r.ok:
		return ""
	case r.err != "":
		return r.err
	}
	return fmt.Sprintf("The receiver answered %d; %s.", r.status, r.needs)
}

// attempt posts a claimed delivery once, to its endpoint ep (nil for a
// callback), and records the outcome. It reports whether the attempt
// succeeded.
func (s *Service) attempt(ctx context.Context, d *Delivery, ep *Endpoint) (bool, error) {
	select {
	case s.webhooks.sem <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.webhooks.sem }()

	ws, ok := s.scheme(d.Scheme)
	if !ok {
		// A mistake of this process's setup, not of the receiver: this is no
		// attempt. The lease runs out and another process, or this one once
		// the scheme is registered, delivers it.
		return false, fmt.Errorf("deliver %s: %w", d.ID, errUnregistered(d.Scheme))
	}
	res := s.send(ctx, d, ep, ws)
	if res.err != "" && ctx.Err() != nil {
		// Interrupted by a shutdown, not failed by the receiver: this is no
		// attempt. The lease runs out and the delivery is retried.
		return false, ctx.Err()
	}
	// A finished exchange is recorded even if ctx ends meanwhile.
	return res.ok, s.recordAttempt(context.WithoutCancel(ctx), d, ep, res)
}

// send posts d to its endpoint ep (nil for a callback), signed in ws at the
// Clock's now.
func (s *Service) send(ctx context.Context, d *Delivery, ep *Endpoint, ws *WebhookScheme) attemptResult {
	res := attemptResult{at: s.now(), url: d.URL, needs: ws.needs()}
	secret, standard := d.Secret, ""
	if ep != nil {
		res.url, secret, standard = ep.URL, ep.Secret, ep.StandardSecret
	}

	ctx, cancel := context.WithTimeout(ctx, s.webhooks.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, res.url, bytes.NewReader(d.Body))
	if err != nil {
		res.err = "Invalid URL: " + err.Error()
		return res
	}
	h := req.Header
	if ep != nil {
		for k, v := range ep.Headers {
			h.Set(k, v)
		}
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	h.Set(signing.StandardIDHeader, d.ID)
	h.Set(signing.StandardTimestampHeader, strconv.FormatInt(res.at.Unix(), 10))
	if ws.Sign != nil {
		if err := ws.Sign(h, d.ID, secret, res.at, d.Body); err != nil {
			res.err = "Cannot sign: " + ErrorMessage(err)
			return res
		}
	}
	if standard != "" {
		// The endpoint's extra Standard Webhooks signature, beside any the
		// scheme set (once, when the scheme is standard with the same secret).
		sig, err := signing.SignStandard(standard, d.ID, res.at, d.Body)
		if err != nil {
			// Its one error: a secret that is not whsec_ and base64.
			res.err = "Cannot sign: Webhook secret must be whsec_ followed by base64."
			return res
		}
		switch have := h.Get(signing.StandardSignatureHeader); {
		case have == "":
			h.Set(signing.StandardSignatureHeader, sig)
		case !slices.Contains(strings.Fields(have), sig):
			h.Set(signing.StandardSignatureHeader, have+" "+sig)
		}
	}

	start := time.Now()
	resp, err := s.webhooks.client.Do(req)
	if err == nil {
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseExcerpt))
		io.CopyN(io.Discard, resp.Body, 64<<10) // lets the connection be reused
		resp.Body.Close()
		res.status, res.response = resp.StatusCode, strings.ToValidUTF8(string(excerpt), "\uFFFD")
		res.ok = ws.accepts(resp.StatusCode)
	}
	res.duration = time.Since(start)
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded):
		res.err = fmt.Sprintf("No response within %s.", s.webhooks.timeout)
	default:
		res.err = err.Error()
	}
	return res
}

// recordAttempt stores the outcome of an attempt of the claimed delivery and
// schedules what follows: nothing after a success, the next retry after a
// failure, or the end of the delivery when the schedule is spent or the
// receiver said 410 Gone. It also keeps the endpoint's failure streak.
func (s *Service) recordAttempt(ctx context.Context, claimed *Delivery, sentTo *Endpoint, res attemptResult) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		now := s.now()
		d, err := tx.FindDeliveryByID(ctx, claimed.TenantID, claimed.ID)
		if ErrorCode(err) == ENOTFOUND {
			return nil // deleted with its endpoint meanwhile
		} else if err != nil {
			return err
		}
		d.Attempts++
		d.Tries++
		a := &DeliveryAttempt{DeliveryID: d.ID, TenantID: d.TenantID, N: d.Attempts, URL: res.url, At: res.at,
			StatusCode: res.status, Response: res.response, Error: res.failure(), Duration: res.duration, Succeeded: res.ok}
		if err := tx.CreateDeliveryAttempt(ctx, a); err != nil {
			return err
		}
		gone := res.status == http.StatusGone
		d.LastAttemptAt, d.LastStatusCode, d.LastError, d.LeaseUntil, d.UpdatedAt = &res.at, res.status, a.Error, nil, now
		switch {
		case res.ok:
			if err := moveDelivery(d, DeliveryStatusSucceeded); err != nil {
				return err
			}
			d.NextAttemptAt = nil
		case d.Status != DeliveryStatusPending:
			// Failed meanwhile, when its endpoint was disabled.
		case gone || d.Tries >= len(s.webhooks.schedule):
			if err := moveDelivery(d, DeliveryStatusFailed); err != nil {
				return err
			}
			d.NextAttemptAt = nil
		default:
			next := res.at.Add(s.webhooks.schedule[d.Tries])
			d.NextAttemptAt = &next
		}
		if err := tx.UpdateDelivery(ctx, d); err != nil {
			return err
		}
		// A success changes the endpoint only when it ends a failure streak;
		// one that began after sentTo was read ends at the next success.
		if d.EndpointID == "" || (res.ok && sentTo.FailingSince == nil) {
			return nil
		}
		ep, err := tx.FindEndpointByID(ctx, d.TenantID, d.EndpointID)
		if err != nil {
			return err
		}
		return s.trackEndpoint(ctx, tx, now, ep, res, gone)
	})
}

// trackEndpoint keeps ep's failure streak after an attempt, and disables ep
// when the receiver said 410 Gone or has failed for longer than the
// configured period.
func (s *Service) trackEndpoint(ctx context.Context, tx Tx, now time.Time, ep *Endpoint, res attemptResult, gone bool) error {
	switch {
	case res.ok:
		if ep.FailingSince == nil {
			return nil
		}
		ep.FailingSince = nil
		return tx.UpdateEndpoint(ctx, ep.ID, ep)
	case !ep.Enabled:
		return nil
	case gone:
		return s.disableEndpoint(ctx, tx, now, ep, "The endpoint answered 410 Gone.")
	case ep.FailingSince == nil:
		ep.FailingSince = &res.at
		return tx.UpdateEndpoint(ctx, ep.ID, ep)
	case s.webhooks.disableAfter > 0 && res.at.Sub(*ep.FailingSince) >= s.webhooks.disableAfter:
		return s.disableEndpoint(ctx, tx, now, ep, fmt.Sprintf("Every delivery failed for %s, since %s.",
			res.at.Sub(*ep.FailingSince).Truncate(time.Second), ep.FailingSince.Format(time.RFC3339)))
	}
	return nil
}

// disableEndpoint disables ep for reason, fails its pending deliveries and
// fires endpoint.disabled.
func (s *Service) disableEndpoint(ctx context.Context, tx Tx, now time.Time, ep *Endpoint, reason string) error {
	ep.Enabled, ep.DisabledReason, ep.UpdatedAt = false, reason, now
	if err := tx.UpdateEndpoint(ctx, ep.ID, ep); err != nil {
		return err
	}
	if _, err := tx.FailPendingDeliveries(ctx, ep.TenantID, ep.ID, "The endpoint was disabled: "+reason, now); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, ep.TenantID, EventEndpointDisabled, ep.ID, ep.redacted())
}
