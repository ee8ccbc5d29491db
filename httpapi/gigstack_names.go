package httpapi

import (
	"strings"

	"github.com/paykit/paykit"
)

// The gigstack dialect's one table of words: the root names fields as its
// inputs' canonical JSON does, says paykit's sentences and names events
// <noun>.<verb>; gigstack's wire mixes camelCase and snake_case field names,
// renders IDs with prefixes and names events after its own nouns
// ("customer" for a client, "service" for a product). Every error passes
// through gigstackErr and gigstackMessage; webhooks through gigstackEvents.

// gigstackEvents is the dialect's event catalog: the 26 names gigstack
// documents (the enum of its webhook configuration schema), in its order, and
// the Service's event type each stands for. A name whose noun paykit does
// not have yet (invoices, receipts, SAT and onboarding events) stands for
// the event type of its own name, so that a webhook may subscribe to it now
// and receive it once a noun fires it. "invoice" is paykit's tax invoice (the
// root's Invoice is Gigapay's, whose events gigstack never shows).
var gigstackEvents = []struct{ name, typ string }{
	{"payment.created", paykit.EventPaymentCreated},
	{"payment.updated", paykit.EventPaymentUpdated},
	{"payment.succeeded", paykit.EventPaymentSucceeded},
	{"payment.canceled", paykit.EventPaymentCanceled},
	{"payment.deleted", "payment.deleted"},
	{"payment.upcoming_due_date", "payment.upcoming_due_date"},
	{"invoice.created", paykit.EventTaxInvoiceCreated},
	{"invoice.canceled", paykit.EventTaxInvoiceCanceled},
	{"invoice.failed", paykit.EventTaxInvoiceFailed},
	{"invoice_batch.completed", "invoice_batch.completed"},
	{"receipt.created", paykit.EventReceiptCreated},
	{"receipt.updated", paykit.EventReceiptUpdated},
	{"receipt.completed", paykit.EventReceiptCompleted},
	{"receipt.deleted", paykit.EventReceiptDeleted},
	{"customer.created", paykit.EventClientCreated},
	{"customer.updated", paykit.EventClientUpdated},
	{"customer.deleted", paykit.EventClientDeleted},
	{"service.created", paykit.EventProductCreated},
	{"service.updated", "product.updated"},
	{"service.deleted", "product.deleted"},
	{"sat.invoice.synced", "sat.invoice.synced"},
	{"teams.created", paykit.EventTeamCreated},
	{"teams.sat.completed", paykit.EventTeamSATCompleted},
	{"teams.stripe.completed", "team.stripe.completed"},
	{"teams.openpay.completed", "team.openpay.completed"},
	{"teams.sat.manifest.signed", "team.sat.manifest.signed"},
}

// gigstackEventTypes is gigstackEvents as the Service's endpoint catalog.
var gigstackEventTypes = func() map[string]string {
	m := make(map[string]string, len(gigstackEvents))
	for _, e := range gigstackEvents {
		m[e.name] = e.typ
	}
	return m
}()

// gigstackEventName returns the wire name of the event type typ; a type
// gigstack does not document is shown as it is.
func gigstackEventName(typ string) string {
	for _, e := range gigstackEvents {
		if e.typ == typ {
			return e.name
		}
	}
	return typ
}

// gigstackFields renames the root's field names, segment by segment of a
// dotted path ("items[0].unitPrice" is "items[0].total"). Names not in it are
// the same on the wire.
var gigstackFields = map[string]string{
	paykit.FieldInput:            "request",
	"paymentForm":                "paymentMethod",
	"invoiceOnComplete":          "automateInvoiceOnComplete",
	"incomeInvoiceAndComplement": "automateIncomeInvoiceAndComplement",
	"unitPrice":                  "total", // an item's
	"price":                      "total", // a service's
	"productId":                  "id",    // an item's service
	"productKey":                 "product_key",
	"unitKey":                    "unit_key",
	"unitName":                   "unit_name",
	"legalName":                  "legal_name",
	"taxSystem":                  "tax_system",
}

// gigstackDocumentFields rename the root's fields in the snake_case wire of
// invoices, before gigstackFields: an item's name is its description there
// (see gigstackDocumentField).
var gigstackDocumentFields = map[string]string{
	"clientId":       "client.id",
	"unitPrice":      "unit_price",
	"paymentForm":    "payment_form",
	"paymentMethod":  "payment_method",
	"exchange":       "exchange_rate",
	"substitutionId": "substitution_uuid",
}

// gigstackDocumentField returns the invoices' wire name of the root's field f.
func gigstackDocumentField(f string) string {
	parts := strings.Split(f, ".")
	for i, p := range parts {
		if w, ok := gigstackDocumentFields[p]; ok {
			parts[i] = w
		} else if p == "name" && i > 0 && strings.HasPrefix(parts[i-1], "items[") {
			parts[i] = "description"
		}
	}
	return gigstackField(strings.Join(parts, "."))
}

// gigstackDocErr is gigstackErr for the routes of invoices.
func gigstackDocErr(err error) error { return renameFields(err, gigstackDocumentField) }

// gigstackMessages rewrites the root's messages into gigstack's words.
var gigstackMessages = map[string]string{
	"A value is required.":                      "This field is required",
	"The team has no product with this id.":     "The team has no service with this id.",
	"Give at least one item.":                   "At least one item is required",
	"Give clientId, client or email.":           "Client ID is required (or a client object, or an email)",
	"The amount must be greater than zero.":     "Amount must be greater than 0",
	"A paid payment needs its payment form.":    "paymentMethod is required when paid is true",
	"Give either clientId or client, not both.": "Give either clientId or a client object, not both",
	"Give clientId or client.":                  "A client is required: {\"id\"} of one, or a client object",
}

// gigstackMessage returns the wire's words for the root's message msg.
func gigstackMessage(msg string) string {
	if w, ok := gigstackMessages[msg]; ok {
		return w
	}
	return msg
}

// gigstackField returns the wire name of the root's field name f.
func gigstackField(f string) string {
	parts := strings.Split(f, ".")
	for i, p := range parts {
		if w, ok := gigstackFields[p]; ok {
			parts[i] = w
		}
	}
	return strings.Join(parts, ".")
}

// gigstackErr returns err, an error of the Service, with its fields named as
// the wire names them.
func gigstackErr(err error) error { return renameFields(err, gigstackField) }

// ID prefixes: the wire shows the Service's IDs with them, and takes them back
// only with them.
const (
	prefixPayment = "pay_"
	prefixClient  = "client_"
	prefixService = "service_"
	prefixWebhook = "wh_"
	prefixReceipt = "receipt_"
)

// wireID returns id with prefix.
func wireID(prefix, id string) string {
	if id == "" {
		return ""
	}
	return prefix + id
}

// domainID returns the Service's ID of a wire ID with prefix, or "" when it
// does not have it.
func domainID(prefix, id string) string {
	if !strings.HasPrefix(id, prefix) || len(id) == len(prefix) {
		return ""
	}
	return id[len(prefix):]
}
