package paykit

// RequestStore persists payment requests and their payers (see Store for the
// contract every method follows).
type RequestStore interface{}
