package sandbox_test

import (
	"context"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/shopspring/decimal"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/chain/sandbox"
)

// A web3 payment's life on the sandbox chain, as the Service lives it: open
// the deal, hand the payer the call, read the confirmed events by cursor.
func Example() {
	ctx := context.Background()
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	var chain paykit.Chain = sandbox.New(sandbox.WithClock(clk))

	price, _ := paykit.BaseUnits("price", decimal.RequireFromString("12.50"), 6) // USDT has 6 decimals
	deal := paykit.Deal{ID: 42, Token: "0x00000000000000000000000000000000000000a1", Price: price,
		Payee: "0x00000000000000000000000000000000000000b2", ExpiresAt: clk.Now().Add(time.Hour)}
	if _, err := chain.CreateDeal(ctx, deal); err != nil {
		panic(err)
	}

	call := chain.DepositCall(deal) // what the widget hands the payer's wallet
	fmt.Println(call.Function, call.Values(), "approve", call.Amount, "on", call.Token)

	// The payer's wallet pays (a sandbox control).
	payer := "0x00000000000000000000000000000000000000c3"
	if _, err := chain.(*sandbox.Chain).Deposit(payer, call.Values()...); err != nil {
		panic(err)
	}

	cursor := "" // stored by the Service with the events' effects
	page, err := chain.Events(ctx, cursor)
	if err != nil {
		panic(err)
	}
	for _, e := range page.Events {
		switch e.Type {
		case paykit.ChainEventDealCreated:
			fmt.Println(e.Type, e.DealID, "price", paykit.FromBaseUnits(e.Amount, 6))
		case paykit.ChainEventDeposited:
			fmt.Println(e.Type, e.DealID, paykit.FromBaseUnits(e.Amount, 6), "by", e.Payer, "in", e.TxHash[:10]+"…")
		}
	}
	fmt.Println("next cursor", page.Cursor)
	// Output:
	// deposit [42 12500000] approve 12500000 on 0x00000000000000000000000000000000000000a1
	// deal_created 42 price 12.5
	// deposited 42 12.5 by 0x00000000000000000000000000000000000000c3 in 0x48843350…
	// next cursor 3
}
