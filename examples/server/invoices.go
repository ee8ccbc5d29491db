package main

import (
	"context"
	"crypto/subtle"
	"html/template"
	"log/slog"
	"net"
	"net/http"

	"github.com/paykit/paykit"
)

// The page a Gigapay invoice's app link opens (paykit.WithInvoiceAppURL):
// the example server sets the links' base to its own -public-url, and serves
// <public-url>/i/{id}/?token=… here, so that a link a client is given opens on
// the server that gave it, never on the vendor's real host. It is a stand-in
// until the example server has real pages: it shows the invoice, and says how
// the sandbox pays it.

// defaultAddr is the address the server listens on by default.
const defaultAddr = "127.0.0.1:8080"

// publicURLOf returns the URL clients reach a server listening on addr at:
// http://, with localhost for an address that names no host (":8080",
// "0.0.0.0:8080").
func publicURLOf(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

var invoicePageHTML = template.Must(template.New("invoice").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex,nofollow"><title>Invoice {{.ID}}</title></head>
<body>
<h1>Invoice {{.ID}}</h1>
<p>{{.Price}}, OCR number {{.OCRNumber}}, {{if .PaidAt}}paid {{.PaidAt.Format "2006-01-02 15:04 UTC"}}{{else}}not paid yet{{end}}.</p>
<p>This example server has no payment page. In its sandbox the client pays the invoice with
<code>POST /sandbox/gigapay/invoices/{{.ID}}/pay/</code>.</p>
</body>
</html>
`))

// invoicePage serves GET /i/{id}/?token=…: the invoice with that id whose
// token is the link's, or 404.
func invoicePage(svc *paykit.Service, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The URL carries a capability: keep it out of caches and referrers.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		inv, err := findInvoiceByLink(r.Context(), svc, r.PathValue("id"), r.URL.Query().Get("token"))
		switch {
		case paykit.ErrorCode(err) == paykit.ENOTFOUND:
			http.NotFound(w, r)
			return
		case err != nil:
			logger.Error("invoice page", "err", err)
			http.Error(w, "Internal error.", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := invoicePageHTML.Execute(w, inv); err != nil {
			logger.Error("invoice page", "err", err)
		}
	}
}

// findInvoiceByLink returns the invoice with the client id id, in any
// integration, whose token is token. Ids are unique per integration only, so
// it asks each integration in turn: enough for an example server, which has a
// few.
func findInvoiceByLink(ctx context.Context, svc *paykit.Service, id, token string) (*paykit.Invoice, error) {
	if token == "" {
		return nil, paykit.Errorf(paykit.ENOTFOUND, "Invoice not found.")
	}
	for offset := 0; ; offset += paykit.MaxLimit {
		integs, _, err := svc.FindIntegrations(ctx, paykit.IntegrationFilter{ListPage: paykit.ListPage{Offset: offset, Limit: paykit.MaxLimit}})
		if err != nil {
			return nil, err
		}
		for _, integ := range integs {
			inv, err := svc.FindInvoiceByID(ctx, integ.TenantID, id)
			if paykit.ErrorCode(err) == paykit.ENOTFOUND {
				continue
			} else if err != nil {
				return nil, err
			}
			if subtle.ConstantTimeCompare([]byte(inv.Token), []byte(token)) == 1 {
				return inv, nil
			}
		}
		if len(integs) < paykit.MaxLimit {
			return nil, paykit.Errorf(paykit.ENOTFOUND, "Invoice not found.")
		}
	}
}
