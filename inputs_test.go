package paykit_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// TestService_NUL (issue 13, finding 5): a NUL character in any text of any
// write's input is refused as invalid, naming the field as the Service's own
// validation does, and nothing is written.
func TestService_NUL(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	payer := e.MustAccount(t, tenant, "100")
	events := len(e.eventTypes(t, tenant, ""))
	nul := func(err error, field string) {
		t.Helper()
		requireCode(t, paykit.EINVALID, err)
		require.Equal(t, map[string]string{field: "Text may not contain NUL characters (U+0000)."}, paykit.ErrorFields(err))
	}

	_, err := e.svc.CreateToken(ctx, tenant, paykit.TokenCreate{AssetType: "usd", SourceAccountID: payer.ID, Amount: dec("1"), Memo: "gig\x00"})
	nul(err, "memo")
	_, err = e.svc.CreateTokens(ctx, tenant, []paykit.TokenCreate{
		{AssetType: "usd", SourceAccountID: payer.ID, Amount: dec("1")},
		{AssetType: "usd", SourceAccountID: payer.ID, Amount: dec("1"), Memo: "\x00"}})
	nul(err, "[1].memo")
	_, err = e.svc.EnsureIntegration(ctx, tenant, paykit.IntegrationCreate{})
	require.NoError(t, err)
	events = len(e.eventTypes(t, tenant, ""))
	_, err = e.svc.CreatePayout(ctx, tenant, paykit.PayoutCreate{Amount: ptr(dec("10")), Currency: "SEK",
		Employee: &paykit.EmployeeCreate{Name: "Ada\x00", Email: "ada@example.com", Country: "SWE"}})
	nul(err, "employee.name")
	_, err = e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{URL: "https://example.com/hook", Events: []string{"a\x00"}})
	nul(err, "events")
	_, err = e.svc.CancelPayment(ctx, tenant, "p", "no\x00")
	nul(err, "reason")
	_, err = e.svc.CreateTenant(ctx, "", "Acme\x00")
	nul(err, "name")
	_, err = e.svc.RedeliverEvent(ctx, tenant, "ev\x00")
	nul(err, paykit.FieldInput)
	require.Len(t, e.eventTypes(t, tenant, ""), events, "nothing written")

	// Other control characters and any other text are left to each field's rules.
	_, err = e.svc.CreateToken(ctx, tenant, paykit.TokenCreate{AssetType: "usd", SourceAccountID: payer.ID, Amount: dec("1"), Memo: "tab\tok ✓"})
	require.NoError(t, err)
}

// TestService_TokenExpiryBounds (issue 13, finding 5): a token expires after
// now and at most MaxTokenTTL from now; none given is DefaultTokenTTL.
func TestService_TokenExpiryBounds(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	payer := e.MustAccount(t, tenant, "100")
	create := func(at *time.Time) (*paykit.Token, error) {
		return e.svc.CreateToken(ctx, tenant, paykit.TokenCreate{AssetType: "usd", SourceAccountID: payer.ID, Amount: dec("1"), ExpiresAt: at})
	}
	now := e.clock.Now()
	for _, at := range []time.Time{{}, now, now.Add(-time.Second), now.Add(paykit.MaxTokenTTL + time.Microsecond),
		time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)} {
		_, err := create(&at)
		requireCode(t, paykit.EINVALID, err)
		require.Contains(t, paykit.ErrorFields(err), "expiresAt", at.String())
	}
	_, err := create(ptr(now.Add(paykit.MaxTokenTTL)))
	require.NoError(t, err)
	tok, err := create(nil)
	require.NoError(t, err)
	require.Equal(t, now.Add(paykit.DefaultTokenTTL), tok.ExpiresAt)
}

// TestService_NULFieldNames: inputs without JSON names name their fields as
// JSON would.
func TestService_NULFieldNames(t *testing.T) {
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	_, err := e.svc.CancelPayment(context.Background(), tenant, "p\x00", "")
	requireCode(t, paykit.EINVALID, err)
	require.Contains(t, paykit.ErrorFields(err), "id")
}
