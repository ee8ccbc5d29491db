package paykit

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// A team is a tenant that sells: it has clients, products and charges. Teams
// that share billing belong to one billing account, and a master team of a
// billing account may act for the account's other teams (its connected
// teams): create their charges, read their clients. A tenant that was never
// configured as a team is a team of its own, in no billing account, and not a
// master.

// Events of teams.
const (
	EventTeamCreated = "team.created" // a tenant is configured as a team for the first time
	EventTeamUpdated = "team.updated"
	// EventTeamSATCompleted: the team gave its fiscal identity (its SAT
	// onboarding), so it can issue invoices.
	EventTeamSATCompleted = "team.sat.completed"
)

// BillingAccount groups the teams that share billing.
type BillingAccount struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// SplitClient says whose client a side of a split charge is invoiced to: the
// charge's own client, the master team or the connected team.
type SplitClient string

// Split client resolutions.
const (
	SplitClientClient  SplitClient = "client"
	SplitClientMaster  SplitClient = "master"
	SplitClientConnect SplitClient = "connect"
)

// splitClients are the SplitClient values.
var splitClients = []SplitClient{SplitClientClient, SplitClientMaster, SplitClientConnect}

// ParseSplitClient returns the SplitClient s names, exactly. It returns
// EINVALID naming field for any other s.
func ParseSplitClient(field, s string) (SplitClient, error) {
	return parseEnum(field, "Client resolution", s, splitClients)
}

// SplitBilling is a master team's marketplace configuration: a charge whose
// metadata holds one of MetadataKeys is split between the master team, which
// keeps MasterPercent of it, and the connected team the key's value names.
type SplitBilling struct {
	Enabled       bool            `json:"enabled"`
	MasterPercent decimal.Decimal `json:"masterPercent"` // 0 to 100
	MetadataKeys  []string        `json:"metadataKeys"`  // the keys that trigger a split, in the order they are tried
	MasterClient  SplitClient     `json:"masterClient"`  // whom the master's side is invoiced to
	ConnectClient SplitClient     `json:"connectClient"` // whom the connected team's side is invoiced to
}

