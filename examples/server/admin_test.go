package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The tenant admin API (issue 13), as the example server mounts it at /admin
// with -admin-key.

const adminKey = "operator-secret"

// withAdmin starts the demo server with -admin-key.
func withAdmin(o *options) { o.adminKey = adminKey }

// admin sends an operator's request and requires the status want.
func (d *demoServer) admin(want int, method, path, body string) map[string]any {
	d.tb.Helper()
	return d.mustDo(want, method, "/admin"+path, body, "Authorization", "Bearer "+adminKey).object(d.tb)
}

// adminTenant creates a tenant through the admin API and returns its id and
// first key.
func (d *demoServer) adminTenant(name string) (id, key string) {
	d.tb.Helper()
	out := d.admin(201, "POST", "/tenants", `{"name":"`+name+`"}`)
	return out["tenant"].(map[string]any)["id"].(string), out["api_key"].(string)
}

// TestAdmin_Auth: the admin API is mounted only with -admin-key, and answers
// only its key.
func TestAdmin_Auth(t *testing.T) {
	d := mustDemo(t)
	d.mustDo(404, "POST", "/admin/tenants", `{"name":"x"}`, "Authorization", "Bearer "+adminKey)

	d = mustDemo(t, withAdmin)
	for _, auth := range []string{"", "Bearer demo", "Bearer " + adminKey + "x", "Token " + adminKey} {
		r := d.mustDo(401, "POST", "/admin/tenants", `{"name":"x"}`, "Authorization", auth)
		require.Equal(t, "unauthorized", r.object(t)["error"].(map[string]any)["code"], "%q", auth)
	}
	// A tenant's key is not an operator's.
	d.mustDo(401, "GET", "/admin/tenants", "", "Authorization", "Bearer demo")
	d.admin(200, "GET", "/tenants", "")
}

// TestAdmin_Tenant: POST /admin/tenants makes a tenant whose first key works
// on every dialect, set up as the demo's: its Gigapay integration (the
// tenant's id is its Integration-ID), its Memento merchant, its gigstack
// team; every step an event of its own.
func TestAdmin_Tenant(t *testing.T) {
	d := mustDemo(t, withAdmin)
	out := d.admin(201, "POST", "/tenants", `{"name":"Acme Gigs","default_country_code":"+46"}`)
	tenant := out["tenant"].(map[string]any)
	id, key := tenant["id"].(string), out["api_key"].(string)
	require.Equal(t, "Acme Gigs", tenant["name"])
	require.Equal(t, "active", out["key"].(map[string]any)["status"])
	require.Equal(t, key[:6], out["key"].(map[string]any)["prefix"])
	bearer := []string{"Authorization", "Bearer " + key}

	// GigPay.
	d.mustDo(201, "POST", "/gigpay/api/v1/accounts", `{"id":"a1","assetType":"usd","businessAccountId":"biz"}`, bearer...)
	d.mustDo(200, "GET", "/gigpay/api/v1/accounts/a1", "", bearer...)
	// Gigapay: its web app integration, named by the tenant's id.
	gp := []string{"Authorization", "Token " + key, "Integration-ID", id}
	d.mustDo(201, "POST", "/gigapay/v2/employees/", `{"id":"e1","name":"Ada","email":"ada@example.com","country":"SWE"}`, gp...)
	integ := d.mustDo(200, "GET", "/gigapay/v2/integrations/"+id+"/", "", gp...).object(t)
	require.Equal(t, "Acme Gigs", integ["name"])
	require.EqualValues(t, 1, integ["type"])
	// Memento: its merchant, with its default country code.
	reg, _ := d.memento(key, "POST", "/sandbox/memento/users", `{"username":"payer","phone":"0701234567","currency":"SEK","balance":100}`)
	require.True(t, reg.Success)
	req, body := d.memento(key, "POST", "/memento/v1/requests", `{"amount":10,"currency":"SEK","recipient":"0701234567"}`)
	require.True(t, req.Success, "%s", body) // +46: the national number finds the payer
	// gigstack: its team.
	team := d.mustDo(200, "GET", "/gigstack/v2/teams/"+id, "", bearer...).object(t)["data"].(map[string]any)
	require.Equal(t, "Acme Gigs", team["name"])
	d.mustDo(200, "POST", "/gigstack/v2/clients", `{"name":"Client","email":"c@example.com"}`, bearer...)
	// The events API, which shows the set-up's events.
	var events struct{ Data []struct{ Type string } }
	require.NoError(t, json.Unmarshal(d.mustDo(200, "GET", "/webhooks/events?limit=4", "", bearer...).Body, &events))
	var types []string
	for _, e := range events.Data {
		types = append(types, e.Type)
	}
	require.Equal(t, []string{"tenant.created", "api_key.created", "merchant.configured", "team.created"}, types)

	// Listed and found.
	require.Equal(t, tenant, d.admin(200, "GET", "/tenants/"+id, ""))
	var found bool
	for cursor := ""; ; {
		page := d.admin(200, "GET", "/tenants?limit=2&starting_after="+cursor, "")
		for _, tn := range page["data"].([]any) {
			found = found || tn.(map[string]any)["id"] == id
		}
		if page["has_more"] != true {
			break
		}
		cursor = page["next_cursor"].(string)
	}
	require.True(t, found)
	d.admin(404, "GET", "/tenants/nobody", "")

	// Invalid input names its field, and makes nothing.
	bad := d.admin(400, "POST", "/tenants", `{"name":" "}`)
	require.Contains(t, bad["error"].(map[string]any)["fields"], "name")
	bad = d.admin(400, "POST", "/tenants", `{"name":"x","default_country_code":"46"}`)
	require.Contains(t, bad["error"].(map[string]any)["fields"], "default_country_code")
}

