// Command server is paykit's example server, on a SQLite file:
//
//	/gigpay/    GigPay payment tokens and payments      (Authorization: Bearer <key>)
//	/gigapay/   Gigapay v2 payouts                       (Authorization: Token <key> + Integration-ID)
//	/memento/   Memento payment requests                 (HTTP Basic, key as username)
//	/gigstack/  gigstack v2 payments, clients, webhooks   (Authorization: Bearer <key>)
//	/webhooks/  events, webhook endpoints, delivery log  (Authorization: Bearer <key>)
//	/sandbox/   what outside parties do: /sandbox/ (GigPay's rail), /sandbox/gigapay/, /sandbox/memento/,
//	            /sandbox/gigstack/
//
//	go run ./examples/server -demo
//
// With -demo it seeds, idempotently, a tenant "demo" whose API key is the value
// of -demo-key: a business account 3fa85f64-5717-4562-b3fc-2c963f66afa6 funded
// with 10000.00 USD and a payee account 4fa85f64-5717-4562-b3fc-2c963f66afa6
// (GigPay); the web app integration "demo" (Gigapay); and the Memento merchant
// settings, signing callbacks with the demo key, with a payer "demopayer" at
// +14155551212 holding 1000.00 USD; and the gigstack master team with its
// teams and clients (gigstack.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
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
	demoPayerUsername   = "demopayer"
	demoPayerPhone      = "+14155551212"
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
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dbPath := fs.String("db", "paykit.db", "SQLite database file")
	var o options
	fs.BoolVar(&o.demo, "demo", false, "seed a demo tenant, API key and funded accounts (idempotent)")
	fs.StringVar(&o.demoKey, "demo-key", "demo", "API key of the demo tenant (with -demo)")
	fs.StringVar(&o.walletEnv, "wallet-env", "stage", `GigPay wallet link environment ("" for production)`)
	if err := fs.Parse(args); err != nil {
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
	svc, mux, err := wire(ctx, db, clock.New(), logger, o)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workDone := make(chan error, 1)
	go func() { workDone <- svc.Run(workCtx) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", "addr", "http://"+ln.Addr().String(), "db", *dbPath)
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

// options are the example server's settings that shape the Service and the
// routes, from its flags.
type options struct {
	demo      bool   // seed the demo tenant
	demoKey   string // the demo tenant's API key
	walletEnv string // GigPay wallet link environment
}

// wire builds the example server's Service on db and clk, seeds the demo when
// asked, and mounts every dialect on one mux: the tests use it as run does.
func wire(ctx context.Context, db paykit.Store, clk clock.Clock, logger *slog.Logger, o options) (*paykit.Service, http.Handler, error) {
	svc := paykit.New(db, paykit.WithClock(clk), paykit.WithLogger(logger), paykit.WithWalletEnv(o.walletEnv),
		paykit.WithExchangeRates(demoRates))
	mux := http.NewServeMux()
	mux.Handle("/gigpay/", http.StripPrefix("/gigpay", httpapi.NewGigPay(svc)))
	mux.Handle("/gigapay/", http.StripPrefix("/gigapay", httpapi.NewGigapay(svc)))
	mux.Handle("/memento/", http.StripPrefix("/memento", httpapi.NewMemento(svc)))
	mux.Handle("/gigstack/", http.StripPrefix("/gigstack", httpapi.NewGigstack(svc)))
	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", httpapi.NewEvents(svc, httpapi.BearerAuth(svc))))
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", httpapi.NewSandbox(svc)))
	mux.Handle("/sandbox/gigapay/", http.StripPrefix("/sandbox/gigapay", httpapi.NewGigapaySandbox(svc)))
	mux.Handle("/sandbox/memento/", http.StripPrefix("/sandbox/memento", httpapi.NewMementoSandbox(svc)))
	mux.Handle("/sandbox/gigstack/", http.StripPrefix("/sandbox/gigstack", httpapi.NewGigstackSandbox(svc)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"apis":[`+
			`{"name":"GigPay","baseUrl":"/gigpay","example":"POST /gigpay/api/v1/payment-tokens"},`+
			`{"name":"Gigapay v2","baseUrl":"/gigapay","example":"GET /gigapay/v2/payouts/"},`+
			`{"name":"Memento","baseUrl":"/memento","example":"POST /memento/v1/requests"},`+
			`{"name":"gigstack v2","baseUrl":"/gigstack","example":"POST /gigstack/v2/payments"},`+
			`{"name":"Events and webhooks","baseUrl":"/webhooks","example":"GET /webhooks/events"},`+
			`{"name":"Sandbox controls","baseUrl":"/sandbox","example":"POST /sandbox/payments/{id}/complete"}]}`+"\n")
	})
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
		Name: "Demo business", BusinessAccountID: "demo-business"})
	if err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}
	if err := fundDemo(ctx, svc, demoBusinessAccount, "10000.00"); err != nil {
		return err
	}
	_, err = svc.CreateAccount(ctx, demoTenantID, paykit.AccountCreate{ID: demoPayeeAccount, Currency: "USD",
		Name: "Demo payee", UserIdentityID: "demo-payee"})
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

	// Memento: callbacks signed with the demo key, and a payer to ask.
	if _, err := svc.ConfigureMerchant(ctx, demoTenantID, paykit.MerchantSettings{SigningKey: key}); err != nil {
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
