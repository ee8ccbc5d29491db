package paykit

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Taxes of Mexican items (products and the lines of a charge): IVA, ISR and
// IEPS, each a rate of the item's base (Tasa), an amount per unit (Cuota) or
// exempt (Exento), transferred to the buyer or withheld by them.
//
// How an item's amounts are computed, in decimal arithmetic, each tax rounded
// half-up to the cent once per item (RoundMoney):
//
//   - line = quantity × unit price, rounded to the cent (exact for whole
//     quantities);
//   - an inclusive tax is inside the line: the base is what remains of the
//     line once the inclusive taxes are taken out. Inclusive quotas come out
//     first (rate × quantity); then base = rest ÷ (1 + Σ inclusive
//     transferred rates − Σ inclusive withheld rates), each inclusive rated
//     tax is base × rate rounded, and the base is set to the line less the
//     inclusive transferred taxes plus the inclusive withheld ones, so that
//     base + taxes is the line to the cent;
//   - an exclusive tax is added to (transferred) or taken from (withheld) the
//     base: base × rate, or rate × quantity for a quota, rounded;
//   - the item's total is base + Σ transferred − Σ withheld.
//
// Every tax is computed on the item's base, not on other taxes.

// TaxType is a tax of the SAT catalog c_Impuesto.
type TaxType string

// Tax types.
const (
	TaxISR  TaxType = "ISR"
	TaxIVA  TaxType = "IVA"
	TaxIEPS TaxType = "IEPS"
)

var taxTypes = []TaxType{TaxIVA, TaxISR, TaxIEPS}

// TaxFactor is how a tax's rate applies (c_TipoFactor).
type TaxFactor string

// Tax factors.
const (
	TaxFactorRate   TaxFactor = "Tasa"   // a rate of the base, like 0.16
	TaxFactorQuota  TaxFactor = "Cuota"  // an amount of money per unit (IEPS only)
	TaxFactorExempt TaxFactor = "Exento" // no tax
)

var taxFactors = []TaxFactor{TaxFactorRate, TaxFactorQuota, TaxFactorExempt}

// Tax is one tax of an item, as configured.
type Tax struct {
	Type        TaxType         `json:"type"`
	Rate        decimal.Decimal `json:"rate"`
	Factor      TaxFactor       `json:"factor"`
	Inclusive   bool            `json:"inclusive"`   // inside the item's price
	Withholding bool            `json:"withholding"` // withheld by the buyer, not added
}

// TaxInput is a tax as a caller gives it; nil fields take their defaults:
// factor Tasa, inclusive true (the item's price is what the buyer pays),
// withholding false, except for ISR, which is only ever withheld.
type TaxInput struct {
	Type        string           `json:"type"`
	Rate        *decimal.Decimal `json:"rate"`
	Factor      string           `json:"factor"`
	Inclusive   *bool            `json:"inclusive"`
	Withholding *bool            `json:"withholding"`
}

// TaxAmount is a tax of one item, computed.
type TaxAmount struct {
	Tax
	Base   Money `json:"base"`
	Amount Money `json:"amount"`
}

// maxRateDecimals is the precision of a rate (SAT's c_TasaOCuota has six).
const maxRateDecimals = 6

