package paykit

import (
	"bytes"
	"context"
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
//  1. fanOutEvents (fanout.go) claims a batch of events not yet fanned out
//     and, in one transaction, creates a delivery per matching enabled
//     endpoint and per callback and marks the events fanned out: every event
//     is fanned out exactly once, whatever crashes. The body is rendered here,
//     once, by the delivery's registered WebhookScheme (schemes.go), so every
//     attempt posts the same bytes.
//  2. deliverLane (lanes.go) leases a batch of due deliveries and posts them,
//     outside any transaction, signing each attempt with the Clock's time of
//     that attempt, then records the batch's outcomes in one transaction,
//     which leases the next batch.
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

// gone reports whether the receiver answered 410 Gone, which disables its
// endpoint.
func (r *attemptResult) gone() bool { return r.status == http.StatusGone }

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
// callback), and returns the outcome, or nil and an error when there was no
// attempt to record.
func (s *Service) attempt(ctx context.Context, d *Delivery, ep *Endpoint) (*attemptResult, error) {
	select {
	case s.webhooks.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.webhooks.sem }()

	ws, ok := s.scheme(d.Scheme)
	if !ok {
		// A mistake of this process's setup, not of the receiver: this is no
		// attempt. The lease runs out and another process, or this one once
		// the scheme is registered, delivers it.
		return nil, fmt.Errorf("deliver %s: %w", d.ID, errUnregistered(d.Scheme))
	}
	res := s.send(ctx, d, ep, ws)
	if res.err != "" && ctx.Err() != nil {
		// Interrupted by a shutdown, not failed by the receiver: this is no
		// attempt. The lease runs out and the delivery is retried.
		return nil, ctx.Err()
	}
	return &res, nil
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
			// Endpoints made before these headers were refused keep them,
			// but they are not sent.
			if !sensitiveHeader(k) {
				h.Set(k, v)
			}
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
	if h.Get(signing.StandardSignatureHeader) == "" {
		// The Standard Webhooks headers come together or not at all: a
		// receiver's library rejects an id and a timestamp without a signature.
		// Every endpoint has a standard secret, so this is a callback (signed
		// in its body, by its own document).
		h.Del(signing.StandardIDHeader)
		h.Del(signing.StandardTimestampHeader)
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
