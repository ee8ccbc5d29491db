// Command embed uses paykit as a library, without HTTP: a business pays a gig
// worker through a payment token, and a webhook endpoint of the host app's
// hears about it, signed with the Standard Webhooks scheme.
//
//	go run ./examples/embed
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/signing"
	"github.com/paykit/paykit/store"
)

func main() {
	dir, err := os.MkdirTemp("", "paykit-embed")
	check(err)
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "paykit.db"))
	check(err)
	defer db.Close()
	// The receiver below is on this machine, which a Service refuses to post
	// to unless told (a tenant's webhook must not reach the host's network).
	svc := paykit.New(db, paykit.WithWalletEnv("stage"), paykit.WithPrivateDestinations())
	ctx := context.Background()

	// The host app's own webhook receiver, verifying what paykit sends.
	var secret string
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		err = signing.VerifyStandard(r.Header, body, secret, time.Now(), 0)
		fmt.Printf("webhook %s %s: signature ok=%v\n", r.Header.Get(signing.StandardIDHeader)[:8], body[:40], err == nil)
	}))
	defer hooks.Close()

	biz, err := svc.CreateTenant(ctx, "", "Acme Gigs")
	check(err)
	ep, err := svc.CreateEndpoint(ctx, biz.ID, paykit.EndpointCreate{URL: hooks.URL, Scheme: paykit.SchemeStandard,
		Events: []string{paykit.EventTokenSucceeded}})
	check(err)
	secret = ep.Secret

	payer, err := svc.CreateAccount(ctx, biz.ID, paykit.AccountCreate{Currency: "USD", BusinessAccountID: "acme"})
	check(err)
	worker, err := svc.CreateAccount(ctx, biz.ID, paykit.AccountCreate{Currency: "USD", UserIdentityID: "ada"})
	check(err)
	dep, err := svc.CreateDeposit(ctx, biz.ID, paykit.DepositCreate{DestinationAccountID: payer.ID,
		Amount: decimal.RequireFromString("250.00"), AssetType: "usd", ExternalStorage: "wire"})
	check(err)
	_, err = svc.CompletePayment(ctx, biz.ID, dep.ID)
	check(err)

	tok, err := svc.CreateToken(paykit.WithIdempotencyKey(ctx, "gig-1042"), biz.ID, paykit.TokenCreate{
		AssetType: "usd", SourceAccountID: payer.ID, Amount: decimal.RequireFromString("80.00"), Memo: "Moving help"})
	check(err)
	fmt.Println("send the worker:", svc.WalletLink(tok))

	acc, err := svc.AcceptToken(ctx, biz.ID, tok.Token, worker.ID)
	check(err)
	check(svc.RunDue(ctx)) // the transfer goes to the rail
	_, err = svc.CompletePayment(ctx, biz.ID, acc.Payment.ID)
	check(err)
	check(svc.RunDue(ctx)) // token.succeeded is delivered

	w, err := svc.FindAccountByID(ctx, biz.ID, worker.ID)
	check(err)
	fmt.Println("worker balance:", w.Balance())
	check(svc.CheckLedger(ctx, biz.ID))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
