package paykit_test

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/paykit/paykit"
)

// A payout of 1000.00 SEK gross salary, priced with the default Swedish rates:
// the client pays its cost, and the employee gets the amount less income tax.
func ExamplePrice() {
	p, err := paykit.Price(paykit.PricingBasisAmount, decimal.RequireFromString("1000"), "SEK", paykit.DefaultPricingRates())
	if err != nil {
		panic(err)
	}
	fmt.Println("amount:         ", p.Amount)
	fmt.Println("payroll:        ", p.Payroll)
	fmt.Println("invoiced_amount:", p.InvoicedAmount)
	fmt.Println("fee:            ", p.Fee)
	fmt.Println("cost:           ", p.Cost)
	fmt.Println("vat:            ", p.VAT)
	fmt.Println("tax:            ", p.Tax)
	fmt.Println("net:            ", p.Net())
	// Output:
	// amount:          1000.00 SEK
	// payroll:         314.20 SEK
	// invoiced_amount: 1314.20 SEK
	// fee:             65.71 SEK
	// cost:            1379.91 SEK
	// vat:             344.98 SEK
	// tax:             300.00 SEK
	// net:             700.00 SEK
}

func ExampleOCR() {
	fmt.Println(paykit.OCR(4711), paykit.ValidOCR(paykit.OCR(4711)))
	// Output: 000000047118 true
}
