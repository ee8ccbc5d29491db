// Command server is paykit's example server, on a SQLite file or, with
// -db postgres://…, on a PostgreSQL database that several servers may share:
//
//	/gigpay/    GigPay payment tokens and payments      (Authorization: Bearer <key>)
//	/gigapay/   Gigapay v2 payouts                       (Authorization: Token <key> + Integration-ID)
//	/memento/   Memento payment requests                 (HTTP Basic, key as username)
//	/gigstack/  gigstack v2 payments, clients, webhooks   (Authorization: Bearer <key>)
//	/rudiqpay/  RudiqPay web3 payments on a sandbox chain (Authorization: Bearer <key>; the widget: <access_token>)
//	/webhooks/  events, webhook endpoints, delivery log  (Authorization: Bearer <key>)
//	/sandbox/   what outside parties do: /sandbox/ (GigPay's rail), /sandbox/gigapay/, /sandbox/memento/,
//	            /sandbox/gigstack/, /sandbox/rudiqpay/ (the payer's wallet and the miners)
//	/wallet/ /r/ /i/ /e/ /gigstack/pay/ /widget/
//	            the pages the links in API responses open, all under -public-url (by default http://<-addr>):
//	            GigPay wallet links, Memento requests, Gigapay invoices and invitations, gigstack payment
//	            links, RudiqPay widgets (pages.go)
//	/console/   the operator console of a tenant (log in with its API key)
//	/admin/     the tenant admin API, with -admin-key only (Authorization: Bearer <-admin-key>)
//
//	go run ./examples/server -demo
//
// With -demo it seeds, idempotently, a tenant "demo" whose API key is the value
// of -demo-key: a business account 3fa85f64-5717-4562-b3fc-2c963f66afa6 of the
// business 5fa85f64-5717-4562-b3fc-2c963f66afa6, funded with 10000.00 USD, and a
// payee account 4fa85f64-5717-4562-b3fc-2c963f66afa6 of the user identity
// 6fa85f64-5717-4562-b3fc-2c963f66afa6 (GigPay); the web app integration "demo"
// (Gigapay); and the Memento merchant settings, with +1 as the default country
// code, and a payer "demopayer" at +14155551212 holding 1000.00 USD. Callbacks
// are signed with the demo key, as with any tenant's newest API key.
//
// It is safe by default (issue 13): webhooks never go to loopback or private
// addresses unless started with -allow-private-webhooks; cross-site browser
// requests are refused; httpapi.NewServer bounds what slow or greedy clients
// hold (-read-timeout, -max-conns, -max-requests); finished deliveries and
// events are purged after -retention (30 days).
//
// Secrets the Service must keep usable (the merchants' signing keys, which
// are API keys) are sealed with a key kept beside the database, in
// <db>.key (created on first start; -sealing-key-file names another), so the
// database alone gives them away to no one. On PostgreSQL -sealing-key-file
// is required: every server sharing the database must open what the others
// sealed, so they share one key file, which a default would not make them do. The gigstack master team, its
// teams and clients are seeded too (gigstack.go), and RudiqPay's node tree and
// the shop's integration key "demo-shop"; the sandbox chain's network, USDT and
// contract are registered with or without -demo (rudiqpay.go).
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/paykit/paykit"
	"github.com/paykit/paykit/httpapi"
	"github.com/paykit/paykit/store"
	"github.com/shopspring/decimal"
)

