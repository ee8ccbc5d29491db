package paykit

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"
)

// The payer's widget of a web3 payment: the access token that opens it, and
// what it shows.

// accessTokenPurpose binds a sealed access token to its payment (sealing.go):
// moved to another payment or tenant, it does not open.
func accessTokenPurpose(p *Web3Payment) string {
	return "web3payment access token " + p.TenantID + " " + p.ID
}

// withAccessToken returns p with its AccessToken opened from the stored form,
// reading the stored form when p lacks it.
func (s *Service) withAccessToken(ctx context.Context, p *Web3Payment) (*Web3Payment, error) {
	if p.AccessTokenSealed == "" {
		stored, err := s.store.FindWeb3PaymentByID(ctx, p.TenantID, p.ID)
		if err != nil {
			return nil, err
		}
		p.AccessTokenSealed, p.AccessTokenHash = stored.AccessTokenSealed, stored.AccessTokenHash
	}
	token, err := s.open(accessTokenPurpose(p), p.AccessTokenSealed)
	if err != nil {
		return nil, fmt.Errorf("payment %s: %w", p.ID, err)
	}
	p.AccessToken = token
	return p, nil
}

// Web3Widget is what the payer's widget needs to pay a payment: the payment,
// its network and currency, and for web3 the call the payer's wallet makes
// (approve Call.Token for Call.Amount to Call.Contract, then
// Call.Function(Call.Values()...) on it), with the contract's ABI.
type Web3Widget struct {
	Payment  *Web3Payment
	Network  *Network
	Currency *ChainCurrency
	Contract string       // the escrow contract's address: diamond_address (web3 only)
	ABI      string       // its ABI, as JSON (web3 only)
	Call     *DepositCall // nil unless web3
}

// AuthenticateWidget returns the payment id whose access token is token, with
// what its widget shows. Returns EUNAUTHORIZED when the token is not that
// payment's, or when the payment's ExpiresAt has passed (the token expires
// with the payment).
func (s *Service) AuthenticateWidget(ctx context.Context, id, token string) (*Web3Widget, error) {
	if token == "" {
		return nil, Errorf(EUNAUTHORIZED, "An access token is required.")
	}
	h := sha256.Sum256([]byte(token))
	p, err := s.store.FindWeb3PaymentByAccessToken(ctx, h[:])
	if ErrorCode(err) == ENOTFOUND || (err == nil && p.ID != id) {
		return nil, Errorf(EUNAUTHORIZED, "Invalid access token.")
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	if !now.Before(p.ExpiresAt) {
		return nil, Errorf(EUNAUTHORIZED, "The access token expired at %s.", p.ExpiresAt.Format(time.RFC3339))
	}
	if p, err = s.withAccessToken(ctx, p.asOf(now)); err != nil {
		return nil, err
	}
	w := &Web3Widget{Payment: p}
	if w.Network, err = s.store.FindNetworkByID(ctx, p.NetworkID); err != nil {
		return nil, err
	}
	if w.Currency, err = s.store.FindChainCurrencyByID(ctx, p.CurrencyID); err != nil {
		return nil, err
	}
	if p.Method != Web3PaymentMethodWeb3 {
		return w, nil
	}
	c, ch, err := s.chainOf(ctx, s.store, w.Network)
	if err != nil {
		return nil, fmt.Errorf("widget of payment %s: %w", p.ID, err)
	}
	d, err := p.deal(w.Currency)
	if err != nil {
		return nil, err
	}
	call := ch.DepositCall(d)
	w.Contract, w.ABI, w.Call = c.Address, ch.Info().ABI, &call
	return w, nil
}

// deal returns the deal of a web3 payment: its PaidPrice in the token's base
// units, to its PaymentAddress, until its ExpiresAt (in whole seconds, as the
// contract keeps it, so the chain refuses deposits at most a second early).
func (p *Web3Payment) deal(cur *ChainCurrency) (Deal, error) {
	price, err := BaseUnits("paidPrice", p.PaidPrice.Amount, cur.Decimals)
	if err != nil {
		return Deal{}, err
	}
	return Deal{ID: p.DealID, Token: cur.TokenAddress, Price: price, Payee: p.PaymentAddress,
		ExpiresAt: p.ExpiresAt.Truncate(time.Second)}, nil
}
