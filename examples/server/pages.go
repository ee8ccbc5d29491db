package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"net"
	"net/http"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/pages"
)

// The pages people open from the links the APIs hand out (issue 14), served
// by the example server itself under -public-url, so that every link it
// returns opens here:
//
//	/wallet/{tenant}/payment/{token}   a GigPay token's wallet link (unless -wallet-env asks for GigPay's hosts)
//	/r/{tenant}/{id}?token=            a Memento request's link (its "url")
//	/i/{id}/?token=                    a Gigapay invoice's app link
//	/e/{tenant}/{uid}/?token=          a Gigapay employee's invitation (its "claim_url")
//	/gigstack/pay/{token}              a gigstack payment's shortURL
//	/widget/{id}?token=                a RudiqPay payment's widget (its "widget_url")
//	/console/                          the operator console: log in with a tenant's API key

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

// linkOptions are the Service's options that point the links at the pages.
func linkOptions(o options) []paykit.Option {
	opts := []paykit.Option{paykit.WithInvoiceAppURL(o.publicURL), paykit.WithEmployeeURL(o.publicURL),
		paykit.WithRequestURL(o.publicURL + "/r"), paykit.WithWidgetURL(o.publicURL + "/widget"),
		paykit.WithPaymentLinkURL(o.publicURL + "/gigstack")}
	if o.vendorWallet {
		return append(opts, paykit.WithWalletEnv(o.walletEnv))
	}
	return append(opts, paykit.WithWalletURL(o.publicURL+"/wallet"))
}

// mountPages mounts every set of pages on mux. Their forms and console
// sessions are keyed by a key derived from the sealing key, so that they
// survive a restart; without one (the tests) the pages draw their own.
func mountPages(mux *http.ServeMux, svc *paykit.Service, logger *slog.Logger, o options) {
	po := pages.Options{Logger: logger}
	if o.sealingKey != nil {
		m := hmac.New(sha256.New, o.sealingKey)
		m.Write([]byte("paykit example server pages"))
		po.Key = m.Sum(nil)
	}
	mux.Handle("/wallet/", http.StripPrefix("/wallet", pages.NewWallet(svc, po)))
	mux.Handle("/r/", http.StripPrefix("/r", pages.NewMemento(svc, po)))
	// The Gigapay app's links are at the root, as Gigapay's are on its app's
	// host: /i/ and /e/, and the pages' stylesheet at /assets/.
	gigapay := pages.NewGigapay(svc, po)
	for _, p := range []string{"/i/", "/e/", "GET /assets/"} {
		mux.Handle(p, gigapay)
	}
	mux.Handle("/gigstack/pay/", http.StripPrefix("/gigstack", pages.NewGigstack(svc, po)))
	mux.Handle("/widget/", http.StripPrefix("/widget", pages.NewRudiqPay(svc, po)))
	mux.Handle("/console/", http.StripPrefix("/console", pages.NewConsole(svc, po)))
}
