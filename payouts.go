package paykit

// PayoutStore persists the Gigapay nouns: employees, payouts, invoices and
// pricing settings (see Store for the contract every method follows).
type PayoutStore interface{}
