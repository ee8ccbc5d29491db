package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/signing"
)

// idTaken is the documented answer to a webhook id that is taken.
const idTaken = `{"id":["webhook with this id already exists."]}` + "\n"

// TestGigapay_WebhookIDRace: creates of one id, and renames to one id, race in
// the Service's transaction, not in a check before it: exactly one wins, and
// every other gets the documented 400.
func TestGigapay_WebhookIDRace(t *testing.T) {
	e := MustGigapay(t)
	const n = 8
	race := func(req func(i int) Response) (won []int, lost []Response) {
		t.Helper()
		rs := make([]Response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { rs[i] = req(i) })
		}
		wg.Wait()
		for i, r := range rs {
			switch r.Status {
			case 200, 201:
				won = append(won, i)
			default:
				lost = append(lost, r)
			}
		}
		return won, lost
	}

	t.Run("Create", func(t *testing.T) {
		won, lost := race(func(i int) Response {
			return e.Do("POST", "/gigapay/v2/webhooks/", fmt.Sprintf(`{"id":"hook","url":"https://gigatron.se/%d/","events":["Invoice.paid"]}`, i))
		})
		require.Len(t, won, 1)
		for _, r := range lost {
			require.Equal(t, 400, r.Status)
			require.Equal(t, idTaken, string(r.Body))
		}
		got := e.MustDo(200, "GET", "/gigapay/v2/webhooks/hook/", "").JSON(t)
		require.Equal(t, fmt.Sprintf(`"https://gigatron.se/%d/"`, won[0]), string(got["url"]), "the winner's webhook")
		require.Equal(t, "1", string(e.MustDo(200, "GET", "/gigapay/v2/webhooks/", "").JSON(t)["count"]))
	})
	t.Run("Rename", func(t *testing.T) {
		for i := range n {
			e.MustDo(201, "POST", "/gigapay/v2/webhooks/", fmt.Sprintf(`{"id":"r%d","url":"https://gigatron.se/r/","events":["Invoice.paid"]}`, i))
		}
		won, lost := race(func(i int) Response {
			return e.Do("PATCH", fmt.Sprintf("/gigapay/v2/webhooks/r%d/", i), `{"id":"renamed"}`)
		})
		require.Len(t, won, 1)
		for _, r := range lost {
			require.Equal(t, 400, r.Status)
			require.Equal(t, idTaken, string(r.Body))
		}
		e.MustDo(200, "GET", "/gigapay/v2/webhooks/renamed/", "")
		e.MustDo(404, "GET", fmt.Sprintf("/gigapay/v2/webhooks/r%d/", won[0]), "")
		require.Equal(t, fmt.Sprint(n+1), string(e.MustDo(200, "GET", "/gigapay/v2/webhooks/", "").JSON(t)["count"]))
	})
	t.Run("TakenByPUTAndReplayed", func(t *testing.T) {
		r := e.MustDo(400, "PUT", "/gigapay/v2/webhooks/renamed/", `{"id":"hook","url":"https://gigatron.se/p/","events":["Invoice.paid"]}`)
		require.Equal(t, idTaken, string(r.Body))
		// An Idempotency-Key replays the 400, not the conflict under it.
		body := `{"id":"hook","url":"https://gigatron.se/k/","events":["Invoice.paid"]}`
		for range 2 {
			r = e.MustDo(400, "POST", "/gigapay/v2/webhooks/", body, "Idempotency-Key", "taken-1")
			require.Equal(t, idTaken, string(r.Body))
		}
	})
}

