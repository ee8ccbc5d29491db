package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/paykit/paykit"
)

// Clients, services (the Service's products), catalogs and teams of the
// gigstack dialect.

type gigstackAddress struct {
	Street       string `json:"street,omitempty"`
	Exterior     string `json:"exterior,omitempty"`
	Interior     string `json:"interior,omitempty"`
	Neighborhood string `json:"neighborhood,omitempty"`
	City         string `json:"city,omitempty"`
	Municipality string `json:"municipality,omitempty"`
	State        string `json:"state,omitempty"`
	Zip          string `json:"zip,omitempty"`
	Country      string `json:"country,omitempty"`
}

func (a gigstackAddress) domain() paykit.Address {
	return paykit.Address{Street: a.Street, Exterior: a.Exterior, Interior: a.Interior, Neighborhood: a.Neighborhood,
		City: a.City, Municipality: a.Municipality, State: a.State, Zip: a.Zip, Country: a.Country}
}

func gigstackAddressOf(a paykit.Address) gigstackAddress {
	return gigstackAddress{Street: a.Street, Exterior: a.Exterior, Interior: a.Interior, Neighborhood: a.Neighborhood,
		City: a.City, Municipality: a.Municipality, State: a.State, Zip: a.Zip, Country: a.Country}
}

// gigstackClientIn is a client as a request gives it: the unified client
// schema's request fields, with tax_id for rfc (gigstack's CLI says so) and
// the legacy zip for address.zip.
type gigstackClientIn struct {
	ID        string           `json:"id"`
	Name      string           `json:"name"`
	Email     string           `json:"email"`
	RFC       string           `json:"rfc"`
	TaxID     string           `json:"tax_id"`
	LegalName string           `json:"legal_name"`
	TaxSystem string           `json:"tax_system"`
	Address   *gigstackAddress `json:"address"`
	Zip       string           `json:"zip"`
	Use       string           `json:"use"`
	Phone     string           `json:"phone"`
	Metadata  json.RawMessage  `json:"metadata"`
}

func (c *gigstackClientIn) domain() paykit.ClientCreate {
	in := paykit.ClientCreate{ID: prefixedOrMissing(prefixClient, c.ID), Name: c.Name, Email: c.Email,
		RFC: orString(c.RFC, c.TaxID), LegalName: c.LegalName, TaxSystem: c.TaxSystem, Use: c.Use, Phone: c.Phone,
		Metadata: c.Metadata}
	if c.Address != nil {
		in.Address = c.Address.domain()
	}
	if in.Address.Zip == "" {
		in.Address.Zip = c.Zip
	}
	return in
}

func orString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// gigstackClientUpdate is a PUT of a client: the fields given change.
type gigstackClientUpdate struct {
	Name      *string          `json:"name"`
	Email     *string          `json:"email"`
	RFC       *string          `json:"rfc"`
	TaxID     *string          `json:"tax_id"`
	LegalName *string          `json:"legal_name"`
	TaxSystem *string          `json:"tax_system"`
	Address   *gigstackAddress `json:"address"`
	Zip       *string          `json:"zip"`
	Use       *string          `json:"use"`
	Phone     *string          `json:"phone"`
	Metadata  *json.RawMessage `json:"metadata"`
}

type gigstackClient struct {
	ID             string          `json:"id"`
	BillingAccount *string         `json:"billingAccount"`
	Metadata       json.RawMessage `json:"metadata"`
	Owner          string          `json:"owner"`
	Email          string          `json:"email"`
	From           string          `json:"from"`
	Team           string          `json:"team"`
	Name           string          `json:"name"`
	RFC            string          `json:"rfc"`
	LegalName      string          `json:"legal_name"`
	Timestamp      int64           `json:"timestamp"`
	Livemode       bool            `json:"livemode"`
	TaxSystem      string          `json:"tax_system"`
	Address        gigstackAddress `json:"address"`
	Phone          string          `json:"phone"`
	Use            string          `json:"use"`
	Zip            string          `json:"zip"`
}

func gigstackClientOf(c *paykit.Client, billingAccount string) gigstackClient {
	return gigstackClient{ID: wireID(prefixClient, c.ID), BillingAccount: nullable(billingAccount), Metadata: c.Metadata,
		Owner: c.TenantID, Email: c.Email, From: c.From, Team: c.TenantID, Name: c.Name, RFC: c.RFC, LegalName: c.LegalName,
		Timestamp: millis(c.CreatedAt), Livemode: c.Livemode, TaxSystem: c.TaxSystem, Address: gigstackAddressOf(c.Address),
		Phone: c.Phone, Use: c.Use, Zip: c.Address.Zip}
}