// checkTaxes validates taxes into v, naming each as field + "[i].name", and
// returns them with their defaults.
func checkTaxes(v *Validation, field string, in []TaxInput) []Tax {
	out := make([]Tax, 0, len(in))
	for i, t := range in {
		f := fmt.Sprintf("%s[%d].", field, i)
		tax := Tax{Type: TaxType(t.Type), Factor: TaxFactor(t.Factor), Inclusive: t.Inclusive == nil || *t.Inclusive}
		if _, err := parseEnum(f+"type", "Tax type", t.Type, taxTypes); err != nil {
			v.Add(f+"type", ErrorMessage(err))
		}
		if tax.Factor == "" {
			tax.Factor = TaxFactorRate
		} else if _, err := parseEnum(f+"factor", "Factor", t.Factor, taxFactors); err != nil {
			v.Add(f+"factor", ErrorMessage(err))
		}
		tax.Withholding = tax.Type == TaxISR
		if t.Withholding != nil {
			tax.Withholding = *t.Withholding
		}
		if t.Rate != nil {
			tax.Rate = *t.Rate
		}
		switch {
		case t.Rate == nil && tax.Factor != TaxFactorExempt:
			v.Add(f+"rate", msgRequired)
		case tax.Rate.IsNegative():
			v.Add(f+"rate", "A rate cannot be negative.")
		case !tax.Rate.Equal(tax.Rate.Truncate(maxRateDecimals)):
			v.Add(f+"rate", "A rate has at most 6 decimals.")
		case tax.Factor == TaxFactorRate && tax.Type != TaxIEPS && tax.Rate.GreaterThan(decimal.NewFromInt(1)):
			v.Add(f+"rate", "A rate is a fraction from 0 to 1, like 0.16 for 16 %.")
		case tax.Factor == TaxFactorRate && tax.Rate.GreaterThan(decimal.RequireFromString("1.6")):
			v.Add(f+"rate", "An IEPS rate is at most 1.6 (160 %).")
		case tax.Factor == TaxFactorExempt && !tax.Rate.IsZero():
			v.Add(f+"rate", "An exempt tax has no rate.")
		}
		switch {
		case tax.Type == TaxISR && !tax.Withholding:
			v.Add(f+"withholding", "ISR is only ever withheld.")
		case tax.Factor == TaxFactorQuota && tax.Type != TaxIEPS:
			v.Add(f+"factor", "Only IEPS is charged per unit (Cuota).")
		case tax.Factor == TaxFactorExempt && (tax.Withholding || tax.Type != TaxIVA):
			v.Add(f+"factor", "Only transferred IVA can be exempt.")
		}
		out = append(out, tax)
	}
	return out
}

// itemAmounts computes an item's base, taxes and total in currency c (see the
// comment at the top of this file). It returns EINVALID naming field when the
// taxes leave no base.
func itemAmounts(field string, quantity, unitPrice decimal.Decimal, taxes []Tax, c Currency) (base, total Money, amounts []TaxAmount, err error) {
	line := RoundMoney(quantity.Mul(unitPrice), c)
	rest := line.Amount
	divisor := decimal.NewFromInt(1)
	for _, t := range taxes {
		switch {
		case !t.Inclusive || t.Factor == TaxFactorExempt:
		case t.Factor == TaxFactorQuota:
			q := RoundMoney(t.Rate.Mul(quantity), c).Amount
			rest = sign(t).Neg().Mul(q).Add(rest)
		case t.Withholding:
			divisor = divisor.Sub(t.Rate)
		default:
			divisor = divisor.Add(t.Rate)
		}
	}
	if !divisor.IsPositive() || rest.IsNegative() {
		return Money{}, Money{}, nil, invalid(field, "These taxes leave the item no base.")
	}
	// The base before the inclusive taxes are rounded; each tax is computed on it.
	raw := rest.DivRound(divisor, 12)
	amounts = make([]TaxAmount, len(taxes))
	inclusive := line.Amount
	for i, t := range taxes {
		a := TaxAmount{Tax: t, Amount: MoneyFromMinor(0, c)}
		if t.Inclusive && t.Factor != TaxFactorExempt {
			a.Amount = taxOf(t, raw, quantity, c)
			inclusive = sign(t).Neg().Mul(a.Amount.Amount).Add(inclusive)
		}
		amounts[i] = a
	}
	base = MoneyFromMinor(inclusive.Shift(c.Scale()).IntPart(), c)
	if base.Amount.IsNegative() {
		return Money{}, Money{}, nil, invalid(field, "These taxes leave the item no base.")
	}
	total = base
	for i, t := range taxes {
		if !t.Inclusive && t.Factor != TaxFactorExempt {
			amounts[i].Amount = taxOf(t, base.Amount, quantity, c)
		}
		amounts[i].Base = base
		total = MoneyFromMinor(total.Minor()+sign(t).IntPart()*amounts[i].Amount.Minor(), c)
	}
	return base, total, amounts, nil
}

// taxOf is one tax of an item whose base is base, rounded to the cent.
func taxOf(t Tax, base, quantity decimal.Decimal, c Currency) Money {
	switch t.Factor {
	case TaxFactorQuota:
		return RoundMoney(t.Rate.Mul(quantity), c)
	case TaxFactorExempt:
		return MoneyFromMinor(0, c)
	}
	return RoundMoney(base.Mul(t.Rate), c)
}

// sign is +1 for a transferred tax and −1 for a withheld one.
func sign(t Tax) decimal.Decimal {
	if t.Withholding {
		return decimal.NewFromInt(-1)
	}
	return decimal.NewFromInt(1)
}
