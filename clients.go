package paykit

import (
	"context"
	"encoding/json"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Events of clients.
const (
	EventClientCreated = "client.created"
	EventClientUpdated = "client.updated"
	EventClientDeleted = "client.deleted"
)

// Address is a client's fiscal address.
type Address struct {
	Street       string `json:"street"`
	Exterior     string `json:"exterior"`
	Interior     string `json:"interior"`
	Neighborhood string `json:"neighborhood"`
	City         string `json:"city"`
	Municipality string `json:"municipality"`
	State        string `json:"state"`
	Zip          string `json:"zip"`
	Country      string `json:"country"`
}

// Client is someone a team charges and invoices: their fiscal identity (RFC,
// legal name, tax system, fiscal address) and what they use invoices for.
type Client struct {
	ID        string          `json:"id"`
	TenantID  string          `json:"tenantId"`
	Name      string          `json:"name"`
	Email     string          `json:"email"`
	Phone     string          `json:"phone"`
	RFC       string          `json:"rfc"`
	LegalName string          `json:"legalName"`
	TaxSystem string          `json:"taxSystem"` // c_RegimenFiscal
	Use       string          `json:"use"`       // c_UsoCFDI
	Address   Address         `json:"address"`
	Metadata  json.RawMessage `json:"metadata"`
	From      string          `json:"from"` // where it was created: api, a charge, ...
	Livemode  bool            `json:"livemode"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// ClientCreate is the input of CreateClient.
type ClientCreate struct {
	ID        string          `json:"id"` // optional: 1 to 64 of [A-Za-z0-9._-]; default a UUID
	Name      string          `json:"name"`
	Email     string          `json:"email"`
	Phone     string          `json:"phone"`
	RFC       string          `json:"rfc"`
	LegalName string          `json:"legalName"`
	TaxSystem string          `json:"taxSystem"`
	Use       string          `json:"use"`
	Address   Address         `json:"address"`
	Metadata  json.RawMessage `json:"metadata"`
	From      string          `json:"from"` // default "api"
	Livemode  bool            `json:"livemode"`
}

// ClientUpdate is the input of UpdateClient; nil fields are left as they are.
type ClientUpdate struct {
	Name      *string          `json:"name"`
	Email     *string          `json:"email"`
	Phone     *string          `json:"phone"`
	RFC       *string          `json:"rfc"`
	LegalName *string          `json:"legalName"`
	TaxSystem *string          `json:"taxSystem"`
	Use       *string          `json:"use"`
	Address   *Address         `json:"address"`
	Metadata  *json.RawMessage `json:"metadata"`
}

// ClientFilter selects clients; nil fields match all. Clients are listed
// newest first.
type ClientFilter struct {
	Email  *string
	RFC    *string
	Search *string // a case-insensitive part of the name, legal name, email or RFC
	After  string  // keyset cursor: the ID of the last client of the previous page
	Limit  int
}

// zipPattern is a Mexican postal code.
var zipPattern = regexp.MustCompile(`^[0-9]{5}$`)

// mexico reports whether country names Mexico, as the clients of the seed
// write it.
func mexico(country string) bool {
	switch strings.ToUpper(strings.TrimSpace(country)) {
	case "", "MEX", "MX", "MEXICO", "MÉXICO":
		return true
	}
	return false
}

// checkClient validates c into v, with field names prefixed by prefix.
func checkClient(v *Validation, prefix string, c *Client) {
	if c.Name == "" && c.LegalName == "" {
		v.Add(prefix+"name", "Give a name or a legal name.")
	}
	if len(c.Name) > 255 {
		v.Add(prefix+"name", "At most 255 characters.")
	}
	if len(c.LegalName) > 255 {
		v.Add(prefix+"legalName", "At most 255 characters.")
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			v.Add(prefix+"email", "Not an email address.")
		}
	}
	if c.RFC != "" {
		if msg := checkRFC(c.RFC); msg != "" {
			v.Add(prefix+"rfc", msg)
		}
	}
	if c.TaxSystem != "" {
		checkTaxSystem(v, prefix+"taxSystem", c.TaxSystem)
	}
	if c.Use != "" {
		checkCFDIUse(v, prefix+"use", c.Use, c.TaxSystem)
	}
	if c.Address.Zip != "" && mexico(c.Address.Country) && !zipPattern.MatchString(c.Address.Zip) {
		v.Add(prefix+"address.zip", "A Mexican postal code has 5 digits.")
	}
	if !v.Has(prefix+"metadata") && !isJSONObject(c.Metadata) {
		v.Add(prefix+"metadata", "Metadata must be a JSON object.")
	}
}

// newClient validates in into a client of the tenant, into v.
func newClient(v *Validation, prefix, tenantID string, in *ClientCreate) *Client {
	c := &Client{ID: in.ID, TenantID: tenantID, Name: strings.TrimSpace(in.Name), Email: strings.TrimSpace(in.Email),
		Phone: strings.TrimSpace(in.Phone), RFC: NormalizeRFC(in.RFC), LegalName: strings.TrimSpace(in.LegalName),
		TaxSystem: strings.TrimSpace(in.TaxSystem), Use: strings.ToUpper(strings.TrimSpace(in.Use)), Address: in.Address,
		From: orDefault(in.From, "api"), Livemode: in.Livemode}
	if c.ID == "" {
		c.ID = newID()
	} else if err := checkClientID(prefix+"id", c.ID); err != nil {
		v.Add(prefix+"id", ErrorMessage(err))
	}
	if c.Name == "" {
		c.Name = c.LegalName
	}
	c.Metadata = checkMetadata(v, prefix+"metadata", in.Metadata)
	checkClient(v, prefix, c)
	return c
}

// CreateClient creates a client of the tenant. Returns EINVALID, and
// ECONFLICT when the ID is taken.
func (s *Service) CreateClient(ctx context.Context, tenantID string, in ClientCreate) (*Client, error) {
	var v Validation
	c := newClient(&v, "", tenantID, &in)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return write(ctx, s, tenantID, "client.create", in, func(tx Tx, now time.Time) (*Client, error) {
		return c, s.createClient(ctx, tx, now, c)
	})
}

// createClient inserts c and fires client.created, in the caller's
// transaction.
func (s *Service) createClient(ctx context.Context, tx Tx, now time.Time, c *Client) error {
	c.CreatedAt, c.UpdatedAt = now, now
	if err := tx.CreateClient(ctx, c); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return &Error{Code: ECONFLICT, Message: clientIDTaken, Fields: map[string]string{"id": clientIDTaken}}
		}
		return err
	}
	return s.appendEvent(ctx, tx, now, c.TenantID, EventClientCreated, c.ID, c)
}

// clientIDTaken is the message of a client ID in use.
const clientIDTaken = "A client with this ID already exists."

// FindClientByID returns one of the tenant's clients. Returns ENOTFOUND.
func (s *Service) FindClientByID(ctx context.Context, tenantID, id string) (*Client, error) {
	return s.store.FindClientByID(ctx, tenantID, id)
}

// FindClients lists the tenant's clients newest first, and how many the
// filter selects in all.
func (s *Service) FindClients(ctx context.Context, tenantID string, f ClientFilter) ([]*Client, int, error) {
	if f.RFC != nil {
		r := NormalizeRFC(*f.RFC)
		f.RFC = &r
	}
	f.Limit = clampLimit(f.Limit)
	return s.store.FindClients(ctx, tenantID, f)
}

// UpdateClient changes the fields of upd that are set. Returns ENOTFOUND and
// EINVALID.
func (s *Service) UpdateClient(ctx context.Context, tenantID, id string, upd ClientUpdate) (*Client, error) {
	return write(ctx, s, tenantID, "client.update", struct {
		ID  string
		Upd ClientUpdate
	}{id, upd}, func(tx Tx, now time.Time) (*Client, error) {
		c, err := tx.FindClientByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = strings.TrimSpace(*src)
			}
		}
		set(&c.Name, upd.Name)
		set(&c.Email, upd.Email)
		set(&c.Phone, upd.Phone)
		set(&c.LegalName, upd.LegalName)
		set(&c.TaxSystem, upd.TaxSystem)
		if upd.RFC != nil {
			c.RFC = NormalizeRFC(*upd.RFC)
		}
		if upd.Use != nil {
			c.Use = strings.ToUpper(strings.TrimSpace(*upd.Use))
		}
		if upd.Address != nil {
			c.Address = *upd.Address
		}
		var v Validation
		if upd.Metadata != nil {
			c.Metadata = checkMetadata(&v, "metadata", *upd.Metadata)
		}
		checkClient(&v, "", c)
		if err := v.Err(); err != nil {
			return nil, err
		}
		c.UpdatedAt = now
		if err := tx.UpdateClient(ctx, c); err != nil {
			return nil, err
		}
		return c, s.appendEvent(ctx, tx, now, tenantID, EventClientUpdated, c.ID, c)
	})
}

// DeleteClient deletes one of the tenant's clients. The charges made to it
// keep their copy of it. Returns ENOTFOUND.
func (s *Service) DeleteClient(ctx context.Context, tenantID, id string) (*Client, error) {
	return write(ctx, s, tenantID, "client.delete", id, func(tx Tx, now time.Time) (*Client, error) {
		c, err := tx.FindClientByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if err := tx.DeleteClient(ctx, tenantID, id); err != nil {
			return nil, err
		}
		return c, s.appendEvent(ctx, tx, now, tenantID, EventClientDeleted, c.ID, c)
	})
}

// ClientStore reads clients.
type ClientStore interface {
	FindClientByID(ctx context.Context, tenantID, id string) (*Client, error)
	// FindClients returns a page of the tenant's clients that f selects,
	// newest first (CreatedAt, then ID, descending), and how many f selects
	// in all. A cursor naming no client of the tenant yields an empty page.
	FindClients(ctx context.Context, tenantID string, f ClientFilter) ([]*Client, int, error)
}

// ClientTx writes clients.
type ClientTx interface {
	// CreateClient inserts c. Returns ECONFLICT when the tenant has a client
	// with its ID.
	CreateClient(ctx context.Context, c *Client) error
	// UpdateClient writes every field of c but ID, TenantID, From, Livemode
	// and CreatedAt. Returns ENOTFOUND.
	UpdateClient(ctx context.Context, c *Client) error
	// DeleteClient deletes the tenant's client. Returns ENOTFOUND.
	DeleteClient(ctx context.Context, tenantID, id string) error
}
