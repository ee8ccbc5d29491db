package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

func TestGigstack_Receipts(t *testing.T) {
	e := MustGigstack(t, local)
	client := e.MustClient(mariaClient)
	hook := e.mustHook(`["receipt.created","receipt.updated","receipt.completed","receipt.deleted","invoice.created"]`)
	lines := `"items":[{"name":"Coffee","quantity":3,"total":33.33,"taxes":[{"type":"IVA","rate":0.16,"factor":"Tasa"}]}]`

	// Open until the end of the month in Mexico City: 2024-02-01T06:00:00Z.
	d := e.MustDo(200, "POST", "/v2/receipts", `{"clientId":"`+client+`",`+lines+`,"paymentMethod":"01"}`).Data(t)
	monthly := str(t, d["id"])
	require.Regexp(t, `^receipt_`, monthly)
	require.Equal(t, []string{`"open"`, "1706767200000", "99.99", "86.2", `"01"`, `"` + client + `"`, "null"},
		[]string{string(d["status"]), string(d["validUntil"]), string(d["total"]), string(d["subtotal"]),
			string(d["payment_form"]), string(d["clientId"]), string(d["payment"])})
	require.Equal(t, d, e.MustDo(200, "GET", "/v2/receipts/"+monthly, "").Data(t))
	// validUntil as an ISO time or epoch milliseconds; no client: the general public's.
	tomorrow := str(t, e.MustDo(200, "POST", "/v2/receipts", `{`+lines+`,"validUntil":"2024-01-10T12:00:00Z"}`).Data(t)["id"])
	later := e.MustDo(200, "POST", "/v2/receipts", `{`+lines+`,"validUntil":1705000000000}`).Data(t)
	require.Equal(t, "1705000000000", string(later["validUntil"]))
	require.Equal(t, "null", string(later["client"]))

	t.Run("ErrValidation", func(t *testing.T) {
		before := e.Written()
		for body, field := range map[string]string{
			`{"items":[]}`: "items",
			`{` + lines + `,"validUntil":"2024-01-01T00:00:00Z"}`:                          "validUntil",
			`{` + lines + `,"paymentMethod":"77"}`:                                         "paymentMethod",
			`{` + lines + `,"clientId":"client_nope"}`:                                     "clientId",
			`{` + lines + `,"validUntil":"soon"}`:                                          "validUntil",
			`{"items":[{"name":"x","total":1.001}]}`:                                       "items[0].total",
			`{` + lines + `,"clientId":"` + client + `","client":{"id":"` + client + `"}}`: "client",
		} {
			ge := gigstackError(t, e.MustDo(400, "POST", "/v2/receipts", body))
			require.Contains(t, ge.Error.Details, field, body)
		}
		require.Equal(t, before, e.Written())
		e.MustDo(400, "GET", "/v2/receipts?status=lost", "")
		e.MustDo(404, "GET", "/v2/receipts/"+monthly, "", "Authorization", "Bearer sub-key")
		e.MustDo(404, "GET", "/v2/receipts/"+monthly[len("receipt_"):], "")
	})

	t.Run("Update", func(t *testing.T) {
		d := e.MustDo(200, "PUT", "/v2/receipts/"+monthly, `{"metadata":{"table":7},"validUntil":"2024-01-20T00:00:00Z"}`).Data(t)
		require.Equal(t, []string{`{"table":7}`, "1705708800000"}, []string{string(d["metadata"]), string(d["validUntil"])})
		ge := gigstackError(t, e.MustDo(400, "PUT", "/v2/receipts/"+monthly, `{"status":"open"}`))
		require.Contains(t, ge.Error.Details, "status")
		e.MustDo(400, "PUT", "/v2/receipts/"+monthly, `{"validUntil":"2023-01-01T00:00:00Z"}`)
	})

	t.Run("Expiry", func(t *testing.T) {
		open := func() string {
			return string(e.MustDo(200, "GET", "/v2/receipts?status=open", "").JSON(t)["total_results"])
		}
		require.Equal(t, "3", open())
		e.Clock.Add(24 * time.Hour) // 2024-01-10T12:00Z: tomorrow's receipt lapses, at that instant
		// A read never shows it open, before the sweep.
		require.Equal(t, `"expired"`, mustGet(t, e, "/v2/receipts/"+tomorrow, "status"))
		require.Equal(t, "2", open())
		require.Equal(t, "1", string(e.MustDo(200, "GET", "/v2/receipts?status=expired", "").JSON(t)["total_results"]))
		// The sweep of RunDue persists it and fires receipt.updated.
		subject := tomorrow[len("receipt_"):]
		evs, err := e.Service.FindEvents(context.Background(), "master", paykit.EventFilter{SubjectID: &subject})
		require.NoError(t, err)
		require.Len(t, evs, 1) // receipt.created
		require.Contains(t, hook.events(), [3]string{"receipt.updated", tomorrow, `"expired"`})
		// Expired: no more changes, no stamp; it can be completed or cancelled.
		ge := gigstackError(t, e.MustDo(409, "PUT", "/v2/receipts/"+tomorrow, `{"metadata":{}}`))
		require.Equal(t, "CONFLICT", ge.Error.Code)
		e.MustDo(409, "POST", "/v2/receipts/"+tomorrow+"/stamp", `{"clientId":"`+client+`"}`)
		require.Equal(t, `"cancelled"`, string(e.MustDo(200, "DELETE", "/v2/receipts/"+tomorrow, "").Data(t)["status"]))
		e.MustDo(409, "DELETE", "/v2/receipts/"+tomorrow, "")
	})

	t.Run("Stamp", func(t *testing.T) {
		id := str(t, later["id"])
		// The general public's receipt needs a client to invoice.
		ge := gigstackError(t, e.MustDo(400, "POST", "/v2/receipts/"+id+"/stamp", ""))
		require.Contains(t, ge.Error.Details, "clientId")
		ge = gigstackError(t, e.MustDo(400, "POST", "/v2/receipts/"+id+"/stamp", `{"clientId":"`+client+`"}`))
		require.Contains(t, ge.Error.Details, "paymentMethod") // how it was paid
		inv := e.MustDo(200, "POST", "/v2/receipts/"+id+"/stamp", `{"client":{"id":"`+client+`"},"paymentMethod":"04","series":"R"}`).Data(t)
		require.Equal(t, [3]string{"86.2", "99.99", "0"}, invoiceTotals(t, inv))
		require.Equal(t, []string{`"R"`, "1", `"04"`, `"` + id + `"`}, []string{string(inv["series"]), string(inv["folio_number"]),
			string(inv["payment_form"]), string(inv["receipt"])})
		d := e.MustDo(200, "GET", "/v2/receipts/"+id, "").Data(t)
		require.Equal(t, []string{`"invoiced"`, string(inv["uuid"])}, []string{string(d["status"]), string(d["invoice"])})
		requireSums(t, e.mustCFDI("/v2/invoices/income/"+str(t, inv["id"])))
		e.MustDo(409, "POST", "/v2/receipts/"+id+"/stamp", "")
		e.MustDo(409, "DELETE", "/v2/receipts/"+id, "")
	})

	t.Run("Complete", func(t *testing.T) {
		d := e.MustDo(200, "PUT", "/v2/receipts/"+monthly, `{"status":"completed"}`).Data(t)
		require.Equal(t, `"completed"`, string(d["status"]))
		e.MustDo(409, "PUT", "/v2/receipts/"+monthly, `{"status":"completed"}`)
		e.MustDo(409, "PUT", "/v2/receipts/"+monthly, `{"paymentMethod":"03"}`)
	})

	t.Run("Events", func(t *testing.T) {
		got := map[string]int{}
		for _, ev := range hook.events() {
			got[ev[0]]++
		}
		require.Equal(t, map[string]int{"receipt.created": 3, "receipt.updated": 2, "receipt.completed": 2,
			"receipt.deleted": 1, "invoice.created": 1}, got)
	})

	t.Run("List", func(t *testing.T) {
		r := e.MustDo(200, "GET", "/v2/receipts?limit=2", "").JSON(t)
		require.Equal(t, []string{"3", "true"}, []string{string(r["total_results"]), string(r["has_more"])})
		var page []struct{ ID string }
		require.NoError(t, json.Unmarshal(r["data"], &page))
		r = e.MustDo(200, "GET", "/v2/receipts?limit=2&next="+str(t, r["next"]), "").JSON(t)
		require.Equal(t, "false", string(r["has_more"]))
		require.Contains(t, string(r["data"]), monthly)
		require.Equal(t, "1", string(e.MustDo(200, "GET", "/v2/receipts?client_id="+client, "").JSON(t)["total_results"]))
		for st, n := range map[string]int{"invoiced": 1, "completed": 1, "cancelled": 1, "open": 0, "pending": 0} {
			require.Equal(t, fmt.Sprint(n), string(e.MustDo(200, "GET", "/v2/receipts?status="+st, "").JSON(t)["total_results"]), st)
		}
	})
	require.NoError(t, e.Service.RunDue(context.Background()))
}
