package httpapi

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/paykit/paykit"
	"github.com/shopspring/decimal"
)

// The RudiqPay dialect's words for the root's: field names, and the log's
// event types, actors and messages.

// rudiqPayFields maps the fields of paykit.Web3PaymentCreate and
// paykit.Web3PaymentFilter to the wire's. An item's field is named by its
// index ("items[2].price"), a member's by its key ("member.email"), as given.
var rudiqPayFields = map[string]string{
	"externalId":     "external_id",
	"nodeId":         "node_id",
	"chainId":        "chain_id",
	"networkId":      "network_id",
	"walletId":       "wallet_id",
	"memberId":       "member_id",
	"member":         "member",
	"currencyId":     "currency_id",
	"price":          "price",
	"paidPrice":      "paid_price",
	"method":         "payment_method",
	"group":          "payment_group",
	"paymentAddress": "payment_address",
	"items":          "items",
	"name":           "name",
	"metadata":       "metadata",
	"expiresAt":      "expires_at",
	"retry":          "retry",
	"retryCount":     "retry_count",
	"clientIp":       "client_ip",
}

var rudiqPayItemField = regexp.MustCompile(`^(items\[\d+\]\.)(\w+)$`)

// rudiqPayField renames one of the root's field names to the wire's.
func rudiqPayField(f string) string {
	if m := rudiqPayItemField.FindStringSubmatch(f); m != nil {
		return m[1] + rudiqPayField(m[2])
	}
	if strings.HasPrefix(f, "member.") {
		return f
	}
	if w, ok := rudiqPayFields[f]; ok {
		return w
	}
	return f
}

// rudiqPayLogRow is how a payment's event reads in its log.
type rudiqPayLogRow struct {
	eventType string // the log's event_type
	actor     string // who did it: integration, system (paykit's background work) or chain
	message   func(p *paykit.Web3Payment) string
}

func fixed(m string) func(*paykit.Web3Payment) string {
	return func(*paykit.Web3Payment) string { return m }
}

// rudiqPayLogs maps the events of web3 payments to their log rows.
var rudiqPayLogs = map[string]rudiqPayLogRow{
	paykit.EventWeb3PaymentCreated: {"created", "integration", fixed("Payment created.")},
	paykit.EventWeb3PaymentProcessing: {"sent_to_consumer", "system", func(p *paykit.Web3Payment) string {
		return fmt.Sprintf("Deal %d sent to the chain for creation.", p.DealID)
	}},
	paykit.EventWeb3PaymentDealOpened: {"deal_created", "chain", func(p *paykit.Web3Payment) string {
		return fmt.Sprintf("Deal %d created on the chain: the payer can deposit.", p.DealID)
	}},
	paykit.EventWeb3PaymentDealFailed: {"deal_failed", "system", func(p *paykit.Web3Payment) string {
		return p.DealError + " Retry with retry-send."
	}},
	paykit.EventWeb3PaymentRetried: {"retry_sent", "integration", func(p *paykit.Web3Payment) string {
		return fmt.Sprintf("Payment re-sent to the create-payment consumer (retry %d).", p.RetryCount)
	}},
	paykit.EventWeb3PaymentCancelling: {"cancel_requested", "integration", fixed("Cancellation requested: cancelDeal is on its way to the chain.")},
	paykit.EventWeb3PaymentCancelled: {"cancelled", "chain", func(p *paykit.Web3Payment) string {
		if p.CancelTxHash == "" {
			return "Payment cancelled: its deal was not on the chain."
		}
		return fmt.Sprintf("Deal %d cancelled on the chain: payment cancelled.", p.DealID)
	}},
	paykit.EventWeb3PaymentCompleted: {"completed", "chain", func(p *paykit.Web3Payment) string {
		return fmt.Sprintf("Deposit of %s %s confirmed: payment completed.", p.PaidPrice.Amount, p.PaidPrice.Currency)
	}},
	paykit.EventWeb3PaymentExpired: {"expired", "system", fixed("Payment expired.")},
	paykit.EventWeb3PaymentFailed: {"failed", "system", func(p *paykit.Web3Payment) string {
		return "Payment failed: " + p.FailureReason
	}},
}

// decimalOf returns the decimal of a JSON number, or nil when it was absent.
func decimalOf(n *jsonNumber) *decimal.Decimal {
	if n == nil {
		return nil
	}
	d := n.Decimal
	return &d
}