// TestAdmin_Keys: keys are created and listed; a rotated key works beside its
// replacement until the overlap ends, by the Clock; a revoked key stops at
// once; each change is an event.
func TestAdmin_Keys(t *testing.T) {
	d := mustDemo(t, withAdmin)
	id, first := d.adminTenant("Acme")
	works := func(key string) bool {
		r := d.do("GET", "/gigpay/api/v1/payments", "", "Authorization", "Bearer "+key)
		require.Contains(t, []int{200, 401}, r.Status, "%s", r.Body)
		return r.Status == 200
	}
	keyID := func(m map[string]any) string { return m["key"].(map[string]any)["id"].(string) }

	second := d.admin(201, "POST", "/tenants/"+id+"/api-keys", "")
	require.True(t, works(first))
	require.True(t, works(second["api_key"].(string)))
	list := d.admin(200, "GET", "/tenants/"+id+"/api-keys", "")["data"].([]any)
	require.Len(t, list, 2)
	firstID := list[0].(map[string]any)["id"].(string)
	for _, k := range list {
		require.Equal(t, "active", k.(map[string]any)["status"])
		require.Nil(t, k.(map[string]any)["expires_at"])
	}

	// Rotation: a new key at once, the old one until the overlap ends.
	rot := d.admin(201, "POST", "/tenants/"+id+"/api-keys/"+firstID+"/rotate", `{"overlap_seconds":3600}`)
	third := rot["api_key"].(string)
	require.Equal(t, "expiring", rot["rotated"].(map[string]any)["status"])
	require.Equal(t, epoch.Add(time.Hour).Format(time.RFC3339), rot["rotated"].(map[string]any)["expires_at"])
	require.True(t, works(third))
	require.True(t, works(first))
	d.clock.Add(time.Hour - time.Microsecond)
	require.True(t, works(first))
	d.clock.Add(time.Microsecond)
	require.False(t, works(first), "the overlap has ended")
	require.True(t, works(third))
	d.admin(409, "POST", "/tenants/"+id+"/api-keys/"+firstID+"/rotate", "")
	// Without overlap_seconds, a day.
	rot = d.admin(201, "POST", "/tenants/"+id+"/api-keys/"+keyID(second)+"/rotate", "")
	require.Equal(t, d.clock.Now().Add(24*time.Hour).UTC().Format(time.RFC3339), rot["rotated"].(map[string]any)["expires_at"])
	d.admin(400, "POST", "/tenants/"+id+"/api-keys/"+keyID(rot)+"/rotate", `{"overlap_seconds":-1}`)
	d.admin(400, "POST", "/tenants/"+id+"/api-keys/"+keyID(rot)+"/rotate", `{"overlap_seconds":2592001}`)

	// Revocation: at once, the second time a no-op; a rotated key too.
	revoked := d.admin(200, "DELETE", "/tenants/"+id+"/api-keys/"+keyID(rot), "")
	require.Equal(t, "revoked", revoked["status"])
	require.False(t, works(rot["api_key"].(string)))
	require.Equal(t, revoked, d.admin(200, "DELETE", "/tenants/"+id+"/api-keys/"+keyID(rot), ""))
	require.True(t, works(second["api_key"].(string)), "expiring, not yet expired")
	d.admin(200, "DELETE", "/tenants/"+id+"/api-keys/"+keyID(second), "")
	require.False(t, works(second["api_key"].(string)))
	d.admin(409, "POST", "/tenants/"+id+"/api-keys/"+keyID(second)+"/rotate", "")

	// Another tenant's key, or an unknown one, is not found.
	d.admin(404, "DELETE", "/tenants/demo/api-keys/"+firstID, "")
	d.admin(404, "POST", "/tenants/demo/api-keys/"+firstID+"/rotate", "")
	d.admin(404, "POST", "/tenants/nobody/api-keys", "")
	d.admin(404, "GET", "/tenants/nobody/api-keys", "")

	// Every change is an event of the tenant's, with no secret in it.
	var events struct {
		Data []struct {
			Type string
			Data map[string]any
		}
	}
	require.NoError(t, json.Unmarshal(d.mustDo(200, "GET", "/webhooks/events?limit=100", "", "Authorization", "Bearer "+third).Body, &events))
	var types []string
	for _, e := range events.Data {
		types = append(types, e.Type)
		require.NotContains(t, e.Data, "hash")
		require.NotContains(t, e.Data, "secret")
	}
	require.Equal(t, []string{"tenant.created", "api_key.created", "merchant.configured", "team.created",
		"api_key.created",                    // second
		"api_key.created", "api_key.rotated", // third replaces first
		"api_key.created", "api_key.rotated", // fourth replaces second
		"api_key.revoked", "api_key.revoked"}, types)
}
