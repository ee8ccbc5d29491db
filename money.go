package paykit

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Currency is an upper-case ISO-4217 code or a crypto asset code (USDT).
type Currency string

// currencyScales is the currency table: the number of decimals each currency
// (or asset) is exact to. Amounts with more decimals are rejected, never rounded.
var currencyScales = map[Currency]int32{
	"USD": 2, "EUR": 2, "GBP": 2, "SEK": 2, "NOK": 2, "DKK": 2, "MXN": 2, "CAD": 2,
	"AUD": 2, "CHF": 2, "PLN": 2, "TRY": 2, "BRL": 2, "INR": 2, "ZAR": 2, "NZD": 2,
	"ISK": 0, "JPY": 0, "KRW": 0, "CLP": 0,
	"KWD": 3, "BHD": 3, "JOD": 3,
	"USDT": 6, "USDC": 6,
}

// maxMinor bounds any amount in minor units, far below int64 overflow even after
// summing many balances.
const maxMinor = 900_000_000_000_000 // 9e14 minor units

// ParseCurrency returns the Currency for code, matched case-insensitively.
// It returns EINVALID naming field when the currency is unknown.
func ParseCurrency(field, code string) (Currency, error) {
	c := Currency(strings.ToUpper(strings.TrimSpace(code)))
	if _, ok := currencyScales[c]; !ok || code == "" {
		if code == "" {
			return "", invalid(field, msgRequired)
		}
		return "", invalid(field, "Unsupported currency %q.", code)
	}
	return c, nil
}

// Scale returns the number of decimals of c.
func (c Currency) Scale() int32 { return currencyScales[c] }

// Valid reports whether c is in the currency table.
func (c Currency) Valid() bool { _, ok := currencyScales[c]; return ok }

// Money is an exact amount in a currency.
type Money struct {
	Amount   decimal.Decimal `json:"amount"`
	Currency Currency        `json:"currency"`
}

// NewMoney validates amount against the currency's scale: more decimals than the
// currency has is an EINVALID error naming field, not a rounding.
func NewMoney(field string, amount decimal.Decimal, c Currency) (Money, error) {
	if !c.Valid() {
		return Money{}, invalid(field, "Unsupported currency %q.", string(c))
	}
	if !amount.Equal(amount.Truncate(c.Scale())) {
		return Money{}, invalid(field, "Amount has more than %d decimals for %s.", c.Scale(), c)
	}
	if amount.Abs().Shift(c.Scale()).GreaterThan(decimal.NewFromInt(maxMinor)) {
		return Money{}, invalid(field, "Amount is too large.")
	}
	return MoneyFromMinor(amount.Shift(c.Scale()).IntPart(), c), nil
}

// NewPositiveMoney is NewMoney that also requires amount > 0.
func NewPositiveMoney(field string, amount decimal.Decimal, c Currency) (Money, error) {
	if !amount.IsPositive() {
		return Money{}, invalid(field, "Amount must be greater than zero.")
	}
	return NewMoney(field, amount, c)
}

// MarshalJSON writes {"amount":"10.50","currency":"USD"}, the amount at the
// currency's scale.
func (m Money) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Amount   string   `json:"amount"`
		Currency Currency `json:"currency"`
	}{m.Fixed(), m.Currency})
}

// UnmarshalJSON reads what MarshalJSON writes, so that a Money survives a round
// trip unchanged (same value, same scale).
func (m *Money) UnmarshalJSON(b []byte) error {
	var v struct {
		Amount   decimal.Decimal `json:"amount"`
		Currency Currency        `json:"currency"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = MoneyFromMinor(v.Amount.Shift(v.Currency.Scale()).IntPart(), v.Currency)
	return nil
}

// MoneyFromMinor builds Money from an integer count of minor units. Every Money
// paykit makes has exactly its currency's scale, so equal amounts compare equal.
func MoneyFromMinor(minor int64, c Currency) Money {
	return Money{Amount: decimal.New(minor, -c.Scale()), Currency: c}
}

// Minor returns m in minor units. m must have been validated by NewMoney.
func (m Money) Minor() int64 { return m.Amount.Shift(m.Currency.Scale()).IntPart() }

// String renders m with exactly the currency's decimals, like "10.50 USD".
func (m Money) String() string {
	return m.Amount.StringFixed(m.Currency.Scale()) + " " + string(m.Currency)
}

// Fixed renders the amount with exactly the currency's decimals, like "10.50".
func (m Money) Fixed() string { return m.Amount.StringFixed(m.Currency.Scale()) }

// RoundMoney rounds d half-up (away from zero) to c's scale. It is the one place
// paykit rounds money: pricing, taxes and unit conversions all go through it.
func RoundMoney(d decimal.Decimal, c Currency) Money {
	return MoneyFromMinor(d.Round(c.Scale()).Shift(c.Scale()).IntPart(), c)
}

// Add returns m+o; both must share a currency.
func (m Money) Add(o Money) Money {
	if m.Currency != o.Currency {
		panic(fmt.Sprintf("paykit: adding %s to %s", o.Currency, m.Currency))
	}
	return MoneyFromMinor(m.Minor()+o.Minor(), m.Currency)
}
