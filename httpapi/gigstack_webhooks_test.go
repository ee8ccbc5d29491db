package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/signing"
)

func TestGigstack_Webhooks(t *testing.T) {
	e := MustGigstack(t)
	d := e.MustDo(200, "POST", "/v2/webhooks", `{"url":"https://example.com/hooks","events":["payment.succeeded","customer.created"],
		"description":"Payments"}`).Data(t)
	id := str(t, d["id"])
	require.Regexp(t, `^wh_`, id)
	require.Equal(t, `["payment.succeeded","customer.created"]`, string(d["events"]))
	require.Equal(t, `"active"`, string(d["status"]))
	require.Equal(t, `"master"`, string(d["owner"]))
	require.Len(t, str(t, d["secret"]), 32)
	require.Equal(t, d, e.MustDo(200, "GET", "/v2/webhooks/"+id, "").Data(t))
	e.MustDo(404, "GET", "/v2/webhooks/"+id, "", "Authorization", "Bearer sub-key")

	d = e.MustDo(200, "PUT", "/v2/webhooks/"+id, `{"status":"inactive","events":["payment.created"]}`).Data(t)
	require.Equal(t, `"inactive"`, string(d["status"]))
	require.Equal(t, `["payment.created"]`, string(d["events"]))
	second := str(t, e.MustDo(200, "POST", "/v2/webhooks", `{"url":"https://example.com/2","events":["teams.created"]}`).Data(t)["id"])

	r := e.MustDo(200, "GET", "/v2/webhooks?limit=1", "")
	require.Equal(t, "2", string(r.JSON(t)["totalResults"]))
	require.Equal(t, "true", string(r.JSON(t)["hasMore"]))
	require.Equal(t, `"`+second+`"`, string(r.JSON(t)["next"]))
	r = e.MustDo(200, "GET", "/v2/webhooks?limit=1&starting_after="+second, "")
	require.Equal(t, "false", string(r.JSON(t)["hasMore"]))
	require.Contains(t, string(r.JSON(t)["data"]), id)
	r = e.MustDo(200, "GET", "/v2/webhooks?status=active", "")
	require.Equal(t, "1", string(r.JSON(t)["totalResults"]))

	d = e.MustDo(200, "DELETE", "/v2/webhooks/"+id, "").Data(t)
	require.Equal(t, `{"id":"`+id+`","deleted":true}`, mustCompact(t, d))
	e.MustDo(404, "GET", "/v2/webhooks/"+id, "")

	for body, field := range map[string]string{
		`{"events":["payment.created"]}`:                                           "url",
		`{"url":"https://example.com"}`:                                            "events",
		`{"url":"https://example.com","events":[]}`:                                "events",
		`{"url":"https://example.com","events":["payment.received"]}`:              "events",
		`{"url":"ftp://example.com","events":["payment.created"]}`:                 "url",
		`{"url":"https://example.com","events":["payment.created"],"status":"on"}`: "status",
	} {
		ge := gigstackError(t, e.MustDo(400, "POST", "/v2/webhooks", body))
		require.Contains(t, ge.Error.Details, field, body)
	}
	ge := gigstackError(t, e.MustDo(400, "POST", "/v2/webhooks", `{"url":"https://example.com","events":["payment.received"]}`))
	require.Equal(t, `"payment.received" is not a known event.`, ge.Error.Details["events"])
}

func mustCompact(tb testing.TB, m map[string]json.RawMessage) string {
	tb.Helper()
	b, err := json.Marshal(struct {
		ID      json.RawMessage `json:"id"`
		Deleted json.RawMessage `json:"deleted"`
	}{m["id"], m["deleted"]})
	require.NoError(tb, err)
	return string(b)
}

// TestGigstack_WebhookDelivery: a payment.succeeded delivery, as gigstack
// documents it, verified with X-Gigstack-Signature by the receiver.
func TestGigstack_WebhookDelivery(t *testing.T) {
	e := MustGigstack(t, local)
	type delivery struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var got []delivery
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, delivery{r.Header.Clone(), b})
		mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	wh := e.MustDo(200, "POST", "/v2/webhooks", `{"url":"`+rcv.URL+`","events":["payment.succeeded","customer.created"]}`).Data(t)
	secret := str(t, wh["secret"])

	client := e.MustClient(mariaClient)
	p := e.MustPayment(item(client, "1", "1500", "", ""))
	require.Equal(t, 200, e.Move(str(t, p["id"]), "succeeded").Status)
	require.NoError(t, e.Service.RunDue(context.Background()))

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 2) // customer.created and payment.succeeded; payment.created is not subscribed
	var events []string
	for _, dl := range got {
		require.NoError(t, signing.VerifyGigstack(dl.header.Get("X-Gigstack-Signature"), dl.body, secret))
		require.Error(t, signing.VerifyGigstack(dl.header.Get("X-Gigstack-Signature"), dl.body, "wrong"))
		var env struct {
			ID        string                     `json:"id"`
			Event     string                     `json:"event"`
			Timestamp string                     `json:"timestamp"`
			Data      map[string]json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(dl.body, &env))
		require.Equal(t, []string{"id", "event", "timestamp", "data"}, topKeys(t, dl.body))
		require.Regexp(t, `^evt_`, env.ID)
		events = append(events, env.Event)
		if env.Event == "payment.succeeded" {
			require.Equal(t, p["id"], env.Data["id"])
			require.Equal(t, "150000", string(env.Data["amount"]))
			require.Equal(t, `"succeeded"`, string(env.Data["status"]))
			require.Equal(t, `"`+client+`"`, string(env.Data["clientId"]))
			require.Equal(t, p["timestamp"], env.Data["timestamp"])
		} else {
			require.Equal(t, `"`+client+`"`, string(env.Data["id"]))
			require.Equal(t, `"ROSM850315QT8"`, string(env.Data["rfc"]))
		}
	}
	require.ElementsMatch(t, []string{"customer.created", "payment.succeeded"}, events)
}
