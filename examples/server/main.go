// Command server is paykit's example server: the GigPay API at /gigpay/ and its
// sandbox controls at /sandbox/, on a SQLite file.
//
//	go run ./examples/server -demo
//
// With -demo it seeds, idempotently, a tenant "demo" whose API key is the value
// of -demo-key, a business account 3fa85f64-5717-4562-b3fc-2c963f66afa6 funded
// with 10000.00 USD and a payee account 4fa85f64-5717-4562-b3fc-2c963f66afa6.
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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down within a few seconds.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dbPath := fs.String("db", "paykit.db", "SQLite database file")
	demo := fs.Bool("demo", false, "seed a demo tenant, API key and funded accounts (idempotent)")
	demoKey := fs.String("demo-key", "demo", "API key of the demo tenant (with -demo)")
	walletEnv := fs.String("wallet-env", "stage", `GigPay wallet link environment ("" for production)`)
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
	svc := paykit.New(db, paykit.WithLogger(logger), paykit.WithWalletEnv(*walletEnv))

	if *demo {
		if err := seedDemo(ctx, svc, *demoKey); err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		logger.Info("demo tenant ready", "tenant", demoTenantID, "api_key", *demoKey,
			"business_account", demoBusinessAccount, "payee_account", demoPayeeAccount)
	}

	mux := http.NewServeMux()
	mux.Handle("/gigpay/", http.StripPrefix("/gigpay", httpapi.NewGigPay(svc)))
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", httpapi.NewSandbox(svc)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"apis":[`+
			`{"name":"GigPay","baseUrl":"/gigpay","example":"POST /gigpay/api/v1/payment-tokens"},`+
			`{"name":"Sandbox controls","baseUrl":"/sandbox","example":"POST /sandbox/payments/{id}/complete"}]}`+"\n")
	})

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

// seedDemo creates the demo tenant, its API key and its two accounts unless
// they exist; the business account is funded only when it is first created.
func seedDemo(ctx context.Context, svc *paykit.Service, key string) error {
	if _, err := svc.CreateTenant(ctx, demoTenantID, "Demo"); err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}
	if _, err := svc.CreateAPIKey(ctx, demoTenantID, key); err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}
	_, err := svc.CreateAccount(ctx, demoTenantID, paykit.AccountCreate{ID: demoBusinessAccount, Currency: "USD",
		Name: "Demo business", BusinessAccountID: "demo-business"})
	switch paykit.ErrorCode(err) {
	case "":
		p, err := svc.CreateDeposit(ctx, demoTenantID, paykit.DepositCreate{DestinationAccountID: demoBusinessAccount,
			Amount: decimal.RequireFromString("10000.00"), AssetType: "usd", ExternalStorage: "wire"})
		if err != nil {
			return err
		}
		if _, err := svc.CompletePayment(ctx, demoTenantID, p.ID); err != nil {
			return err
		}
	case paykit.ECONFLICT:
	default:
		return err
	}
	_, err = svc.CreateAccount(ctx, demoTenantID, paykit.AccountCreate{ID: demoPayeeAccount, Currency: "USD",
		Name: "Demo payee", UserIdentityID: "demo-payee"})
	if err != nil && paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}
	return nil
}