func (g *gigstack) createClient(c *gigstackCall) (int, any, error) {
	var in gigstackClientIn
	if err := decodeJSON(c.w, c.r, &in, false); err != nil {
		return 0, nil, err
	}
	if in.ID != "" {
		return 0, nil, invalidField("id", "A client's id is given by gigstack.")
	}
	cl, err := g.svc.CreateClient(c.ctx, c.tenant(), in.domain())
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackClientOf(cl, c.team.BillingAccountID), "Client created successfully")
}

// client returns the acting team's client with the wire ID id.
func (g *gigstack) client(c *gigstackCall) (*paykit.Client, error) {
	id := domainID(prefixClient, c.r.PathValue("id"))
	if id == "" {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Client not found.")
	}
	return g.svc.FindClientByID(c.ctx, c.tenant(), id)
}

func (g *gigstack) getClient(c *gigstackCall) (int, any, error) {
	cl, err := g.client(c)
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackClientOf(cl, c.team.BillingAccountID), "Client retrieved successfully")
}

func (g *gigstack) listClients(c *gigstackCall) (int, any, error) {
	q := c.r.URL.Query()
	limit, err := listLimit(q)
	if err != nil {
		return 0, nil, err
	}
	f := paykit.ClientFilter{Limit: limit + 1}
	if s := q.Get("email"); s != "" {
		f.Email = &s
	}
	if s := q.Get("rfc"); s != "" {
		f.RFC = &s
	}
	if s := q.Get("q"); s != "" {
		f.Search = &s
	}
	if s := q.Get("starting_after"); s != "" {
		f.After = prefixedOrMissing(prefixClient, s)
	}
	cs, total, err := g.svc.FindClients(c.ctx, c.tenant(), f)
	if err != nil {
		return 0, nil, err
	}
	more := len(cs) > limit
	if more {
		cs = cs[:limit]
	}
	data := make([]gigstackClient, len(cs))
	for i, cl := range cs {
		data[i] = gigstackClientOf(cl, c.team.BillingAccountID)
	}
	return http.StatusOK, gigstackList{Data: data, Message: "Clients retrieved successfully", TotalResults: total,
		HasMore: more, Next: nextOf(more, len(cs), func() string { return wireID(prefixClient, cs[len(cs)-1].ID) })}, nil
}

func (g *gigstack) updateClient(c *gigstackCall) (int, any, error) {
	cl, err := g.client(c)
	if err != nil {
		return 0, nil, err
	}
	var in gigstackClientUpdate
	if err := decodeJSON(c.w, c.r, &in, false); err != nil {
		return 0, nil, err
	}
	upd := paykit.ClientUpdate{Name: in.Name, Email: in.Email, RFC: in.RFC, LegalName: in.LegalName,
		TaxSystem: in.TaxSystem, Use: in.Use, Phone: in.Phone, Metadata: in.Metadata}
	if upd.RFC == nil {
		upd.RFC = in.TaxID
	}
	if in.Address != nil || in.Zip != nil {
		a := cl.Address
		if in.Address != nil {
			a = in.Address.domain()
		}
		if in.Zip != nil {
			a.Zip = *in.Zip
		}
		upd.Address = &a
	}
	cl, err = g.svc.UpdateClient(c.ctx, c.tenant(), cl.ID, upd)
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackClientOf(cl, c.team.BillingAccountID), "Client updated successfully")
}

// gigstackDeleted is the data of a delete.
type gigstackDeleted struct {
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

func (g *gigstack) deleteClient(c *gigstackCall) (int, any, error) {
	cl, err := g.client(c)
	if err != nil {
		return 0, nil, err
	}
	if _, err := g.svc.DeleteClient(c.ctx, c.tenant(), cl.ID); err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackDeleted{wireID(prefixClient, cl.ID), true}, "Client deleted successfully")
}

// Services.

type gigstackServiceIn struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Total       *jsonNumber     `json:"total"`
	Currency    string          `json:"currency"`
	ProductKey  string          `json:"product_key"`
	UnitKey     string          `json:"unit_key"`
	UnitName    string          `json:"unit_name"`
	SKU         string          `json:"sku"`
	Taxes       []gigstackTaxIn `json:"taxes"`
	Metadata    json.RawMessage `json:"metadata"`
}