// The demo's fixed IDs, so that the README's curl commands work as written.
const (
	demoTenantID        = "demo"
	demoBusinessAccount = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	demoPayeeAccount    = "4fa85f64-5717-4562-b3fc-2c963f66afa6"
	// The owners of the two accounts are UUIDs, as in GigPay's examples, so
	// that a client typing businessAccountId and userIdentityId as Guid
	// parses them.
	demoBusinessID      = "5fa85f64-5717-4562-b3fc-2c963f66afa6"
	demoPayeeIdentityID = "6fa85f64-5717-4562-b3fc-2c963f66afa6"
	demoPayerUsername   = "demopayer"
	demoPayerPhone      = "+14155551212"
	demoCountryCode     = "+1" // the demo merchant's default, its payer's
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down within a few seconds. ready, if
// not nil, is called with the listening address once requests are served.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", defaultAddr, "address to listen on")
	dbPath := fs.String("db", "paykit.db", "SQLite database file, or the postgres:// URL of a PostgreSQL database that several servers may share")
	var o options
	fs.BoolVar(&o.demo, "demo", false, "seed a demo tenant, API key and funded accounts (idempotent)")
	fs.StringVar(&o.demoKey, "demo-key", "demo", "API key of the demo tenant (with -demo)")
	fs.StringVar(&o.walletEnv, "wallet-env", "", `GigPay wallet links on GigPay's hosts, in this environment ("stage"; "" for production); by default they open this server's wallet pages`)
	fs.StringVar(&o.publicURL, "public-url", "", "base URL clients reach the server at, for the links it hands out (wallet, request, invoice, invitation, payment link, widget), which open its pages (default http://<-addr>)")
	fs.DurationVar(&o.retention, "retention", paykit.DefaultRetention, "how long finished webhook deliveries and events are kept (0: forever)")
	fs.BoolVar(&o.allowPrivateWebhooks, "allow-private-webhooks", false, "let webhooks and callbacks go to loopback and private addresses, for receivers on this machine or network (refused by default)")
	var limits httpapi.ServerLimits
	fs.DurationVar(&limits.ReadTimeout, "read-timeout", httpapi.DefaultServerLimits.ReadTimeout, "time a client has to send a whole request, body included")
	fs.IntVar(&limits.MaxConns, "max-conns", 0, "open connections at most (default 1024, fewer under a low open-file limit)")
	fs.IntVar(&limits.MaxConcurrent, "max-requests", httpapi.DefaultServerLimits.MaxConcurrent, "requests handled at once at most, once their bodies have arrived")
	fs.StringVar(&o.adminKey, "admin-key", "", "serve the tenant admin API at /admin to requests with Authorization: Bearer <this key> (off when empty)")
	keyFile := fs.String("sealing-key-file", "", "file of the key that seals stored secrets, created if missing (default <db>.key; required with a postgres:// -db)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { o.vendorWallet = o.vendorWallet || f.Name == "wallet-env" })
	kind, dbName := "sqlite", *dbPath
	if u, ok := postgresURL(*dbPath); ok {
		// Logged without its password.
		kind, dbName = "postgres", u.Redacted()
		if *keyFile == "" {
			return errors.New("-db is a PostgreSQL URL: give -sealing-key-file too, the same key file for every server sharing the database (each must open the secrets the others sealed)")
		}
	} else if *keyFile == "" {
		*keyFile = *dbPath + ".key"
	}
	if o.retention == 0 {
		o.retention = -1 // -retention 0: forever
	}
	var err error
	if o.sealingKey, err = loadSealingKey(*keyFile); err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	slog.SetDefault(logger)

	db, err := store.Open(*dbPath)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			logger.Error("close database", "err", err)
		}
	}()
	// Listen first, so that the default public URL has the port really
	// listened on (-addr 127.0.0.1:0).
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close() // when wire fails; Serve closes it otherwise
	if o.publicURL == "" {
		o.publicURL = publicURLOf(ln.Addr().String())
	}
	svc, mux, err := wire(ctx, db, clock.New(), logger, o)
	if err != nil {
		return err
	}
	// Timeouts, header and body limits, and caps on connections, requests in
	// progress and body memory: slow or greedy clients get 503s with
	// Retry-After, and the rest are served (httpapi.ServerLimits).
	srv := httpapi.NewServer(mux, limits)
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workDone := make(chan error, 1)
	go func() { workDone <- svc.Run(workCtx) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	l := srv.Limits()
	logger.Info("listening", "addr", "http://"+ln.Addr().String(), "store", kind, "db", dbName, "max_conns", l.MaxConns,
		"max_requests", l.MaxConcurrent, "read_timeout", l.ReadTimeout, "write_timeout", l.WriteTimeout, "idle_timeout", l.IdleTimeout)
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		logger.Info("shutting down")
		shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shutCtx)
		cancel()
	}
	stopWork()
	if werr := <-workDone; werr != nil {
		logger.Error("background work", "err", werr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// postgresURL returns db parsed when it is a PostgreSQL URL, which store.Open
// opens on PostgreSQL; anything else is a SQLite file.
func postgresURL(db string) (*url.URL, bool) {
	if !store.IsPostgres(db) {
		return nil, false
	}
	u, err := url.Parse(db)
	if err != nil {
		// store.Open says what is wrong with it; log nothing of it.
		return &url.URL{Scheme: "postgres", Host: "?"}, true
	}
	return u, true
}

// options are the example server's settings that shape the Service and the
// routes, from its flags.
type options struct {
	demo      bool   // seed the demo tenant
	demoKey   string // the demo tenant's API key
	walletEnv string // GigPay wallet link environment, with vendorWallet
	// vendorWallet gives GigPay's own wallet links (-wallet-env given)
	// instead of this server's wallet pages.
	vendorWallet bool
	// wrapStore, when set, decorates the Store the Service runs on (the
	// tests count its queries with it).
	wrapStore  func(paykit.Store) paykit.Store
	publicURL  string // where clients reach the server, for the links it hands out and the pages they open; "": http://<defaultAddr>
	sealingKey []byte // seals the secrets the Service keeps (paykit.WithSealingKey); nil keeps them in the clear
	// allowPrivateWebhooks lets deliveries go to loopback and private
	// addresses (paykit.WithPrivateDestinations), for local receivers.
	allowPrivateWebhooks bool
	// retention is how long finished deliveries and events are kept
	// (paykit.WithRetention); 0 is the library's default, negative forever.
	retention time.Duration
	adminKey  string // mounts the tenant admin API at /admin for this Bearer key; "": not mounted
}

// loadSealingKey reads the base64 sealing key in path, or creates the file
// with a new random key, readable by its owner only.
func loadSealingKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, paykit.SealingKeySize)
		rand.Read(key)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("sealing key: %w", err)
		}
		_, err = fmt.Fprintln(f, base64.StdEncoding.EncodeToString(key))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("sealing key: %w", err)
		}
		return key, nil
	} else if err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != paykit.SealingKeySize {
		return nil, fmt.Errorf("sealing key: %s does not hold %d bytes in base64", path, paykit.SealingKeySize)
	}
	return key, nil
}

