package httpapi

import (
	"regexp"
	"strings"

	"github.com/paykit/paykit"
)

// The Gigapay dialect's one table of words: the root names a field as its
// input's canonical JSON does, says paykit's own sentences and names events
// <noun>.<verb> in lower case; Gigapay's wire names fields in snake_case,
// speaks Django REST Framework and names events <Type>.<verb>. errorBody
// passes every error through it, before the Swedish translation; webhooks pass
// their events through gigapayEvents.

// gigapayEvents is the dialect's event catalog, in the documentation's order:
// each event name Gigapay documents, the one a webhook subscribes to on the
// wire, and the Service's event type it stands for, the one its endpoint
// stores. Each <Type>.<verb> sets the <verb>_at field of its object.
var gigapayEvents = []struct{ name, typ string }{
	{"Employee.created", paykit.EventEmployeeCreated},
	{"Employee.notified", paykit.EventEmployeeNotified},
	{"Employee.claimed", paykit.EventEmployeeClaimed},
	{"Employee.verified", paykit.EventEmployeeVerified},
	{"Payout.created", paykit.EventPayoutCreated},
	{"Payout.notified", paykit.EventPayoutNotified},
	{"Payout.accepted", paykit.EventPayoutAccepted},
	{"Invoice.created", paykit.EventInvoiceCreated},
	{"Invoice.paid", paykit.EventInvoicePaid},
}

// gigapayEventTypes is gigapayEvents as the Service's endpoint catalog: the
// Service checks a webhook's events against it, with the messages the wire
// has always shown, and stores their types.
var gigapayEventTypes = func() map[string]string {
	m := make(map[string]string, len(gigapayEvents))
	for _, e := range gigapayEvents {
		m[e.name] = e.typ
	}
	return m
}()

// gigapayEventName returns the wire name of the event type typ. A type Gigapay
// does not document, which an endpoint of the scheme made through the events
// API may subscribe to, is shown as it is.
func gigapayEventName(typ string) string {
	for _, e := range gigapayEvents {
		if e.typ == typ {
			return e.name
		}
	}
	return typ
}

// gigapayFields renames the root's field names, segment by segment of a dotted
// path ("[2].employee.cellphoneNumber" is "[2].employee.cellphone_number").
// Names not in it are the same on the wire.
var gigapayFields = map[string]string{
	paykit.FieldInput: "non_field_errors",
	"invoicedAmount":  "invoiced_amount",
	"employeeId":      "employee", // a payout's employee, and the payout filter's
	"invoiceId":       "invoice",  // the payout filter's invoice
	"startAt":         "start_at",
	"endAt":           "end_at",
	"cellphoneNumber": "cellphone_number",
	"addressLine1":    "address_line_1",
	"addressLine2":    "address_line_2",
	"zipCode":         "zip_code",
	"incomeTax":       "income_tax",
	"secret":          "secret_key", // a webhook's
}

// gigapayMessages rewrites the root's messages into Django REST Framework's.
var gigapayMessages = map[string]string{
	"A value is required.":      "This field is required.",
	"Not an email address.":     "Enter a valid email address.",
	"Not valid JSON.":           "Value must be valid JSON.",
	"No employee has this id.":  "Select a valid choice. That choice is not one of the available choices.",
	"No invoice has this id.":   "Select a valid choice. That choice is not one of the available choices.",
	"Give at least one payout.": "This list may not be empty.",
	"Not a phone number: give it with its country code, like +46703000000.": "Enter a valid phone number with its country code, like +46703000000.",
	"Not an image: give a PNG, JPEG, GIF or WebP image, or an http or https URL.": "Upload a valid image. " +
		"The file you uploaded was either not an image or a corrupted image.",
	"Exactly one of amount, invoicedAmount and cost is required.": "Exactly one of amount, invoiced_amount and cost is required.",
	"Either email or cellphoneNumber is required.":                "Either email or cellphone_number is required.",
	"Text may not contain NUL characters (U+0000).":               "Null characters are not allowed.", // DRF's CharField
}

// gigapayEmpty is what Django REST Framework says of a required string that
// arrived empty, by how it arrived (see form.empty): the Service has one
// sentence, "A value is required.", for a value that is missing, since its
// inputs are Go strings that cannot tell absent, null and "" apart, and the
// dialect, which read the body, words it as a CharField does. It applies to a
// field the Service refused, so an optional string may still be "" or null
// (no value), as before.
var gigapayEmpty = map[string]string{
	"blank": "This field may not be blank.", // "" or only spaces
	"null":  "This field may not be null.",
}

// gigapayPatterns rewrites the root's messages that carry a value.
var gigapayPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^At most (\d+) characters\.$`), "Ensure this field has no more than ${1} characters."},
	{regexp.MustCompile(`^A URL has at most (\d+) characters\.$`), "Ensure this URL has no more than ${1} characters."},
	{regexp.MustCompile(`^A batch holds at most (\d+) payouts\.$`), "Ensure this list has no more than ${1} elements."},
	{regexp.MustCompile(`^No employee has the id (".*")\.$`), "Object with id ${1} does not exist."},
	{regexp.MustCompile(`^This id is taken by another (employee|payout|invoice|integration)\.$`), "${1} with this id already exists."},
	// The store's words for the same, when two requests race for one id.
	{regexp.MustCompile(`^An? (employee|invoice|integration) with this ID already exists\.$`), "${1} with this id already exists."},
	{regexp.MustCompile(`^(".*") is not an ISO 3166-1 alpha-3 country code like SWE\.$`),
		"${1} is not a valid choice: give an ISO 3166-1 alpha-3 code like SWE."},
}

// gigapayField returns the wire name of the root's field name f.
func gigapayField(f string) string {
	parts := strings.Split(f, ".")
	for i, p := range parts {
		if w, ok := gigapayFields[p]; ok {
			parts[i] = w
		}
	}
	return strings.Join(parts, ".")
}

// gigapayMessage returns the wire's words for the root's message msg, in
// English.
func gigapayMessage(msg string) string {
	if w, ok := gigapayMessages[msg]; ok {
		return w
	}
	for _, p := range gigapayPatterns {
		if p.re.MatchString(msg) {
			return p.re.ReplaceAllString(msg, p.repl)
		}
	}
	return msg
}