type gigstackService struct {
	ID          string           `json:"id"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Total       jsonNumber       `json:"total"`
	Currency    paykit.Currency  `json:"currency"`
	ProductKey  string           `json:"product_key"`
	UnitKey     string           `json:"unit_key"`
	UnitName    string           `json:"unit_name"`
	SKU         string           `json:"sku"`
	Taxes       []gigstackTaxOut `json:"taxes"`
	Metadata    json.RawMessage  `json:"metadata"`
	Team        string           `json:"team"`
	Timestamp   int64            `json:"timestamp"`
}

func gigstackServiceOf(p *paykit.Product) gigstackService {
	out := gigstackService{ID: wireID(prefixService, p.ID), Name: p.Name, Description: p.Description,
		Total: jsonNumber{p.Price.Amount}, Currency: p.Price.Currency, ProductKey: p.ProductKey, UnitKey: p.UnitKey,
		UnitName: p.UnitName, SKU: p.SKU, Taxes: []gigstackTaxOut{}, Metadata: p.Metadata, Team: p.TenantID,
		Timestamp: millis(p.CreatedAt)}
	for _, t := range p.Taxes {
		out.Taxes = append(out.Taxes, gigstackTaxOut{Type: t.Type, Rate: jsonNumber{t.Rate}, Factor: t.Factor,
			Inclusive: t.Inclusive, Withholding: t.Withholding})
	}
	return out
}

func (g *gigstack) createService(c *gigstackCall) (int, any, error) {
	var in gigstackServiceIn
	if err := decodeJSON(c.w, c.r, &in, false); err != nil {
		return 0, nil, err
	}
	p, err := g.svc.CreateProduct(c.ctx, c.tenant(), paykit.ProductCreate{Name: in.Name, Description: in.Description,
		Price: decimalPtr(in.Total), Currency: in.Currency, ProductKey: in.ProductKey, UnitKey: in.UnitKey,
		UnitName: in.UnitName, SKU: in.SKU, Taxes: gigstackTaxes(in.Taxes), Metadata: in.Metadata})
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackServiceOf(p), "Service created successfully")
}

func (g *gigstack) getService(c *gigstackCall) (int, any, error) {
	id := domainID(prefixService, c.r.PathValue("id"))
	if id == "" {
		return 0, nil, paykit.Errorf(paykit.ENOTFOUND, "Service not found.")
	}
	p, err := g.svc.FindProductByID(c.ctx, c.tenant(), id)
	if paykit.ErrorCode(err) == paykit.ENOTFOUND {
		return 0, nil, paykit.Errorf(paykit.ENOTFOUND, "Service not found.")
	} else if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackServiceOf(p), "Service retrieved successfully")
}

func (g *gigstack) listServices(c *gigstackCall) (int, any, error) {
	q := c.r.URL.Query()
	limit, err := listLimit(q)
	if err != nil {
		return 0, nil, err
	}
	f := paykit.ProductFilter{Limit: limit + 1}
	if s := q.Get("starting_after"); s != "" {
		f.After = prefixedOrMissing(prefixService, s)
	}
	ps, total, err := g.svc.FindProducts(c.ctx, c.tenant(), f)
	if err != nil {
		return 0, nil, err
	}
	more := len(ps) > limit
	if more {
		ps = ps[:limit]
	}
	data := make([]gigstackService, len(ps))
	for i, p := range ps {
		data[i] = gigstackServiceOf(p)
	}
	return http.StatusOK, gigstackList{Data: data, Message: "Services retrieved successfully", TotalResults: total,
		HasMore: more, Next: nextOf(more, len(ps), func() string { return wireID(prefixService, ps[len(ps)-1].ID) })}, nil
}

// Catalogs.

type gigstackCatalogEntry struct {
	Code        string   `json:"code"`
	Description string   `json:"description"`
	Moral       *bool    `json:"moral,omitempty"`
	Physical    *bool    `json:"physical,omitempty"`
	TaxSystems  []string `json:"tax_systems,omitempty"`
}

type gigstackCatalog struct {
	ID          string                 `json:"id"`
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	Complete    bool                   `json:"complete"`
	Count       int                    `json:"count"`
	Entries     []gigstackCatalogEntry `json:"entries,omitempty"`
}

func gigstackCatalogOf(c *paykit.Catalog, entries bool) gigstackCatalog {
	out := gigstackCatalog{ID: c.ID, Name: c.Name, Description: c.Description, Complete: c.Complete, Count: len(c.Entries)}
	if !entries {
		return out
	}
	out.Entries = make([]gigstackCatalogEntry, len(c.Entries))
	for i, e := range c.Entries {
		w := gigstackCatalogEntry{Code: e.Code, Description: e.Description, TaxSystems: e.TaxSystems}
		if c.ID == paykit.CatalogTaxSystems {
			w.Moral, w.Physical = ptrTo(e.Moral), ptrTo(e.Physical)
		}
		out.Entries[i] = w
	}
	return out
}

func (g *gigstack) listCatalogs(c *gigstackCall) (int, any, error) {
	cs := g.svc.Catalogs()
	data := make([]gigstackCatalog, len(cs))
	for i, cat := range cs {
		data[i] = gigstackCatalogOf(cat, false)
	}
	return http.StatusOK, gigstackList{Data: data, Message: "Catalogs retrieved successfully", TotalResults: len(cs)}, nil
}

func (g *gigstack) getCatalog(c *gigstackCall) (int, any, error) {
	cat, err := g.svc.FindCatalogByID(c.r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackCatalogOf(cat, true), "Catalog retrieved successfully")
}

// Teams.

type gigstackTeam struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	BillingAccount *string         `json:"billingAccount"`
	IsMasterTeam   bool            `json:"isMasterTeam"`
	Metadata       json.RawMessage `json:"metadata"`
	SplitBilling   *struct {
		Enabled                 bool               `json:"split_billing"`
		Amount                  jsonNumber         `json:"split_amount"`
		MetadataSplitKeys       []string           `json:"metadata_split_keys"`
		SplitBillingType        paykit.SplitClient `json:"split_billing_type"`
		SplitBillingTypeConnect paykit.SplitClient `json:"split_billing_type_connect"`
	} `json:"split,omitempty"`
	Timestamp int64 `json:"timestamp"`
}

func gigstackTeamOf(t *paykit.Team) gigstackTeam {
	out := gigstackTeam{ID: t.TenantID, Name: t.Name, BillingAccount: nullable(t.BillingAccountID), IsMasterTeam: t.Master,
		Metadata: t.Metadata, Timestamp: millis(t.CreatedAt)}
	if t.Split.Enabled {
		out.SplitBilling = &struct {
			Enabled                 bool               `json:"split_billing"`
			Amount                  jsonNumber         `json:"split_amount"`
			MetadataSplitKeys       []string           `json:"metadata_split_keys"`
			SplitBillingType        paykit.SplitClient `json:"split_billing_type"`
			SplitBillingTypeConnect paykit.SplitClient `json:"split_billing_type_connect"`
		}{true, jsonNumber{t.Split.MasterPercent}, t.Split.MetadataKeys, t.Split.MasterClient, t.Split.ConnectClient}
	}
	return out
}

// listTeams lists the teams the key's team may act for: its billing
// account's, for a master team, and otherwise itself.
func (g *gigstack) listTeams(c *gigstackCall) (int, any, error) {
	q := c.r.URL.Query()
	limit, err := listLimit(q)
	if err != nil {
		return 0, nil, err
	}
	ts, err := g.svc.FindTeams(c.ctx, c.auth.ID, paykit.TeamFilter{After: q.Get("starting_after"), Limit: limit + 1})
	if err != nil {
		return 0, nil, err
	}
	more := len(ts) > limit
	if more {
		ts = ts[:limit]
	}
	data := make([]gigstackTeam, len(ts))
	for i, t := range ts {
		data[i] = gigstackTeamOf(t)
	}
	return http.StatusOK, gigstackList{Data: data, Message: "Teams retrieved successfully", TotalResults: len(data),
		HasMore: more, Next: nextOf(more, len(ts), func() string { return ts[len(ts)-1].TenantID })}, nil
}

func (g *gigstack) getTeam(c *gigstackCall) (int, any, error) {
	t, err := g.svc.ActingTeam(c.ctx, c.auth.ID, c.r.PathValue("id"))
	if paykit.ErrorCode(err) == paykit.EFORBIDDEN {
		return 0, nil, paykit.Errorf(paykit.ENOTFOUND, "Team not found.")
	} else if err != nil {
		return 0, nil, err
	}
	return gsOK(gigstackTeamOf(t), "Team retrieved successfully")
}
