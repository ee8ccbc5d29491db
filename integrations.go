package paykit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// IntegrationType is one of Gigapay's three kinds of integration.
type IntegrationType int

// Integration types.
const (
	// IntegrationTypeWebApp is the integration of Gigapay's web app: exactly
	// one per account, which cannot be deleted.
	IntegrationTypeWebApp IntegrationType = 1
	// IntegrationTypeInvoice is the read-only integration of one freelancer's
	// invoices.
	IntegrationTypeInvoice IntegrationType = 2
	// IntegrationTypeCustom is an integration a client creates and manages
	// through the API.
	IntegrationTypeCustom IntegrationType = 3
)

// Integration is the tenant of the Gigapay nouns: employees, payouts, invoices
// and webhooks all belong to one, named by the Integration-ID header. An
// integration is managed by the API keys of its owner, another tenant (the
// "account"), and by its own.
//
// Its ID is the client's, unique among the integrations its account may
// manage (those the owner owns, and the owner's own), so that an id another
// account uses is free and its use elsewhere is not revealed (issue 13); its
// TenantID, the tenant that holds its nouns, is paykit's. The web app
// integration (EnsureIntegration) has its tenant's ID as both.
type Integration struct {
	ID           string          `json:"id"`       // the client's, unique per account
	TenantID     string          `json:"tenantId"` // the tenant of its employees, payouts, invoices and webhooks
	OwnerID      string          `json:"ownerId"`  // the tenant whose API keys manage it
	Type         IntegrationType `json:"type"`
	Name         string          `json:"name"`           // shown to employees
	Logo         string          `json:"logo,omitempty"` // a URL (http, https or a data: URL of an image)
	Metadata     json.RawMessage `json:"metadata"`
	Email        string          `json:"email"`     // where invoices are sent
	Recipient    string          `json:"recipient"` // the name invoices are addressed to
	AddressLine1 string          `json:"addressLine1"`
	AddressLine2 string          `json:"addressLine2,omitempty"`
	ZipCode      string          `json:"zipCode"`
	City         string          `json:"city"`
	// Rates price the integration's payouts; nil means the Service's defaults.
	Rates *PricingRates `json:"rates,omitempty"`
	// InvoiceBatching keeps the open invoice open across requests, until it is
	// closed or paid; without it each create request gets an invoice of its own.
	InvoiceBatching bool      `json:"invoiceBatching"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// IntegrationCreate is the input of CreateIntegration, ReplaceIntegration and
// EnsureIntegration.
type IntegrationCreate struct {
	ID   string `json:"id"` // optional: a UUID by default
	Name string `json:"name"`
	// Logo is an image: an http or https URL, a data: URL, or base64 image
	// bytes (PNG, JPEG, GIF or WebP), kept as a data: URL.
	Logo         string          `json:"logo"`
	Metadata     json.RawMessage `json:"metadata"`
	Email        string          `json:"email"`
	Recipient    string          `json:"recipient"`
	AddressLine1 string          `json:"addressLine1"`
	AddressLine2 string          `json:"addressLine2"`
	ZipCode      string          `json:"zipCode"`
	City         string          `json:"city"`
}

// IntegrationUpdate is the input of UpdateIntegration; nil fields are left as
// they are, and an empty Logo or AddressLine2 clears it.
type IntegrationUpdate struct {
	ID           *string          `json:"id"` // must be the integration's own: its id cannot change
	Name         *string          `json:"name"`
	Logo         *string          `json:"logo"`
	Metadata     *json.RawMessage `json:"metadata"`
	Email        *string          `json:"email"`
	Recipient    *string          `json:"recipient"`
	AddressLine1 *string          `json:"addressLine1"`
	AddressLine2 *string          `json:"addressLine2"`
	ZipCode      *string          `json:"zipCode"`
	City         *string          `json:"city"`
}

// IntegrationSettings is the input of UpdateIntegrationSettings: what Gigapay's
// support configures per customer. Nil fields are left as they are.
type IntegrationSettings struct {
	Rates           *PricingRates `json:"rates"`
	DefaultRates    bool          `json:"defaultRates"` // forget the integration's rates: use the Service's
	InvoiceBatching *bool         `json:"invoiceBatching"`
}

// IntegrationFilter selects integrations; nil fields match all. Lists are
// newest first.
type IntegrationFilter struct {
	// Account, when set, selects the integrations the tenant Account may manage:
	// those it owns, and its own.
	Account *string
	Type    *IntegrationType
	ListPage
}

// maxLogo bounds a logo, in bytes of image.
const maxLogo = 512 << 10

// CreateIntegration creates a custom integration (type 3) owned by the tenant
// ownerID, with a new tenant of its own. Its ID is in.ID, or its tenant's ID
// by default. Returns EINVALID (an id among the integrations the owner may
// manage is one, on the id field; an id another account uses is free) and
// ENOTFOUND for an unknown owner.
func (s *Service) CreateIntegration(ctx context.Context, ownerID string, in IntegrationCreate) (*Integration, error) {
	return write(ctx, s, ownerID, "integration.create", in, func(tx Tx, now time.Time) (*Integration, error) {
		return s.createIntegration(ctx, tx, now, ownerID, IntegrationTypeCustom, in, true)
	})
}

// CreateInvoiceIntegration creates a freelancer's invoice integration (type 2),
// which the API can read but not change or delete. It is how a host registers
// one; Gigapay's API creates none. Returns EINVALID and ENOTFOUND.
func (s *Service) CreateInvoiceIntegration(ctx context.Context, ownerID string, in IntegrationCreate) (*Integration, error) {
	return write(ctx, s, ownerID, "integration.create_invoice", in, func(tx Tx, now time.Time) (*Integration, error) {
		return s.createIntegration(ctx, tx, now, ownerID, IntegrationTypeInvoice, in, true)
	})
}

// EnsureIntegration makes the existing tenant tenantID the web app
// integration (type 1) of its own account, unless it already is an
// integration, and returns the integration. Only Name is required (the
// tenant's name by default), since a host's own account may have no invoice
// address. The example server calls it for its demo tenant. Returns ENOTFOUND
// for an unknown tenant, EINVALID, and ECONFLICT when the tenant already owns
// another web app integration.
func (s *Service) EnsureIntegration(ctx context.Context, tenantID string, in IntegrationCreate) (*Integration, error) {
	if integ, err := s.store.FindIntegrationOfTenant(ctx, tenantID); err == nil {
		return integ, nil
	} else if ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	return write(ctx, s, tenantID, "integration.ensure", in, func(tx Tx, now time.Time) (*Integration, error) {
		return s.ensureIntegration(ctx, tx, now, tenantID, in)
	})
}

func (s *Service) ensureIntegration(ctx context.Context, tx Tx, now time.Time, tenantID string, in IntegrationCreate) (*Integration, error) {
	if integ, err := tx.FindIntegrationOfTenant(ctx, tenantID); err == nil {
		return integ, nil
	} else if ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	t, err := tx.FindTenantByID(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	webApp := IntegrationTypeWebApp
	owned, _, err := tx.FindIntegrations(ctx, IntegrationFilter{Account: &tenantID, Type: &webApp, ListPage: ListPage{Limit: 1}})
	if err != nil {
		return nil, err
	} else if len(owned) > 0 {
		return nil, Errorf(ECONFLICT, "Tenant %q already has a web app integration, %q.", tenantID, owned[0].ID)
	}
	// Its id is the tenant's, which must be free among the integrations the
	// tenant manages.
	if _, err := tx.FindIntegrationByID(ctx, tenantID, tenantID); err == nil {
		return nil, Errorf(ECONFLICT, "Tenant %q already manages an integration with the id %q.", tenantID, tenantID)
	} else if ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	in.ID = tenantID
	if strings.TrimSpace(in.Name) == "" {
		in.Name = t.Name
	}
	integ := &Integration{ID: tenantID, TenantID: tenantID, OwnerID: tenantID, Type: IntegrationTypeWebApp}
	var v Validation
	setIntegration(&v, integ, in, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	integ.CreatedAt, integ.UpdatedAt = now, now
	return integ, tx.CreateIntegration(ctx, integ)
}

func (s *Service) createIntegration(ctx context.Context, tx Tx, now time.Time, ownerID string, typ IntegrationType, in IntegrationCreate, strict bool) (*Integration, error) {
	if _, err := tx.FindTenantByID(ctx, ownerID); err != nil {
		return nil, err
	}
	integ := &Integration{ID: in.ID, TenantID: newID(), OwnerID: ownerID, Type: typ}
	var v Validation
	if integ.ID == "" {
		integ.ID = integ.TenantID
	} else if err := checkClientID("id", integ.ID); err != nil {
		v.Add("id", ErrorMessage(err))
	} else {
		// Taken only among the integrations the owner manages: whether
		// another account has one with this id is none of its business.
		checkIDFree(ctx, &v, "id", "integration", func() error { _, err := tx.FindIntegrationByID(ctx, ownerID, integ.ID); return err })
	}
	setIntegration(&v, integ, in, strict)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := tx.CreateTenant(ctx, &Tenant{ID: integ.TenantID, Name: integ.Name, CreatedAt: now}); err != nil {
		return nil, err
	}
	integ.CreatedAt, integ.UpdatedAt = now, now
	return integ, tx.CreateIntegration(ctx, integ)
}

// setIntegration validates in into v and sets it on integ. strict requires the
// invoice address, as Gigapay's create does.
func setIntegration(v *Validation, integ *Integration, in IntegrationCreate, strict bool) {
	required := func(field, val string) string {
		val = strings.TrimSpace(val)
		switch {
		case val == "" && (strict || field == "name"):
			v.Add(field, msgRequired)
		case utf8.RuneCountInString(val) > maxName:
			v.Add(field, msgMaxName)
		}
		return val
	}
	integ.Name = required("name", in.Name)
	integ.Email = required("email", in.Email)
	if integ.Email != "" && !validEmail(integ.Email) {
		v.Add("email", msgBadEmail)
	}
	integ.Recipient = required("recipient", in.Recipient)
	integ.AddressLine1 = required("addressLine1", in.AddressLine1)
	integ.AddressLine2 = strings.TrimSpace(in.AddressLine2)
	if utf8.RuneCountInString(integ.AddressLine2) > maxName {
		v.Add("addressLine2", msgMaxName)
	}
	integ.ZipCode = required("zipCode", in.ZipCode)
	integ.City = required("city", in.City)
	integ.Metadata = checkMetadata(v, "metadata", in.Metadata)
	logo, err := checkLogo(in.Logo)
	if err != nil {
		v.Add("logo", ErrorMessage(err))
	}
	integ.Logo = logo
}

// msgNotImage is the message of a logo that is neither an image nor a URL.
const msgNotImage = "Not an image: give a PNG, JPEG, GIF or WebP image, or an http or https URL."

// checkLogo returns logo as a URL: an http or https URL as it is, and image
// bytes, base64 or in a data: URL, as a canonical data: URL. "" is no logo.
func checkLogo(logo string) (string, error) {
	logo = strings.TrimSpace(logo)
	if logo == "" {
		return "", nil
	}
	if u, err := url.Parse(logo); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		if len(logo) > 2048 {
			return "", Errorf(EINVALID, "A URL has at most 2048 characters.")
		}
		return logo, nil
	}
	data := logo
	if rest, ok := strings.CutPrefix(logo, "data:"); ok {
		_, b64, ok := strings.Cut(rest, ";base64,")
		if !ok {
			return "", Errorf(EINVALID, "%s", msgNotImage)
		}
		data = b64
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, data))
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(data)
	}
	if err != nil || len(raw) == 0 {
		return "", Errorf(EINVALID, "%s", msgNotImage)
	}
	if len(raw) > maxLogo {
		return "", Errorf(EINVALID, "The image is larger than 512 KiB.")
	}
	if ct := imageType(raw); ct != "" {
		return "data:" + ct + ";base64," + base64.StdEncoding.EncodeToString(raw), nil
	}
	return "", Errorf(EINVALID, "%s", msgNotImage)
}

// FindIntegrationByID returns the integration with the id id among those the
// tenant account may manage: those it owns, and its own. Returns ENOTFOUND
// otherwise, whether or not another account has one with this id.
func (s *Service) FindIntegrationByID(ctx context.Context, account, id string) (*Integration, error) {
	return s.store.FindIntegrationByID(ctx, account, id)
}

// FindIntegrationOfTenant returns the integration whose tenant is tenantID
// (the tenant an Integration-ID was resolved to). Returns ENOTFOUND.
func (s *Service) FindIntegrationOfTenant(ctx context.Context, tenantID string) (*Integration, error) {
	return s.store.FindIntegrationOfTenant(ctx, tenantID)
}

// FindIntegrations returns a page of the integrations f selects, newest first,
// and how many it selects in all.
func (s *Service) FindIntegrations(ctx context.Context, f IntegrationFilter) ([]*Integration, int, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindIntegrations(ctx, f)
}

// UpdateIntegration changes the fields of upd that are set on an integration
// the tenant account manages. Returns ENOTFOUND, EINVALID, and EFORBIDDEN for
// an invoice integration, which is read-only.
func (s *Service) UpdateIntegration(ctx context.Context, account, id string, upd IntegrationUpdate) (*Integration, error) {
	in := struct {
		ID  string
		Upd IntegrationUpdate
	}{id, upd}
	return write(ctx, s, account, "integration.update", in, func(tx Tx, now time.Time) (*Integration, error) {
		integ, err := s.writableIntegration(ctx, tx, account, id)
		if err != nil {
			return nil, err
		}
		c := IntegrationCreate{Name: integ.Name, Logo: integ.Logo, Metadata: integ.Metadata, Email: integ.Email,
			Recipient: integ.Recipient, AddressLine1: integ.AddressLine1, AddressLine2: integ.AddressLine2,
			ZipCode: integ.ZipCode, City: integ.City}
		for _, f := range []struct {
			dst *string
			src *string
		}{{&c.Name, upd.Name}, {&c.Logo, upd.Logo}, {&c.Email, upd.Email}, {&c.Recipient, upd.Recipient},
			{&c.AddressLine1, upd.AddressLine1}, {&c.AddressLine2, upd.AddressLine2}, {&c.ZipCode, upd.ZipCode}, {&c.City, upd.City}} {
			if f.src != nil {
				*f.dst = *f.src
			}
		}
		if upd.Metadata != nil {
			c.Metadata = *upd.Metadata
		}
		if upd.ID != nil {
			c.ID = *upd.ID
		}
		return integ, s.saveIntegration(ctx, tx, now, integ, c, integ.Type == IntegrationTypeCustom)
	})
}

// ReplaceIntegration replaces every field of an integration the tenant account
// manages, with the same required fields as CreateIntegration (the invoice
// address included) for every type, and changes nothing when one is missing.
// Returns ENOTFOUND, EINVALID and EFORBIDDEN, as UpdateIntegration does.
func (s *Service) ReplaceIntegration(ctx context.Context, account, id string, in IntegrationCreate) (*Integration, error) {
	args := struct {
		ID string
		In IntegrationCreate
	}{id, in}
	return write(ctx, s, account, "integration.replace", args, func(tx Tx, now time.Time) (*Integration, error) {
		integ, err := s.writableIntegration(ctx, tx, account, id)
		if err != nil {
			return nil, err
		}
		// A replace gives every field, so it needs what a create needs,
		// whatever the type: the web app integration too, whose create
		// (EnsureIntegration) asks only for a name. Otherwise a replace that
		// leaves the invoice address out would wipe it.
		return integ, s.saveIntegration(ctx, tx, now, integ, in, true)
	})
}

func (s *Service) writableIntegration(ctx context.Context, tx Tx, account, id string) (*Integration, error) {
	integ, err := tx.FindIntegrationByID(ctx, account, id)
	if err != nil {
		return nil, err
	}
	if integ.Type == IntegrationTypeInvoice {
		return nil, Errorf(EFORBIDDEN, "Invoice integrations are read-only.")
	}
	return integ, nil
}

// saveIntegration validates in as integ's new fields and writes them. strict
// requires the invoice address (see setIntegration).
func (s *Service) saveIntegration(ctx context.Context, tx Tx, now time.Time, integ *Integration, in IntegrationCreate, strict bool) error {
	var v Validation
	if in.ID != "" && in.ID != integ.ID {
		v.Add("id", "The id of an integration cannot be changed.")
	}
	setIntegration(&v, integ, in, strict)
	if err := v.Err(); err != nil {
		return err
	}
	integ.UpdatedAt = now
	return tx.UpdateIntegration(ctx, integ)
}

// DeleteIntegration deletes a custom integration that holds nothing: no
// employee, payout, invoice or webhook. Its tenant stays; its id is free
// again among the account's integrations. Returns ENOTFOUND,
// and EFORBIDDEN for a web app or invoice integration, or one holding objects.
func (s *Service) DeleteIntegration(ctx context.Context, account, id string) error {
	_, err := write(ctx, s, account, "integration.delete", id, func(tx Tx, now time.Time) (struct{}, error) {
		integ, err := tx.FindIntegrationByID(ctx, account, id)
		if err != nil {
			return struct{}{}, err
		}
		switch integ.Type {
		case IntegrationTypeWebApp:
			return struct{}{}, Errorf(EFORBIDDEN, "The web app integration cannot be deleted.")
		case IntegrationTypeInvoice:
			return struct{}{}, Errorf(EFORBIDDEN, "Invoice integrations cannot be deleted.")
		}
		one := ListPage{Limit: 1}
		_, employees, err := tx.FindEmployees(ctx, integ.TenantID, EmployeeFilter{ListPage: one})
		if err != nil {
			return struct{}{}, err
		}
		_, invoices, err := tx.FindInvoices(ctx, integ.TenantID, InvoiceFilter{ListPage: one})
		if err != nil {
			return struct{}{}, err
		}
		endpoints, err := tx.FindEndpoints(ctx, integ.TenantID, EndpointFilter{Limit: 1})
		if err != nil {
			return struct{}{}, err
		}
		if employees+invoices+len(endpoints) > 0 {
			return struct{}{}, Errorf(EFORBIDDEN, "Integration %q cannot be deleted while it holds employees, payouts, invoices or webhooks.", id)
		}
		return struct{}{}, tx.DeleteIntegration(ctx, integ.TenantID)
	})
	return err
}

// UpdateIntegrationSettings changes the pricing rates and invoice batching of
// the integration of tenant tenantID, which Gigapay's support configures per
// customer. Returns ENOTFOUND and EINVALID.
func (s *Service) UpdateIntegrationSettings(ctx context.Context, tenantID string, in IntegrationSettings) (*Integration, error) {
	return write(ctx, s, tenantID, "integration.settings", in, func(tx Tx, now time.Time) (*Integration, error) {
		integ, err := tx.FindIntegrationOfTenant(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		var v Validation
		switch {
		case in.DefaultRates:
			integ.Rates = nil
		case in.Rates != nil:
			in.Rates.check(&v, "rates.")
			r := *in.Rates
			integ.Rates = &r
		}
		if in.InvoiceBatching != nil {
			integ.InvoiceBatching = *in.InvoiceBatching
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		integ.UpdatedAt = now
		return integ, tx.UpdateIntegration(ctx, integ)
	})
}

// PricingRatesOf returns the rates that price the integration's payouts: its
// own, or the Service's defaults.
func (s *Service) PricingRatesOf(integ *Integration) PricingRates { return s.ratesFor(integ) }

// IntegrationStore reads integrations, the tenants of the payout nouns.
type IntegrationStore interface {
	// FindIntegrationByID returns the integration with the client's id id
	// among those the tenant account may manage: those it owns, and the one
	// whose tenant it is. ENOTFOUND.
	FindIntegrationByID(ctx context.Context, account, id string) (*Integration, error)
	// FindIntegrationOfTenant returns the integration whose tenant is
	// tenantID, whoever owns it. ENOTFOUND.
	FindIntegrationOfTenant(ctx context.Context, tenantID string) (*Integration, error)
	FindIntegrations(ctx context.Context, f IntegrationFilter) ([]*Integration, int, error)
}

// IntegrationTx writes integrations.
type IntegrationTx interface {
	// CreateIntegration inserts in; ECONFLICT when its tenant has one, or
	// its owner one with its ID.
	CreateIntegration(ctx context.Context, in *Integration) error
	// UpdateIntegration writes every mutable field of in: Name, Logo,
	// Metadata, Email, Recipient, the address, Rates, InvoiceBatching and
	// UpdatedAt.
	UpdateIntegration(ctx context.Context, in *Integration) error
	// DeleteIntegration deletes the integration of tenant tenantID.
	DeleteIntegration(ctx context.Context, tenantID string) error
}
