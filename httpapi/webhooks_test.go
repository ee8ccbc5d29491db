package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
)

// mustHooksEnv returns an Env whose handler serves NewEvents at /hooks, with
// Bearer API keys.
func mustHooksEnv(tb testing.TB, opts ...paykit.Option) *Env {
	tb.Helper()
	e := MustEnv(tb, opts...)
	mux := http.NewServeMux()
	mux.Handle("/hooks/", http.StripPrefix("/hooks", httpapi.NewEvents(e.Service, httpapi.BearerAuth(e.Service))))
	e.Handler = mux
	return e
}

// hookReceiver records the webhook-id and body of every request it gets.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	ids  []string
	body [][]byte
}

func newHookReceiver(tb testing.TB) *hookReceiver {
	rc := &hookReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.ids, rc.body = append(rc.ids, r.Header.Get("webhook-id")), append(rc.body, b)
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) got() ([]string, [][]byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.ids...), append([][]byte(nil), rc.body...)
}

func TestEvents_Endpoints(t *testing.T) {
	e := mustHooksEnv(t)
	r := e.MustDo(201, "POST", "/hooks/webhook-endpoints",
		`{"id":"wh_1","url":"https://example.com/hooks","events":["account.created"],"scheme":"gigapay","metadata":{"team":"ops"}}`)
	require.Equal(t, []string{"id", "url", "events", "scheme", "secret", "standardSecret", "enabled", "disabledReason",
		"description", "headers", "metadata", "failingSince", "createdAt", "updatedAt"}, topKeys(t, r.Body))
	ep := r.JSON(t)
	require.Equal(t, `"wh_1"`, string(ep["id"]))
	require.Equal(t, `"gigapay"`, string(ep["scheme"]))
	require.Len(t, str(t, ep["secret"]), 32)
	require.Equal(t, "true", string(ep["enabled"]))
	require.True(t, strings.HasPrefix(str(t, ep["standardSecret"]), "whsec_"), "every endpoint has a Standard Webhooks secret")
	require.JSONEq(t, `{"team":"ops"}`, string(ep["metadata"]))
	require.Equal(t, `"2024-01-09T12:00:00.000Z"`, string(ep["createdAt"]))

	require.Equal(t, r.Body, e.MustDo(200, "GET", "/hooks/webhook-endpoints/wh_1", "").Body)
	e.MustDo(201, "POST", "/hooks/webhook-endpoints", `{"url":"https://example.com/2"}`)

	t.Run("List", func(t *testing.T) {
		var l struct {
			Data       []map[string]json.RawMessage
			HasMore    bool
			NextCursor *string
		}
		require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/webhook-endpoints?limit=1", "").Body, &l))
		require.Len(t, l.Data, 1)
		require.True(t, l.HasMore)
		require.Equal(t, "wh_1", *l.NextCursor)
		require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/webhook-endpoints?limit=1&starting_after=wh_1", "").Body, &l))
		require.Len(t, l.Data, 1)
		require.False(t, l.HasMore)
		require.Nil(t, l.NextCursor)
		require.Equal(t, `"standard"`, string(l.Data[0]["scheme"]))
		require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/webhook-endpoints?scheme=gigapay", "").Body, &l))
		require.Len(t, l.Data, 1)
		require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/webhook-endpoints?enabled=false", "").Body, &l))
		require.Empty(t, l.Data)
	})
	t.Run("Update", func(t *testing.T) {
		r := e.MustDo(200, "PATCH", "/hooks/webhook-endpoints/wh_1", `{"id":"wh_renamed","description":"mine","enabled":false,"secret":null}`)
		got := r.JSON(t)
		require.Equal(t, `"wh_renamed"`, string(got["id"]))
		require.Equal(t, `"mine"`, string(got["description"]))
		require.Equal(t, "false", string(got["enabled"]))
		require.Equal(t, ep["secret"], got["secret"], "null leaves a field as it is")
		require.Equal(t, `"Disabled by the tenant."`, string(got["disabledReason"]))
		e.MustDo(404, "GET", "/hooks/webhook-endpoints/wh_1", "")
	})
	t.Run("Errors", func(t *testing.T) {
		r := e.MustDo(400, "POST", "/hooks/webhook-endpoints", `{"url":"ftp://x","scheme":"memento"}`)
		eb := errorBody(t, r)
		require.Equal(t, `"invalid"`, string(eb["code"]))
		var fields map[string]string
		require.NoError(t, json.Unmarshal(eb["fields"], &fields))
		require.Contains(t, fields, "url")
		require.Contains(t, fields, "scheme")
		r = e.MustDo(400, "POST", "/hooks/webhook-endpoints", `{"url":"https://x","colour":"red"}`)
		require.Contains(t, string(errorBody(t, r)["fields"]), "colour")
		e.MustDo(201, "POST", "/hooks/webhook-endpoints", `{"id":"wh_other","url":"https://example.com/o"}`)
		e.MustDo(409, "PATCH", "/hooks/webhook-endpoints/wh_renamed", `{"id":"wh_other"}`)
		e.MustDo(405, "PUT", "/hooks/webhook-endpoints/wh_renamed", `{}`)
		e.MustDo(400, "GET", "/hooks/webhook-endpoints?limit=0", "")
		e.MustDo(400, "GET", "/hooks/webhook-endpoints?enabled=maybe", "")
		e.MustDo(401, "GET", "/hooks/webhook-endpoints", "", "Authorization", "")
		e.MustDo(404, "GET", "/hooks/webhook-endpoints/wh_renamed", "", "Authorization", "Bearer "+otherAPIKey)
	})
	t.Run("Idempotency", func(t *testing.T) {
		body := `{"url":"https://example.com/idem","events":["x"]}`
		a := e.MustDo(201, "POST", "/hooks/webhook-endpoints", body, "Idempotency-Key", "k-1")
		b := e.MustDo(201, "POST", "/hooks/webhook-endpoints", body, "Idempotency-Key", "k-1")
		require.Equal(t, a.Body, b.Body)
	})
	t.Run("Delete", func(t *testing.T) {
		r := e.MustDo(204, "DELETE", "/hooks/webhook-endpoints/wh_renamed", "")
		require.Empty(t, r.Body)
		e.MustDo(404, "DELETE", "/hooks/webhook-endpoints/wh_renamed", "")
	})
}

