package paykit

import (
	"context"
	"encoding/json"
	"time"
)

// SignatureScheme is how a delivery's body is shaped and signed.
type SignatureScheme string

// Signature schemes. Every delivery also carries the Standard Webhooks
// webhook-id and webhook-timestamp headers, and a webhook-signature header when
// its endpoint has a StandardSecret.
const (
	// SchemeGigapay posts the bare object with
	// Gigapay-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>.
	SchemeGigapay SignatureScheme = "gigapay"
	// SchemeGigstack posts {"id","event","timestamp","data"} with
	// X-Gigstack-Signature: <hex HMAC-SHA256(secret, body)>.
	SchemeGigstack SignatureScheme = "gigstack"
	// SchemeMemento posts a Memento notify_url callback, signed inside the body.
	SchemeMemento SignatureScheme = "memento"
	// SchemeStandard posts {"type","timestamp","data"} signed per the Standard
	// Webhooks specification with a whsec_ secret.
	SchemeStandard SignatureScheme = "standard"
)

// Endpoint is a tenant's webhook subscription: where to post which events, and
// how to sign them.
type Endpoint struct {
	ID             string            `json:"id"` // client-chosen or a UUID; unique per tenant
	TenantID       string            `json:"tenantId"`
	URL            string            `json:"url"`
	Events         []string          `json:"events"` // event types to deliver; empty means all
	Scheme         SignatureScheme   `json:"scheme"`
	Secret         string            `json:"secret"`                   // the scheme's signing key
	StandardSecret string            `json:"standardSecret,omitempty"` // whsec_…: adds a Standard Webhooks signature
	Enabled        bool              `json:"enabled"`
	DisabledReason string            `json:"disabledReason,omitempty"`
	Description    string            `json:"description,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"` // sent with every delivery
	Metadata       json.RawMessage   `json:"metadata,omitempty"`
	FailingSince   *time.Time        `json:"failingSince,omitempty"` // first failure of the current streak
	CreatedAt      time.Time         `json:"createdAt"`
	UpdatedAt      time.Time         `json:"updatedAt"`
}

// Callback is a delivery an event asks for beside the tenant's subscribed
// endpoints, such as Memento's notify_url. Body is posted unchanged on every
// attempt.
type Callback struct {
	URL    string
	Scheme SignatureScheme
	Secret string
	Body   []byte
}

// callbackFunc returns the callbacks an event asks for; it runs in the
// transaction that fans the event out.
type callbackFunc func(ctx context.Context, tx Store, ev *Event) ([]Callback, error)

// WebhookStore persists webhook endpoints and deliveries (see Store for the
// contract every method follows).
type WebhookStore interface{}