// TestGigapay_WebhookPages: webhooks page newest first, by page number and by
// cursor, with ties of creation time in creation order, not id order.
func TestGigapay_WebhookPages(t *testing.T) {
	e := MustGigapay(t)
	// One instant (the mock clock stands still); ids out of order.
	created := []string{"w3", "w1", "w4", "w0", "w2"}
	for _, id := range created {
		e.MustDo(201, "POST", "/gigapay/v2/webhooks/", `{"id":"`+id+`","url":"https://gigatron.se/`+id+`/","events":["Invoice.paid"]}`)
	}
	newest := []string{"w2", "w0", "w4", "w1", "w3"}

	type page struct {
		Count    int
		Next     *string
		Previous *string
		Results  []struct{ ID string }
	}
	get := func(path string) page {
		t.Helper()
		var p page
		require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", strings.TrimPrefix(path, "http://example.com"), "").Body, &p))
		require.Equal(t, 5, p.Count)
		return p
	}
	ids := func(p page) []string {
		var out []string
		for _, r := range p.Results {
			out = append(out, r.ID)
		}
		return out
	}

	// Forward by the next links (cursors), then back by the previous ones.
	var pages []page
	for p := get("/gigapay/v2/webhooks/?page_size=2"); ; p = get(*p.Next) {
		pages = append(pages, p)
		if p.Next == nil {
			break
		}
		require.Contains(t, *p.Next, "cursor=")
	}
	require.Len(t, pages, 3)
	require.Equal(t, newest[0:2], ids(pages[0]))
	require.Equal(t, newest[2:4], ids(pages[1]))
	require.Equal(t, newest[4:], ids(pages[2]))
	require.Nil(t, pages[0].Previous)
	require.Equal(t, newest[2:4], ids(get(*pages[2].Previous)))
	require.Equal(t, newest[0:2], ids(get(*pages[1].Previous)))

	// By page number, as a client that jumps does.
	for i, want := range [][]string{newest[0:2], newest[2:4], newest[4:]} {
		require.Equal(t, want, ids(get(fmt.Sprintf("/gigapay/v2/webhooks/?page_size=2&page=%d", i+1))))
	}
	require.Equal(t, newest[4:], ids(get("/gigapay/v2/webhooks/?page_size=2&page=last")))
	e.MustDo(404, "GET", "/gigapay/v2/webhooks/?page_size=2&page=4", "")

	// A cursor whose webhook was renamed since reads an empty page.
	next, err := url.Parse(*pages[0].Next)
	require.NoError(t, err)
	e.MustDo(200, "PATCH", "/gigapay/v2/webhooks/"+newest[1]+"/", `{"id":"moved"}`)
	require.Empty(t, ids(get(next.RequestURI())))
}

// TestGigapay_WebhookEventNames: a webhook subscribes by Gigapay's event names
// on the wire, its endpoint stores paykit's event types, the fan-out matches
// those, and the wire shows Gigapay's names again.
func TestGigapay_WebhookEventNames(t *testing.T) {
	e := MustGigapay(t, local)
	ctx := context.Background()
	var mu sync.Mutex
	type post struct {
		signature string
		body      []byte
	}
	var got []post
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, post{r.Header.Get(signing.GigapayHeader), b})
	}))
	defer rcv.Close()

	r := e.MustDo(201, "POST", "/gigapay/v2/webhooks/", `{"id":"accepted","url":"`+rcv.URL+`","events":["Payout.accepted"]}`)
	require.Equal(t, `["Payout.accepted"]`, string(r.JSON(t)["events"]))
	secret := str(t, r.JSON(t)["secret_key"])
	ep, err := e.Service.FindEndpointByID(ctx, e.Tenant, "accepted")
	require.NoError(t, err)
	require.Equal(t, []string{paykit.EventPayoutAccepted}, ep.Events)
	require.Equal(t, `["Payout.accepted"]`, string(e.MustDo(200, "GET", "/gigapay/v2/webhooks/accepted/", "").JSON(t)["events"]))

	// paykit's own name is not one of Gigapay's.
	r = e.MustDo(400, "POST", "/gigapay/v2/webhooks/", `{"url":"`+rcv.URL+`","events":["payout.accepted"]}`)
	require.JSONEq(t, `{"events":["\"payout.accepted\" is not a known event."]}`, string(r.Body))

	// Every other event of the payout's life passes it by; the acceptance is
	// posted as the payout the API shows.
	e.At("2024-01-09T12:00:00Z")
	e.MustEmployee("67", "Albin Lindskog")
	inv := str(t, e.MustDo(201, "POST", "/gigapay/v2/payouts/",
		`{"id":"123","amount":"1000","currency":"SEK","description":"Lön genom Gigapay","employee":"67"}`).JSON(t)["invoice"])
	e.Sandbox("/invoices/" + inv + "/pay/")
	e.MustVerify("67")
	e.At("2024-01-09T12:01:00Z")
	e.Sandbox("/payouts/123/accept/")
	e.MustDo(204, "POST", "/sandbox/gigapay/run-due/", "")

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 1)
	api := strings.TrimSuffix(string(e.MustDo(200, "GET", "/gigapay/v2/payouts/123/", "").Body), "\n")
	require.Contains(t, api, `"accepted_at":"2024-01-09T12:01:00.000000Z"`)
	require.Equal(t, api, string(got[0].body))
	require.NoError(t, signing.VerifyGigapay(got[0].signature, got[0].body, secret, e.Clock.Now(), 0))

	// A PATCH without events keeps the types; one with events takes names.
	e.MustDo(200, "PATCH", "/gigapay/v2/webhooks/accepted/", `{"metadata":{"k":"v"}}`)
	r = e.MustDo(200, "PATCH", "/gigapay/v2/webhooks/accepted/", `{"events":["Invoice.paid","Payout.accepted"]}`)
	require.Equal(t, `["Invoice.paid","Payout.accepted"]`, string(r.JSON(t)["events"]))
	ep, err = e.Service.FindEndpointByID(ctx, e.Tenant, "accepted")
	require.NoError(t, err)
	require.Equal(t, []string{paykit.EventInvoicePaid, paykit.EventPayoutAccepted}, ep.Events)
}
