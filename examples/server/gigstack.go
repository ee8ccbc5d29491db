package main

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/paykit/paykit"
	"github.com/shopspring/decimal"
)

// The gigstack demo: the demo tenant is the master team of the billing
// account of the seed document's response (ba_xzpRdFw2KSmVtQm), configured for
// split billing as the seed's "Configuration Requirements" say, and the teams
// and clients the seed's examples name exist, so that every example body of
// the seed works as written.

// demoBillingAccount is the billing account of the demo's teams.
const demoBillingAccount = "ba_xzpRdFw2KSmVtQm"

// demoTeams are the seed's teams, connected to the demo master team; the
// metadata lets split billing find them by vendor_code as well as by ID.
var demoTeams = []struct{ id, name, metadata, rfc string }{
	{"team_9ZwE3pF8qKmJ7xL", "Demo sub-team", `{}`, "DST190101AB2"},
	{"team_subsidiary123", "Demo subsidiary", `{}`, "DSU190101AB3"},
	{"team_connectPartner123", "Demo connect partner", `{"vendor_code":"ABC123"}`, "DCP190101AB4"},
	{"team_vendor456", "Demo vendor", `{"vendor_code":"VEND456"}`, "DVE190101AB5"},
}

// demoRFC is the demo master team's RFC. Every demo team has a fiscal
// identity (tax system 601, postal code 06100), so each can invoice: the
// seed's automaticInvoice examples issue their invoices.
const demoRFC = "DEM190101AB1"

// demoClients are the seed's clients, by team: client_7kL2mX9pNqR4eWs is
// charged by the master team and, in the master team examples, by two of its
// teams; client_customer123 by the master team. The gigstack dialect shows a
// client's ID with the prefix client_.
var demoClients = []struct{ team, id string }{
	{demoTenantID, "7kL2mX9pNqR4eWs"},
	{"team_9ZwE3pF8qKmJ7xL", "7kL2mX9pNqR4eWs"},
	{"team_subsidiary123", "7kL2mX9pNqR4eWs"},
	{demoTenantID, "customer123"},
}

// demoRates is the example server's fixed exchange rate table (MXN per unit),
// for payments in USD or EUR that give no exchange rate. A host plugs a real
// source in with paykit.WithExchangeRates.
var demoRates = paykit.FixedRates{
	"USD": decimal.RequireFromString("17.50"),
	"EUR": decimal.RequireFromString("19.00"),
}

// seedGigstackDemo seeds the gigstack demo; each step is idempotent.
func seedGigstackDemo(ctx context.Context, svc *paykit.Service) error {
	if _, err := svc.CreateBillingAccount(ctx, demoBillingAccount, "Demo billing account"); err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}
	configure := func(tenant string, in paykit.TeamSettings) error {
		t, err := svc.FindTeam(ctx, tenant)
		if err != nil || t.BillingAccountID != "" {
			return err // configured already
		}
		_, err = svc.ConfigureTeam(ctx, tenant, in)
		return err
	}
	err := configure(demoTenantID, paykit.TeamSettings{BillingAccountID: demoBillingAccount, Master: true,
		Split: paykit.SplitBilling{Enabled: true, MasterPercent: decimal.NewFromInt(10),
			MetadataKeys: []string{"vendor_id", "vendor_code"}, MasterClient: paykit.SplitClientClient,
			ConnectClient: paykit.SplitClientClient}})
	if err != nil {
		return err
	}
	fiscal := func(tenant, name, rfc string) error {
		t, err := svc.FindTeam(ctx, tenant)
		if err != nil || t.Fiscal != nil {
			return err // given already
		}
		_, err = svc.ConfigureFiscalIdentity(ctx, tenant, paykit.FiscalIdentity{RFC: rfc, LegalName: strings.ToUpper(name),
			TaxSystem: "601", Zip: "06100"})
		return err
	}
	if err := fiscal(demoTenantID, "Demo", demoRFC); err != nil {
		return err
	}
	for _, t := range demoTeams {
		if _, err := svc.CreateTenant(ctx, t.id, t.name); err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
			return err
		}
		err := configure(t.id, paykit.TeamSettings{BillingAccountID: demoBillingAccount, Metadata: json.RawMessage(t.metadata)})
		if err != nil {
			return err
		}
		if err := fiscal(t.id, t.name, t.rfc); err != nil {
			return err
		}
	}
	for _, c := range demoClients {
		in := paykit.ClientCreate{ID: c.id, Name: "Maria Rodriguez Santos", Email: "maria.rodriguez@example.com",
			RFC: "ROSM850315QT8", LegalName: "MARIA RODRIGUEZ SANTOS", TaxSystem: "601",
			Address: paykit.Address{Zip: "06100", Country: "MEX"}, Use: "G01"}
		if c.id == "customer123" {
			in = paykit.ClientCreate{ID: c.id, Name: "Demo Customer", Email: "customer@example.com", RFC: paykit.RFCGeneralPublic,
				TaxSystem: "616", Address: paykit.Address{Zip: "06100", Country: "MEX"}, Use: "S01"}
		}
		if _, err := svc.CreateClient(ctx, c.team, in); err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
			return err
		}
	}
	return nil
}