// wire builds the example server's Service on db and clk, seeds the demo when
// asked, and mounts every dialect on one mux: the tests use it as run does.
func wire(ctx context.Context, db paykit.Store, clk clock.Clock, logger *slog.Logger, o options) (*paykit.Service, http.Handler, error) {
	if o.wrapStore != nil {
		db = o.wrapStore(db)
	}
	if o.publicURL == "" {
		o.publicURL = publicURLOf(defaultAddr)
	}
	o.publicURL = strings.TrimRight(o.publicURL, "/")
	opts := append([]paykit.Option{paykit.WithClock(clk), paykit.WithLogger(logger), paykit.WithExchangeRates(demoRates)},
		linkOptions(o)...)
	if o.sealingKey != nil {
		opts = append(opts, paykit.WithSealingKey(o.sealingKey))
	}
	chain := rudiqPayChain(clk) // RudiqPay's web3 payments, on the sandbox chain (rudiqpay.go)
	opts = append(opts, paykit.WithChain(demoRudiqNetwork, chain))
	if o.retention != 0 {
		opts = append(opts, paykit.WithRetention(o.retention))
	}
	if o.allowPrivateWebhooks {
		opts = append(opts, paykit.WithPrivateDestinations())
		logger.Warn("webhooks and callbacks may go to loopback and private addresses (-allow-private-webhooks): any tenant can make this server call its own network")
	}
	svc := paykit.New(db, opts...)
	mux := http.NewServeMux()
	mountPages(mux, svc, logger, o) // the pages the links open (pages.go)
	mux.Handle("/gigpay/", http.StripPrefix("/gigpay", httpapi.NewGigPay(svc)))
	mux.Handle("/gigapay/", http.StripPrefix("/gigapay", httpapi.NewGigapay(svc)))
	mux.Handle("/memento/", http.StripPrefix("/memento", httpapi.NewMemento(svc)))
	mux.Handle("/gigstack/", http.StripPrefix("/gigstack", httpapi.NewGigstack(svc)))
	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", httpapi.NewEvents(svc, httpapi.BearerAuth(svc))))
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", httpapi.NewSandbox(svc)))
	mux.Handle("/sandbox/gigapay/", http.StripPrefix("/sandbox/gigapay", httpapi.NewGigapaySandbox(svc)))
	mux.Handle("/sandbox/memento/", http.StripPrefix("/sandbox/memento", httpapi.NewMementoSandbox(svc)))
	mux.Handle("/sandbox/gigstack/", http.StripPrefix("/sandbox/gigstack", httpapi.NewGigstackSandbox(svc)))
	mountRudiqPay(mux, svc, chain)
	if o.adminKey != "" {
		mux.Handle("/admin/", http.StripPrefix("/admin", httpapi.NewAdmin(svc, o.adminKey)))
		logger.Info("tenant admin API at /admin")
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"apis":[`+
			`{"name":"GigPay","baseUrl":"/gigpay","example":"POST /gigpay/api/v1/payment-tokens"},`+
			`{"name":"Gigapay v2","baseUrl":"/gigapay","example":"GET /gigapay/v2/payouts/"},`+
			`{"name":"Memento","baseUrl":"/memento","example":"POST /memento/v1/requests"},`+
			`{"name":"gigstack v2","baseUrl":"/gigstack","example":"POST /gigstack/v2/payments"},`+
			`{"name":"RudiqPay","baseUrl":"/rudiqpay","example":"POST /rudiqpay/api/v1/payments"},`+
			`{"name":"Events and webhooks","baseUrl":"/webhooks","example":"GET /webhooks/events"},`+
			`{"name":"Sandbox controls","baseUrl":"/sandbox","example":"POST /sandbox/payments/{id}/complete"}],`+
			`"pages":{"console":"/console/","wallet":"/wallet/","requests":"/r/","invoices":"/i/","invitations":"/e/",`+
			`"paymentLinks":"/gigstack/pay/","widgets":"/widget/"},`+
			`"rudiqpay":{"node_id":"`+demoRudiqNode+`","network_id":"`+demoRudiqNetwork+`","currency_id":"`+demoRudiqCurrency+`"}}`+"\n")
	})
	if err := seedRudiqPayRegistries(ctx, svc); err != nil {
		return nil, nil, fmt.Errorf("rudiqpay registries: %w", err)
	}
	if err := catchUpSandbox(ctx, svc, chain); err != nil {
		return nil, nil, fmt.Errorf("rudiqpay sandbox chain: %w", err)
	}
	if o.demo {
		if err := seedDemo(ctx, svc, o.demoKey); err != nil {
			return nil, nil, fmt.Errorf("seed demo: %w", err)
		}
		logger.Info("demo tenant ready", "tenant", demoTenantID, "api_key", o.demoKey,
			"business_account", demoBusinessAccount, "payee_account", demoPayeeAccount)
	}
	return svc, mux, nil
}

// seedDemo creates what the demo needs unless it exists. Each step is
// idempotent on its own, so a seed cut short by a crash completes on the next
// start, and running it again changes nothing.
func seedDemo(ctx context.Context, svc *paykit.Service, key string) error {
	if _, err := svc.CreateTenant(ctx, demoTenantID, "Demo"); err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}
	if _, err := svc.CreateAPIKey(ctx, demoTenantID, key); err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}

	// GigPay: a funded business account and a payee.
	_, err := svc.CreateAccount(ctx, demoTenantID, paykit.AccountCreate{ID: demoBusinessAccount, Currency: "USD",
		Name: "Demo business", BusinessAccountID: demoBusinessID})
	if err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}
	if err := fundDemo(ctx, svc, demoBusinessAccount, "10000.00"); err != nil {
		return err
	}
	_, err = svc.CreateAccount(ctx, demoTenantID, paykit.AccountCreate{ID: demoPayeeAccount, Currency: "USD",
		Name: "Demo payee", UserIdentityID: demoPayeeIdentityID})
	if err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}

	// Gigapay: the tenant is also its own web app integration.
	if _, err := svc.EnsureIntegration(ctx, demoTenantID, paykit.IntegrationCreate{Name: "Demo"}); err != nil {
		return err
	}

	// gigstack: a master team with split billing, its teams and clients.
	if err := seedGigstackDemo(ctx, svc); err != nil {
		return err
	}

	// RudiqPay: a root node and a shop under it, with its integration key.
	if err := seedRudiqPayDemo(ctx, svc); err != nil {
		return err
	}

	// Memento: callbacks are signed with the demo key already (CreateAPIKey
	// made it the signing key); the default country is the demo payer's, so
	// 4155551212 and 14155551212 find +14155551212.
	if _, err := svc.ConfigureMerchant(ctx, demoTenantID, paykit.MerchantSettings{DefaultCountryCode: demoCountryCode}); err != nil {
		return err
	}
	_, err = svc.RegisterPayer(ctx, demoTenantID, paykit.PayerCreate{Username: demoPayerUsername, Phone: demoPayerPhone,
		Currency: "USD", Balance: decimal.RequireFromString("1000.00")})
	if err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}
	return nil
}

// fundDemo deposits amount into an account that has never received money, and
// completes a deposit that a crash left processing.
func fundDemo(ctx context.Context, svc *paykit.Service, accountID, amount string) error {
	a, err := svc.FindAccountByID(ctx, demoTenantID, accountID)
	if err != nil {
		return err
	}
	if a.CreditsPosted == 0 && a.CreditsPending == 0 {
		if _, err := svc.CreateDeposit(ctx, demoTenantID, paykit.DepositCreate{DestinationAccountID: accountID,
			Amount: decimal.RequireFromString(amount), AssetType: "usd", ExternalStorage: "wire"}); err != nil {
			return err
		}
	}
	processing, deposit := paykit.PaymentStatusProcessing, paykit.PaymentTypeDeposit
	ps, err := svc.FindPayments(ctx, demoTenantID, paykit.PaymentFilter{AccountID: &accountID, Status: &processing, Type: &deposit})
	if err != nil {
		return err
	}
	for _, p := range ps {
		if _, err := svc.CompletePayment(ctx, demoTenantID, p.ID); err != nil {
			return err
		}
	}
	return nil
}
