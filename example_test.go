package paykit_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
)

// Example shows the GigPay flow in process: a business funds an account, offers
// a payment token, a payee accepts it, and the rail completes the transfer.
// Every error is checked: in a payments flow, none may be dropped.
func Example() {
	dir, err := os.MkdirTemp("", "paykit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			log.Fatal(err)
		}
	}()
	db, err := store.Open(filepath.Join(dir, "paykit.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Fatal(err)
		}
	}()
	mock := clock.NewMock()
	svc := paykit.New(db, paykit.WithClock(mock), paykit.WithWalletEnv("stage"))
	ctx := context.Background()

	biz, err := svc.CreateTenant(ctx, "", "Acme Gigs")
	if err != nil {
		log.Fatal(err)
	}
	payer, err := svc.CreateAccount(ctx, biz.ID, paykit.AccountCreate{Currency: "USD", BusinessAccountID: "acme"})
	if err != nil {
		log.Fatal(err)
	}
	payee, err := svc.CreateAccount(ctx, biz.ID, paykit.AccountCreate{Currency: "USD", UserIdentityID: "ada"})
	if err != nil {
		log.Fatal(err)
	}
	dep, err := svc.CreateDeposit(ctx, biz.ID, paykit.DepositCreate{DestinationAccountID: payer.ID,
		Amount: decimal.RequireFromString("100"), AssetType: "usd"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := svc.CompletePayment(ctx, biz.ID, dep.ID); err != nil { // the wire arrived
		log.Fatal(err)
	}

	expires := mock.Now().Add(24 * time.Hour)
	tok, err := svc.CreateToken(ctx, biz.ID, paykit.TokenCreate{AssetType: "usd", SourceAccountID: payer.ID,
		Amount: decimal.RequireFromString("12.50"), ExpiresAt: &expires, Memo: "Logo design"})
	if err != nil {
		log.Fatal(err)
	}
	a, err := svc.FindAccountByID(ctx, biz.ID, payer.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token", tok.Status, "payer available", a.Available().Fixed())

	acc, err := svc.AcceptToken(ctx, biz.ID, tok.Token, payee.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("payment", acc.Payment.Type, acc.Payment.Status)
	if err := svc.RunDue(ctx); err != nil { // hands the transfer to the rail
		log.Fatal(err)
	}
	if _, err := svc.CompletePayment(ctx, biz.ID, acc.Payment.ID); err != nil {
		log.Fatal(err)
	}

	tok, err = svc.FindTokenByID(ctx, biz.ID, tok.ID)
	if err != nil {
		log.Fatal(err)
	}
	b, err := svc.FindAccountByID(ctx, biz.ID, payee.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token", tok.Status, "payee balance", b.Balance().Fixed())

	// The ledger balances, and every token, payment and transfer agree.
	if err := svc.CheckInvariants(ctx, biz.ID); err != nil {
		log.Fatal(err)
	}
	// Output:
	// token active payer available 87.50
	// payment transfer processing
	// token succeeded payee balance 12.50
}
