package paykit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// The lines of a document that sells (a charge, a tax invoice, a receipt):
// each item validated and computed once, with the taxes of taxes.go, and
// their sums. Every document computes its lines here, so that a charge and
// the invoice made of it agree to the cent.

// chargeItem validates the item i of a charge in c into v and computes its
// amounts; it returns nil when the item is invalid.
func (s *Service) chargeItem(ctx context.Context, v *Validation, tenantID string, i int, in *ChargeItemInput, c Currency) (*ChargeItem, error) {
	f := fmt.Sprintf("items[%d].", i)
	it := &ChargeItem{ProductID: in.ProductID, Name: strings.TrimSpace(in.Name), Description: in.Description,
		ProductKey: strings.TrimSpace(in.ProductKey), UnitKey: strings.ToUpper(strings.TrimSpace(in.UnitKey)),
		UnitName: strings.TrimSpace(in.UnitName), Quantity: decimal.NewFromInt(1)}
	price, taxes := in.UnitPrice, in.Taxes
	if in.ProductID != "" {
		prod, err := s.store.FindProductByID(ctx, tenantID, in.ProductID)
		if ErrorCode(err) == ENOTFOUND {
			v.Add(f+"productId", "The team has no product with this id.")
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		if prod.Price.Currency != c {
			v.Add(f+"productId", "Product "+prod.ID+" is priced in "+string(prod.Price.Currency)+", not "+string(c)+".")
			return nil, nil
		}
		it.Name = orDefault(it.Name, prod.Name)
		if it.Description == "" {
			it.Description = prod.Description
		}
		it.ProductKey, it.UnitKey, it.UnitName = orDefault(it.ProductKey, prod.ProductKey), orDefault(it.UnitKey, prod.UnitKey),
			orDefault(it.UnitName, prod.UnitName)
		if price == nil {
			price = &prod.Price.Amount
		}
		if taxes == nil {
			for _, t := range prod.Taxes {
				rate, inclusive, withholding := t.Rate, t.Inclusive, t.Withholding
				taxes = append(taxes, TaxInput{Type: string(t.Type), Rate: &rate, Factor: string(t.Factor),
					Inclusive: &inclusive, Withholding: &withholding})
			}
		}
	}
	ok := true
	bad := func(field, msg string) { v.Add(f+field, msg); ok = false }
	if it.Name == "" {
		bad("name", msgRequired)
	} else if len(it.Name) > 1000 {
		bad("name", "At most 1000 characters.")
	}
	if in.Quantity != nil {
		it.Quantity = *in.Quantity
	}
	switch {
	case !it.Quantity.IsPositive():
		bad("quantity", "The quantity must be greater than zero.")
	case !it.Quantity.Equal(it.Quantity.Truncate(6)):
		bad("quantity", "A quantity has at most 6 decimals.")
	case it.Quantity.GreaterThan(decimal.NewFromInt(1_000_000_000)):
		bad("quantity", "The quantity is too large.")
	}
	switch {
	case price == nil:
		bad("unitPrice", msgRequired)
	default:
		m, err := NewPositiveMoney(f+"unitPrice", *price, c)
		if err != nil {
			bad("unitPrice", ErrorMessage(err))
		}
		it.UnitPrice = m
	}
	if it.ProductKey == "" {
		it.ProductKey = "01010101"
	}
	if it.UnitKey == "" {
		it.UnitKey = "E48"
	}
	n := len(v.fields)
	checkProductKey(v, f+"productKey", it.ProductKey)
	checkUnitKey(v, f+"unitKey", it.UnitKey)
	tx := checkTaxes(v, f+"taxes", taxes)
	if len(v.fields) != n || !ok {
		return nil, nil
	}
	if it.UnitName == "" {
		if e, found := catalogEntry(CatalogUnitKeys, it.UnitKey); found {
			it.UnitName = e.Description
		}
	}
	base, total, amounts, err := itemAmounts(f+"taxes", it.Quantity, it.UnitPrice.Amount, tx, c)
	if err != nil {
		v.Add(f+"taxes", ErrorMessage(err))
		return nil, nil
	}
	it.Base, it.Total, it.Taxes = base, total, amounts
	if !total.Amount.IsPositive() {
		v.Add(f+"unitPrice", "The item's total must be greater than zero.")
		return nil, nil
	}
	return it, nil
}

// exchangeRate returns how many MXN a unit of c is worth: given, validated
// into v on field; 1 for MXN; or else the Service's source's, for the day.
func (s *Service) exchangeRate(ctx context.Context, v *Validation, field string, c Currency, given *decimal.Decimal) (decimal.Decimal, error) {
	switch {
	case given != nil && !given.IsPositive():
		v.Add(field, "An exchange rate is greater than zero.")
	case given != nil && c == chargeHome && !given.Equal(decimal.NewFromInt(1)):
		v.Add(field, "A payment in MXN has the exchange rate 1.")
	case given != nil && !given.Equal(given.Truncate(maxRateDecimals)):
		v.Add(field, "An exchange rate has at most 6 decimals.")
	case given != nil:
		return *given, nil
	case c == chargeHome:
		return decimal.NewFromInt(1), nil
	case s.rates == nil:
		v.Add(field, "Give the exchange rate: no exchange rate source is configured.")
	default:
		rate, err := s.rates.Rate(ctx, c, s.now())
		if err != nil {
			return decimal.Decimal{}, fmt.Errorf("exchange rate of %s: %w", c, err)
		}
		return rate, nil
	}
	return decimal.Decimal{}, nil
}

// LineSums are the sums of a document's lines (a charge's, an invoice's, a
// receipt's): Total = Subtotal + Transferred − Withheld.
type LineSums struct {
	Subtotal    Money `json:"subtotal"`    // the lines' bases
	Transferred Money `json:"transferred"` // their transferred taxes
	Withheld    Money `json:"withheld"`    // their withheld taxes
	Total       Money `json:"total"`       // their totals
}

// sumLines returns the sums of items in c.
func sumLines(items []ChargeItem, c Currency) LineSums {
	sums := LineSums{MoneyFromMinor(0, c), MoneyFromMinor(0, c), MoneyFromMinor(0, c), MoneyFromMinor(0, c)}
	for _, it := range items {
		sums.Subtotal = sums.Subtotal.Add(it.Base)
		for _, t := range it.Taxes {
			if t.Withholding {
				sums.Withheld = sums.Withheld.Add(t.Amount)
			} else {
				sums.Transferred = sums.Transferred.Add(t.Amount)
			}
		}
		sums.Total = sums.Total.Add(it.Total)
	}
	return sums
}

// lines validates the items in of a document in c into v, naming their fields
// "items[i].<field>", and computes each (chargeItem) and their sums. Invalid
// items are left out.
func (s *Service) lines(ctx context.Context, v *Validation, tenantID string, in []ChargeItemInput, c Currency) ([]ChargeItem, LineSums, error) {
	var items []ChargeItem
	for i := range in {
		it, err := s.chargeItem(ctx, v, tenantID, i, &in[i], c)
		if err != nil {
			return nil, LineSums{}, err
		} else if it != nil {
			items = append(items, *it)
		}
	}
	return items, sumLines(items, c), nil
}

// pricedDocument is what an invoice and a receipt share: metadata, currency,
// exchange rate, and items priced into lines with their sums.
type pricedDocument struct {
	Metadata json.RawMessage
	Currency Currency
	Exchange decimal.Decimal
	Items    []ChargeItem
	LineSums
}

// priceDocument checks the shared parts of a document (noun names it in the
// messages: "An invoice", "A receipt") into v, and prices its items. It returns
// v's error, EINVALID on the total when it is too large, or an error of the
// lookups.
func (s *Service) priceDocument(ctx context.Context, v *Validation, tenantID, noun string, metadata json.RawMessage,
	currency string, exchange *decimal.Decimal, items []ChargeItemInput) (*pricedDocument, error) {
	d := &pricedDocument{Metadata: checkMetadata(v, "metadata", metadata)}
	if !v.Has("metadata") && !isJSONObject(d.Metadata) {
		v.Add("metadata", "Metadata must be a JSON object.")
	}
	c, err := parseChargeCurrency("currency", currency)
	if err != nil {
		v.Add("currency", ErrorMessage(err))
	}
	switch {
	case len(items) == 0:
		v.Add("items", "Give at least one item.")
	case len(items) > maxChargeItems:
		v.Add("items", fmt.Sprintf("%s has at most %d items.", noun, maxChargeItems))
	}
	if c == "" || len(items) > maxChargeItems {
		return nil, v.Err()
	}
	d.Currency = c
	if d.Exchange, err = s.exchangeRate(ctx, v, "exchange", c, exchange); err != nil {
		return nil, err
	}
	if d.Items, d.LineSums, err = s.lines(ctx, v, tenantID, items, c); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if d.Total.Minor() > maxMinor {
		return nil, invalid("total", "The total is too large.")
	}
	return d, nil
}
