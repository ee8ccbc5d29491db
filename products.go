package paykit

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Events of products.
const (
	EventProductCreated = "product.created"
)

// Product is something a team sells: a product or a service, with its unit
// price, its SAT keys and its taxes. A charge's item may name one to take its
// fields from.
type Product struct {
	ID          string          `json:"id"`
	TenantID    string          `json:"tenantId"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Price       Money           `json:"price"` // per unit; taxes included unless they say otherwise
	ProductKey  string          `json:"productKey"`
	UnitKey     string          `json:"unitKey"`
	UnitName    string          `json:"unitName"`
	SKU         string          `json:"sku"`
	Taxes       []Tax           `json:"taxes"`
	Metadata    json.RawMessage `json:"metadata"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// ProductCreate is the input of CreateProduct.
type ProductCreate struct {
	ID          string           `json:"id"` // optional; default a UUID
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Price       *decimal.Decimal `json:"price"`
	Currency    string           `json:"currency"` // default MXN
	ProductKey  string           `json:"productKey"`
	UnitKey     string           `json:"unitKey"`
	UnitName    string           `json:"unitName"`
	SKU         string           `json:"sku"`
	Taxes       []TaxInput       `json:"taxes"`
	Metadata    json.RawMessage  `json:"metadata"`
}

// ProductFilter selects products, newest first.
type ProductFilter struct {
	After string // keyset cursor: the ID of the last product of the previous page
	Limit int
}

// chargeCurrencies are the currencies a charge, and so a product, may be in.
var chargeCurrencies = []Currency{"MXN", "USD", "EUR"}

// parseChargeCurrency returns the currency code names, MXN when it is empty.
func parseChargeCurrency(field, code string) (Currency, error) {
	if strings.TrimSpace(code) == "" {
		return "MXN", nil
	}
	return parseEnum(field, "Currency", strings.ToUpper(strings.TrimSpace(code)), chargeCurrencies)
}

// CreateProduct creates a product of the tenant. Returns EINVALID, and
// ECONFLICT when the ID is taken.
func (s *Service) CreateProduct(ctx context.Context, tenantID string, in ProductCreate) (*Product, error) {
	var v Validation
	p := &Product{ID: in.ID, TenantID: tenantID, Name: strings.TrimSpace(in.Name), Description: in.Description,
		ProductKey: strings.TrimSpace(in.ProductKey), UnitKey: strings.ToUpper(strings.TrimSpace(in.UnitKey)),
		UnitName: strings.TrimSpace(in.UnitName), SKU: in.SKU}
	if p.ID == "" {
		p.ID = newID()
	} else if err := checkClientID("id", p.ID); err != nil {
		v.Add("id", ErrorMessage(err))
	}
	if p.Name == "" {
		v.Add("name", msgRequired)
	}
	c, err := parseChargeCurrency("currency", in.Currency)
	if err != nil {
		v.Add("currency", ErrorMessage(err))
	}
	switch {
	case in.Price == nil:
		v.Add("price", msgRequired)
	case c != "":
		if p.Price, err = NewPositiveMoney("price", *in.Price, c); err != nil {
			v.Add("price", ErrorMessage(err))
		}
	}
	if p.ProductKey == "" {
		p.ProductKey = "01010101"
	}
	checkProductKey(&v, "productKey", p.ProductKey)
	if p.UnitKey == "" {
		p.UnitKey = "E48"
	}
	checkUnitKey(&v, "unitKey", p.UnitKey)
	if p.UnitName == "" {
		if e, ok := catalogEntry(CatalogUnitKeys, p.UnitKey); ok {
			p.UnitName = e.Description
		}
	}
	p.Taxes = checkTaxes(&v, "taxes", in.Taxes)
	p.Metadata = checkMetadata(&v, "metadata", in.Metadata)
	if !v.Has("metadata") && !isJSONObject(p.Metadata) {
		v.Add("metadata", "Metadata must be a JSON object.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, _, _, err := itemAmounts("taxes", decimal.NewFromInt(1), p.Price.Amount, p.Taxes, c); err != nil {
		return nil, err
	}
	return write(ctx, s, tenantID, "product.create", in, func(tx Tx, now time.Time) (*Product, error) {
		p.CreatedAt, p.UpdatedAt = now, now
		if err := tx.CreateProduct(ctx, p); err != nil {
			if ErrorCode(err) == ECONFLICT {
				const msg = "A product with this ID already exists."
				return nil, &Error{Code: ECONFLICT, Message: msg, Fields: map[string]string{"id": msg}}
			}
			return nil, err
		}
		return p, s.appendEvent(ctx, tx, now, tenantID, EventProductCreated, p.ID, p)
	})
}

// FindProductByID returns one of the tenant's products. Returns ENOTFOUND.
func (s *Service) FindProductByID(ctx context.Context, tenantID, id string) (*Product, error) {
	return s.store.FindProductByID(ctx, tenantID, id)
}

// FindProducts lists the tenant's products newest first, and how many there
// are.
func (s *Service) FindProducts(ctx context.Context, tenantID string, f ProductFilter) ([]*Product, int, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindProducts(ctx, tenantID, f)
}

// ProductStore reads products.
type ProductStore interface {
	FindProductByID(ctx context.Context, tenantID, id string) (*Product, error)
	// FindProducts returns a page of the tenant's products, newest first
	// (CreatedAt, then ID, descending), and how many the tenant has. A cursor
	// naming no product of the tenant yields an empty page.
	FindProducts(ctx context.Context, tenantID string, f ProductFilter) ([]*Product, int, error)
}

// ProductTx writes products.
type ProductTx interface {
	// CreateProduct inserts p. Returns ECONFLICT when the tenant has a product
	// with its ID.
	CreateProduct(ctx context.Context, p *Product) error
}
