package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// otherTenant is a second tenant of a demo server, set up as the admin API
// sets tenants up (paykit.Service.SetUpTenant): its key works on every
// dialect, and its Gigapay integration's id is its tenant ID.
type otherTenant struct {
	id, key string
}

// mustOtherTenant sets up a tenant named name beside the demo's.
func (d *demoServer) mustOtherTenant(name string) otherTenant {
	d.tb.Helper()
	tn, _, key, err := d.svc.SetUpTenant(context.Background(), paykit.TenantSetup{Name: name, DefaultCountryCode: "+1"})
	require.NoError(d.tb, err)
	return otherTenant{id: tn.ID, key: key}
}

func (o otherTenant) bearer() []string { return []string{"Authorization", "Bearer " + o.key} }
func (o otherTenant) gigapay() []string {
	return []string{"Authorization", "Token " + o.key, "Integration-ID", o.id}
}

// TestTenantIDs_PerTenant (issue 13): every id a client chooses is unique per
// tenant, so a tenant can use the ids another uses, and never learns that
// they exist: before it creates them, they answer as ids nobody has; after,
// each tenant sees its own object. The ids: GigPay accounts, Gigapay
// integrations (the reported existence oracle), employees, payouts, invoices
// (renamed by PATCH) and webhooks, gigstack payments' metadata.internalId
// (gigstack gives its clients' and services' ids), Memento payers' usernames, the events API's endpoints,
// and Idempotency-Keys.
func TestTenantIDs_PerTenant(t *testing.T) {
	d := mustDemo(t)
	b := d.mustOtherTenant("Other")
	bearer := []string{"Authorization", "Bearer demo"}

	// The creates, as the demo tenant makes them and then the other one, with
	// the same ids. {n} is the tenant's name, so that their objects differ.
	type create struct {
		name, method, path, body string
		ok                       int
		get                      string // where the object is read back, "" for none
	}
	creates := []create{
		{"GigPay account", "POST", "/gigpay/api/v1/accounts", `{"id":"acct-shared","assetType":"usd","name":"{n}","businessAccountId":"biz"}`,
			201, "/gigpay/api/v1/accounts/acct-shared"},
		{"Gigapay integration", "POST", "/gigapay/v2/integrations/", `{"id":"integ-shared","name":"{n}","email":"x@example.com",
			"recipient":"X","address_line_1":"Street 1","zip_code":"11111","city":"Town"}`, 201, "/gigapay/v2/integrations/integ-shared/"},
		{"Gigapay employee", "POST", "/gigapay/v2/employees/", `{"id":"emp-shared","name":"{n}","email":"e@example.com","country":"SWE"}`,
			201, "/gigapay/v2/employees/emp-shared/"},
		{"Gigapay payout", "POST", "/gigapay/v2/payouts/", `{"id":"payout-shared","amount":"10.00","currency":"SEK","description":"{n}",
			"employee":"emp-shared"}`, 201, "/gigapay/v2/payouts/payout-shared/"},
		{"Gigapay webhook", "POST", "/gigapay/v2/webhooks/", `{"id":"hook-shared","url":"https://example.com/{n}","events":["Invoice.paid"]}`,
			201, "/gigapay/v2/webhooks/hook-shared/"},
		{"gigstack internalId", "POST", "/gigstack/v2/payments", `{"email":"c@example.com","items":[{"name":"{n}","quantity":1,"total":100,
			"product_key":"84111506","unit_key":"E48"}],"metadata":{"internalId":"INT-shared"}}`, 200, ""},
		{"events API endpoint", "POST", "/webhooks/webhook-endpoints", `{"id":"ep-shared","url":"https://example.com/{n}"}`,
			201, "/webhooks/webhook-endpoints/ep-shared"},
		{"Memento payer", "POST", "/sandbox/memento/users", `{"username":"shared-payer","phone":"+14155550000","currency":"USD","balance":1}`,
			200, ""},
	}
	authOf := func(path string, gigapay, bearer []string, basic string) []string {
		switch {
		case strings.HasPrefix(path, "/gigapay/"):
			return gigapay
		case strings.HasPrefix(path, "/sandbox/memento/"):
			return []string{"Authorization", "Basic " + basic}
		}
		return bearer
	}
	demoAuth := func(path string) []string { return authOf(path, gigapayAuth, bearer, "ZGVtbzo=") }
	otherAuth := func(path string) []string {
		return authOf(path, b.gigapay(), b.bearer(), basic(b.key))
	}

	// The demo tenant creates every object, and an invoice is renamed.
	for _, c := range creates {
		d.mustDo(c.ok, c.method, c.path, strings.ReplaceAll(c.body, "{n}", "Demo"), demoAuth(c.path)...)
	}
	demoInvoice := d.gigapay(200, "GET", "/v2/payouts/payout-shared/", "").object(t)["invoice"].(string)
	d.gigapay(200, "PATCH", "/v2/invoices/"+demoInvoice+"/", `{"id":"inv-shared"}`)
	d.mustDo(201, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":1}`,
		append([]string{"Idempotency-Key", "key-shared"}, bearer...)...)
	demoViews := map[string]string{}
	for _, c := range creates {
		if c.get != "" {
			demoViews[c.get] = string(d.mustDo(200, "GET", c.get, "", demoAuth(c.get)...).Body)
		}
	}

	// To the other tenant, the demo's ids are ids nobody has: the same
	// answer as for an id no one uses, status and body.
	for _, c := range creates {
		if c.get == "" {
			continue
		}
		theirs := d.do("GET", c.get, "", otherAuth(c.get)...)
		noones := d.do("GET", strings.ReplaceAll(c.get, "shared", "nobodys"), "", otherAuth(c.get)...)
		require.Contains(t, []int{403, 404}, theirs.Status, "%s: %s", c.get, theirs.Body)
		require.Equal(t, noones.Status, theirs.Status, c.get)
		require.Equal(t, strings.ReplaceAll(string(noones.Body), "nobodys", "shared"), string(theirs.Body), c.get)
	}
	r := d.do("GET", "/gigapay/v2/employees/", "", "Authorization", "Token "+b.key, "Integration-ID", "integ-shared")
	r2 := d.do("GET", "/gigapay/v2/employees/", "", "Authorization", "Token "+b.key, "Integration-ID", "integ-nobodys")
	require.Equal(t, 403, r.Status)
	require.Equal(t, strings.ReplaceAll(string(r2.Body), "nobodys", "shared"), string(r.Body))

	// The other tenant creates the same ids: each create succeeds, as for
	// any free id, and each tenant reads its own object.
	for _, c := range creates {
		r := d.do(c.method, c.path, strings.ReplaceAll(c.body, "{n}", "Other"), otherAuth(c.path)...)
		require.Equal(t, c.ok, r.Status, "%s: %s", c.name, r.Body)
		require.NotContains(t, string(r.Body), "Demo", c.name)
	}
	otherInvoice := d.do("GET", "/gigapay/v2/payouts/payout-shared/", "", b.gigapay()...)
	require.Equal(t, 200, otherInvoice.Status)
	inv := otherInvoice.object(t)["invoice"].(string)
	r = d.do("PATCH", "/gigapay/v2/invoices/"+inv+"/", `{"id":"inv-shared"}`, b.gigapay()...)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r = d.do("POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"acct-shared","amount":1}`,
		append([]string{"Idempotency-Key", "key-shared"}, b.bearer()...)...)
	// The key is the tenant's: its own request is answered (the account it
	// just opened has no funds), not the demo's replayed.
	require.Contains(t, string(r.Body), "Insufficient funds in account acct-shared", "%s", r.Body)
	for _, c := range creates {
		if c.get == "" {
			continue
		}
		other := d.do("GET", c.get, "", otherAuth(c.get)...)
		require.Equal(t, 200, other.Status, "%s: %s", c.get, other.Body)
		require.NotContains(t, string(other.Body), "Demo", c.get)
		require.Equal(t, demoViews[c.get], string(d.mustDo(200, "GET", c.get, "", demoAuth(c.get)...).Body),
			"%s: the demo's object is unchanged", c.get)
	}
	// The other tenant's integration integ-shared is its own: it holds its
	// objects, not the demo's.
	r = d.do("GET", "/gigapay/v2/employees/", "", "Authorization", "Token "+b.key, "Integration-ID", "integ-shared")
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var list struct{ Count int }
	require.NoError(t, json.Unmarshal(r.Body, &list))
	require.Zero(t, list.Count)
}
