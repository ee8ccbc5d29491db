package paykit_test

import (
	"context"
	"fmt"
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
func Example() {
	dir, _ := os.MkdirTemp("", "paykit-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "paykit.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	mock := clock.NewMock()
	svc := paykit.New(db, paykit.WithClock(mock), paykit.WithWalletEnv("stage"))
	ctx := context.Background()

	biz, _ := svc.CreateTenant(ctx, "", "Acme Gigs")
	payer, _ := svc.CreateAccount(ctx, biz.ID, paykit.AccountCreate{Currency: "USD", BusinessAccountID: "acme"})
	payee, _ := svc.CreateAccount(ctx, biz.ID, paykit.AccountCreate{Currency: "USD", UserIdentityID: "ada"})
	dep, _ := svc.CreateDeposit(ctx, biz.ID, paykit.DepositCreate{DestinationAccountID: payer.ID, Amount: decimal.RequireFromString("100"), AssetType: "usd"})
	svc.CompletePayment(ctx, biz.ID, dep.ID) // the wire arrived

	expires := mock.Now().Add(24 * time.Hour)
	tok, err := svc.CreateToken(ctx, biz.ID, paykit.TokenCreate{AssetType: "usd", SourceAccountID: payer.ID,
		Amount: decimal.RequireFromString("12.50"), ExpiresAt: &expires, Memo: "Logo design"})
	if err != nil {
		panic(err)
	}
	a, _ := svc.FindAccountByID(ctx, biz.ID, payer.ID)
	fmt.Println("token", tok.Status, "payer available", a.Available().Fixed())

	acc, _ := svc.AcceptToken(ctx, biz.ID, tok.Token, payee.ID)
	fmt.Println("payment", acc.Payment.Type, acc.Payment.Status)
	svc.RunDue(ctx) // hands the transfer to the rail
	svc.CompletePayment(ctx, biz.ID, acc.Payment.ID)

	tok, _ = svc.FindTokenByID(ctx, biz.ID, tok.ID)
	b, _ := svc.FindAccountByID(ctx, biz.ID, payee.ID)
	fmt.Println("token", tok.Status, "payee balance", b.Balance().Fixed())
	// Output:
	// token active payer available 87.50
	// payment transfer processing
	// token succeeded payee balance 12.50
}