// Team is a tenant's selling configuration.
type Team struct {
	TenantID         string          `json:"tenantId"`
	Name             string          `json:"name"`
	BillingAccountID string          `json:"billingAccountId,omitempty"`
	Master           bool            `json:"master"`
	Metadata         json.RawMessage `json:"metadata"` // a JSON object; split billing matches its keys
	Split            SplitBilling    `json:"split"`
	// Fiscal is who the team's invoices are issued by; nil until the team
	// gives it (ConfigureFiscalIdentity), and a team without one cannot
	// invoice.
	Fiscal    *FiscalIdentity `json:"fiscal,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// FiscalIdentity is a taxpayer as the SAT knows it: the issuer (Emisor) of a
// team's invoices.
type FiscalIdentity struct {
	RFC       string `json:"rfc"`
	LegalName string `json:"legalName"` // as registered, without the company type ("S.A. de C.V.")
	TaxSystem string `json:"taxSystem"` // c_RegimenFiscal
	Zip       string `json:"zip"`       // the postal code invoices are issued at (LugarExpedicion)
}

// TeamSettings is the input of ConfigureTeam: the whole configuration.
type TeamSettings struct {
	BillingAccountID string          `json:"billingAccountId"`
	Master           bool            `json:"master"`
	Metadata         json.RawMessage `json:"metadata"`
	Split            SplitBilling    `json:"split"`
}

// TeamFilter selects the teams of a billing account; Metadata, when set,
// keeps the teams whose metadata has the key with exactly the string value.
type TeamFilter struct {
	BillingAccountID string
	MetadataKey      string
	MetadataValue    string
	After            string // keyset cursor: the tenant ID of the last team of the previous page
	Limit            int
}

// CreateBillingAccount creates a billing account with the given ID (a new UUID
// when empty). Returns EINVALID and ECONFLICT for an ID in use.
func (s *Service) CreateBillingAccount(ctx context.Context, id, name string) (*BillingAccount, error) {
	if id == "" {
		id = newID()
	} else if err := checkClientID("id", id); err != nil {
		return nil, err
	}
	b := &BillingAccount{ID: id, Name: strings.TrimSpace(name)}
	return inTx(ctx, s.store, func(tx Tx) (*BillingAccount, error) {
		b.CreatedAt = s.now()
		return b, tx.CreateBillingAccount(ctx, b)
	})
}

// FindBillingAccountByID returns a billing account. Returns ENOTFOUND.
func (s *Service) FindBillingAccountByID(ctx context.Context, id string) (*BillingAccount, error) {
	return s.store.FindBillingAccountByID(ctx, id)
}

// metadataKeyOK reports whether k can name a metadata key split billing looks
// up: letters, digits, '_' and '-'.
func metadataKeyOK(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// ConfigureTeam sets the tenant's team configuration, creating the team on
// first use. Split billing is for master teams in a billing account. Returns
// ENOTFOUND for an unknown tenant and EINVALID (an unknown billing account is
// one, on billingAccountId).
func (s *Service) ConfigureTeam(ctx context.Context, tenantID string, in TeamSettings) (*Team, error) {
	var v Validation
	meta := checkMetadata(&v, "metadata", in.Metadata)
	if !v.Has("metadata") && !isJSONObject(meta) {
		v.Add("metadata", "Metadata must be a JSON object.")
	}
	sp := in.Split
	if sp.Enabled {
		if !in.Master || in.BillingAccountID == "" {
			v.Add("split.enabled", "Split billing is for master teams of a billing account.")
		}
		if sp.MasterPercent.IsNegative() || sp.MasterPercent.GreaterThan(decimal.NewFromInt(100)) {
			v.Add("split.masterPercent", "The master's percentage is from 0 to 100.")
		}
		if len(sp.MetadataKeys) == 0 {
			v.Add("split.metadataKeys", "Give at least one metadata key.")
		}
		for _, k := range sp.MetadataKeys {
			if !metadataKeyOK(k) {
				v.Add("split.metadataKeys", "Metadata keys have 1 to 64 letters, digits, '_' and '-'.")
			}
		}
		for field, c := range map[string]*SplitClient{"split.masterClient": &sp.MasterClient, "split.connectClient": &sp.ConnectClient} {
			if *c == "" {
				*c = SplitClientClient
			} else if _, err := ParseSplitClient(field, string(*c)); err != nil {
				v.Add(field, ErrorMessage(err))
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return write(ctx, s, tenantID, "team.configure", in, func(tx Tx, now time.Time) (*Team, error) {
		tn, err := tx.FindTenantByID(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		if in.BillingAccountID != "" {
			if _, err := tx.FindBillingAccountByID(ctx, in.BillingAccountID); ErrorCode(err) == ENOTFOUND {
				return nil, invalid("billingAccountId", "No billing account has this id.")
			} else if err != nil {
				return nil, err
			}
		}
		t, err := tx.FindTeam(ctx, tenantID)
		created := ErrorCode(err) == ENOTFOUND
		if err != nil && !created {
			return nil, err
		}
		if created {
			t = &Team{TenantID: tenantID, CreatedAt: now}
		}
		t.Name, t.BillingAccountID, t.Master, t.Metadata, t.Split = tn.Name, in.BillingAccountID, in.Master, meta, sp
		t.Split.MetadataKeys = slices.Clone(sp.MetadataKeys)
		if t.Split.MetadataKeys == nil {
			t.Split.MetadataKeys = []string{}
		}
		t.UpdatedAt = now
		if err := tx.PutTeam(ctx, t); err != nil {
			return nil, err
		}
		typ := EventTeamUpdated
		if created {
			typ = EventTeamCreated
		}
		return t, s.appendEvent(ctx, tx, now, tenantID, typ, tenantID, t)
	})
}

// FindTeam returns the tenant's team: its configuration, or, for a tenant
// never configured, a team of its own in no billing account. Returns
// ENOTFOUND for an unknown tenant.
func (s *Service) FindTeam(ctx context.Context, tenantID string) (*Team, error) {
	return findTeam(ctx, s.store, tenantID)
}

func findTeam(ctx context.Context, st Store, tenantID string) (*Team, error) {
	t, err := st.FindTeam(ctx, tenantID)
	if ErrorCode(err) != ENOTFOUND {
		return t, err
	}
	tn, err := st.FindTenantByID(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return &Team{TenantID: tn.ID, Name: tn.Name, Metadata: json.RawMessage(`{}`),
		Split: SplitBilling{MetadataKeys: []string{}}, CreatedAt: tn.CreatedAt, UpdatedAt: tn.CreatedAt}, nil
}

// FindTeams lists the teams of the billing account of the tenant's team, the
// tenant's own included, in tenant ID order. Only a master team may list
// them; any other gets only itself.
func (s *Service) FindTeams(ctx context.Context, tenantID string, f TeamFilter) ([]*Team, error) {
	own, err := s.FindTeam(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !own.Master || own.BillingAccountID == "" {
		if f.After != "" && f.After >= own.TenantID {
			return []*Team{}, nil
		}
		return []*Team{own}, nil
	}
	f.BillingAccountID, f.Limit = own.BillingAccountID, clampLimit(f.Limit)
	return s.store.FindTeams(ctx, f)
}

// ActingTeam returns the team a request of the tenant acts for: its own when
// target is empty or the tenant itself, and otherwise target, which only a
// master team may name and which must belong to its billing account. Every
// other target is EFORBIDDEN, with one message whether or not the team exists
// elsewhere, so that the answer does not tell.
func (s *Service) ActingTeam(ctx context.Context, tenantID, target string) (*Team, error) {
	own, err := s.FindTeam(ctx, tenantID)
	if err != nil || target == "" || target == tenantID {
		return own, err
	}
	if !own.Master || own.BillingAccountID == "" {
		return nil, &Error{Code: EFORBIDDEN, Message: "Only a master team may act for another team.",
			Fields: map[string]string{"team": "Only a master team may act for another team."}}
	}
	t, err := s.store.FindTeam(ctx, target)
	if ErrorCode(err) == ENOTFOUND || (err == nil && t.BillingAccountID != own.BillingAccountID) {
		msg := "Team " + quote(target) + " is not a team of this billing account."
		return nil, &Error{Code: EFORBIDDEN, Message: msg, Fields: map[string]string{"team": msg}}
	}
	return t, err
}

// ConfigureFiscalIdentity sets who the tenant's team issues its invoices as
// (the team's SAT onboarding), creating the team on first use, and fires
// team.sat.completed. Returns ENOTFOUND for an unknown tenant and EINVALID.
func (s *Service) ConfigureFiscalIdentity(ctx context.Context, tenantID string, in FiscalIdentity) (*Team, error) {
	f := FiscalIdentity{RFC: NormalizeRFC(in.RFC), LegalName: strings.TrimSpace(in.LegalName),
		TaxSystem: strings.TrimSpace(in.TaxSystem), Zip: strings.TrimSpace(in.Zip)}
	var v Validation
	switch {
	case f.RFC == "":
		v.Add("rfc", msgRequired)
	case f.RFC == RFCGeneralPublic || f.RFC == RFCForeign:
		v.Add("rfc", "A generic RFC cannot issue invoices.")
	default:
		if msg := checkRFC(f.RFC); msg != "" {
			v.Add("rfc", msg)
		}
	}
	if f.LegalName == "" {
		v.Add("legalName", msgRequired)
	} else if len(f.LegalName) > 254 {
		v.Add("legalName", "At most 254 characters.")
	}
	if f.TaxSystem == "" {
		v.Add("taxSystem", msgRequired)
	} else {
		checkTaxSystem(&v, "taxSystem", f.TaxSystem)
	}
	if !zipPattern.MatchString(f.Zip) {
		v.Add("zip", "A Mexican postal code has 5 digits.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return write(ctx, s, tenantID, "team.fiscal", f, func(tx Tx, now time.Time) (*Team, error) {
		t, err := findTeam(ctx, tx, tenantID)
		if err != nil {
			return nil, err
		}
		t.Fiscal, t.UpdatedAt = &f, now
		if err := tx.PutTeam(ctx, t); err != nil {
			return nil, err
		}
		return t, s.appendEvent(ctx, tx, now, tenantID, EventTeamSATCompleted, tenantID, t)
	})
}

// isJSONObject reports whether raw is a JSON object.
func isJSONObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}

// TeamStore reads billing accounts and teams.
type TeamStore interface {
	FindBillingAccountByID(ctx context.Context, id string) (*BillingAccount, error)
	// FindTeam returns the tenant's team configuration. Returns ENOTFOUND
	// when the tenant was never configured as a team.
	FindTeam(ctx context.Context, tenantID string) (*Team, error)
	// FindTeams returns a page of the teams of f.BillingAccountID (a lookup
	// across tenants, like FindTenants), in tenant ID order.
	FindTeams(ctx context.Context, f TeamFilter) ([]*Team, error)
}

// TeamTx writes billing accounts and teams.
type TeamTx interface {
	// CreateBillingAccount inserts b. Returns ECONFLICT when its ID is taken.
	CreateBillingAccount(ctx context.Context, b *BillingAccount) error
	// PutTeam inserts or replaces t.TenantID's team.
	PutTeam(ctx context.Context, t *Team) error
}
