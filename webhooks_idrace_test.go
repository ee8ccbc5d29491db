package paykit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
)

// TestService_EndpointIDRace: concurrent creates of one endpoint ID, and
// renames to one, are decided in the transaction: one wins, and every other
// gets ECONFLICT naming the field "id".
func TestService_EndpointIDRace(t *testing.T) {
	ctx := context.Background()
	e := MustOpen(t)
	tenant := e.MustTenant(t)
	const n = 8
	race := func(op func(i int) error) (won int, errs []error) {
		t.Helper()
		out := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { out[i] = op(i) })
		}
		wg.Wait()
		for _, err := range out {
			if err == nil {
				won++
			} else {
				errs = append(errs, err)
			}
		}
		return won, errs
	}
	requireTaken := func(t *testing.T, errs []error) {
		t.Helper()
		for _, err := range errs {
			requireCode(t, paykit.ECONFLICT, err)
			require.Equal(t, "An endpoint with this ID already exists.", paykit.ErrorMessage(err))
			require.Equal(t, map[string]string{"id": "An endpoint with this ID already exists."}, paykit.ErrorFields(err))
		}
	}

	t.Run("Create", func(t *testing.T) {
		won, errs := race(func(i int) error {
			_, err := e.svc.CreateEndpoint(ctx, tenant, paykit.EndpointCreate{ID: "hook", URL: fmt.Sprintf("https://example.com/%d", i)})
			return err
		})
		require.Equal(t, 1, won)
		requireTaken(t, errs)
	})
	t.Run("Rename", func(t *testing.T) {
		for i := range n {
			e.mustEndpoint(t, tenant, "https://example.com/r", nil, func(in *paykit.EndpointCreate) { in.ID = fmt.Sprintf("r%d", i) })
		}
		won, errs := race(func(i int) error {
			_, err := e.svc.UpdateEndpoint(ctx, tenant, fmt.Sprintf("r%d", i), paykit.EndpointUpdate{ID: ptr("renamed")})
			return err
		})
		require.Equal(t, 1, won)
		requireTaken(t, errs)
	})
	t.Run("OtherConflictsNameNoField", func(t *testing.T) {
		kctx := paykit.WithIdempotencyKey(ctx, "k-1")
		_, err := e.svc.CreateEndpoint(kctx, tenant, paykit.EndpointCreate{URL: "https://example.com/a"})
		require.NoError(t, err)
		_, err = e.svc.CreateEndpoint(kctx, tenant, paykit.EndpointCreate{URL: "https://example.com/b"})
		requireCode(t, paykit.ECONFLICT, err)
		require.Empty(t, paykit.ErrorFields(err))
	})
}