func TestEvents_Deliveries(t *testing.T) {
	ctx := context.Background()
	e := mustHooksEnv(t, local)
	rcv := newHookReceiver(t)
	e.MustDo(201, "POST", "/hooks/webhook-endpoints", `{"id":"wh","url":"`+rcv.URL+`","events":["account.created"]}`)
	a, err := e.Service.CreateAccount(ctx, "acme", paykit.AccountCreate{Currency: "USD", UserIdentityID: "u-2"})
	require.NoError(t, err)
	require.NoError(t, e.Service.RunDue(ctx))

	var evs struct{ Data []map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/events?subject="+a.ID, "").Body, &evs))
	require.Len(t, evs.Data, 1)
	evID := str(t, evs.Data[0]["id"])

	var ds struct{ Data []map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/webhook-deliveries?event="+evID, "").Body, &ds))
	require.Len(t, ds.Data, 1)
	d := ds.Data[0]
	require.Equal(t, `"succeeded"`, string(d["status"]))
	require.Equal(t, `"wh"`, string(d["endpointId"]))
	require.Equal(t, "1", string(d["attemptCount"]))
	require.Equal(t, "204", string(d["lastStatusCode"]))
	require.Equal(t, "null", string(d["nextAttemptAt"]))
	require.Contains(t, string(d["body"]), a.ID)
	id := str(t, d["id"])

	r := e.MustDo(200, "GET", "/hooks/webhook-deliveries/"+id, "")
	require.Equal(t, []string{"id", "eventId", "eventType", "endpointId", "url", "scheme", "status", "attemptCount",
		"nextAttemptAt", "lastAttemptAt", "lastStatusCode", "lastError", "body", "createdAt", "updatedAt", "attempts"}, topKeys(t, r.Body))
	var detail struct{ Attempts []map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(r.Body, &detail))
	require.Len(t, detail.Attempts, 1)
	require.Equal(t, "1", string(detail.Attempts[0]["n"]))
	require.Equal(t, "204", string(detail.Attempts[0]["statusCode"]))
	require.Equal(t, "true", string(detail.Attempts[0]["succeeded"]))
	require.Equal(t, `"2024-01-09T12:00:00.000Z"`, string(detail.Attempts[0]["at"]))

	// Redelivery: the same delivery, pending again, posted at the next RunDue.
	r = e.MustDo(200, "POST", "/hooks/events/"+evID+"/redeliver", "")
	require.NoError(t, json.Unmarshal(r.Body, &ds))
	require.Len(t, ds.Data, 1)
	require.Equal(t, id, str(t, ds.Data[0]["id"]))
	require.Equal(t, `"pending"`, string(ds.Data[0]["status"]))
	require.NoError(t, e.Service.RunDue(ctx))
	ids, bodies := rcv.got()
	require.Equal(t, []string{id, id}, ids)
	require.Equal(t, bodies[0], bodies[1])

	t.Run("Filters", func(t *testing.T) {
		require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/webhook-deliveries?endpoint=wh&status=succeeded", "").Body, &ds))
		require.Len(t, ds.Data, 1)
		require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/webhook-deliveries?status=failed", "").Body, &ds))
		require.Empty(t, ds.Data)
		bad := e.MustDo(400, "GET", "/hooks/webhook-deliveries?status=lost", "")
		require.Contains(t, string(bad.Body), "Status must be one of pending, succeeded, failed.")
		e.MustDo(404, "GET", "/hooks/webhook-deliveries/"+id, "", "Authorization", "Bearer "+otherAPIKey)
		e.MustDo(404, "POST", "/hooks/events/"+evID+"/redeliver", "", "Authorization", "Bearer "+otherAPIKey)
	})
}

func TestEvents_Events(t *testing.T) {
	e := mustHooksEnv(t)
	var all struct {
		Data       []map[string]json.RawMessage
		HasMore    bool
		NextCursor *string
	}
	require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/events?limit=1000", "").Body, &all))
	require.NotEmpty(t, all.Data)
	require.False(t, all.HasMore)

	// Page by page, two at a time, gives the same events in order.
	var paged []string
	cursor := ""
	for range 100 {
		var l struct {
			Data       []map[string]json.RawMessage
			NextCursor *string
		}
		require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/events?limit=2&starting_after="+cursor, "").Body, &l))
		for _, ev := range l.Data {
			paged = append(paged, str(t, ev["id"]))
		}
		if l.NextCursor == nil {
			break
		}
		cursor = *l.NextCursor
	}
	var want []string
	for _, ev := range all.Data {
		want = append(want, str(t, ev["id"]))
	}
	require.Equal(t, want, paged)

	typ := str(t, all.Data[0]["type"])
	var l struct{ Data []map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(e.MustDo(200, "GET", "/hooks/events?type="+typ, "").Body, &l))
	for _, ev := range l.Data {
		require.Equal(t, typ, str(t, ev["type"]))
	}
	one := e.MustDo(200, "GET", "/hooks/events/"+want[0], "")
	require.Equal(t, []string{"id", "seq", "type", "subjectId", "data", "createdAt"}, topKeys(t, one.Body))
	require.JSONEq(t, string(mustJSON(t, all.Data[0])), string(one.Body))

	e.MustDo(404, "GET", "/hooks/events/"+want[0], "", "Authorization", "Bearer "+otherAPIKey)
	e.MustDo(404, "GET", "/hooks/events/missing", "")
	e.MustDo(400, "GET", "/hooks/events?starting_after=abc", "")
	e.MustDo(400, "GET", "/hooks/events?limit=1001", "")
	r := e.MustDo(404, "GET", "/hooks/nothing-here", "")
	require.True(t, strings.HasPrefix(string(r.Body), `{"error":{"code":"not_found"`))
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	require.NoError(tb, err)
	return b
}

// TestEvents_EndpointIDTaken: a taken id is a 409 without fields here, though
// the Service names the field for dialects that report it as one (Gigapay).
func TestEvents_EndpointIDTaken(t *testing.T) {
	e := mustHooksEnv(t)
	e.MustDo(201, "POST", "/hooks/webhook-endpoints", `{"id":"wh_1","url":"https://example.com/1"}`)
	e.MustDo(201, "POST", "/hooks/webhook-endpoints", `{"id":"wh_2","url":"https://example.com/2"}`)
	const taken = `{"error":{"code":"conflict","message":"An endpoint with this ID already exists."}}` + "\n"
	r := e.MustDo(409, "POST", "/hooks/webhook-endpoints", `{"id":"wh_1","url":"https://example.com/3"}`)
	require.Equal(t, taken, string(r.Body))
	r = e.MustDo(409, "PATCH", "/hooks/webhook-endpoints/wh_2", `{"id":"wh_1"}`)
	require.Equal(t, taken, string(r.Body))
}
