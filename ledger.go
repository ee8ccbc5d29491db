package paykit

import (
	"context"
	"fmt"
	"time"
)

// AccountKind says who owns an account and whether it may go negative.
type AccountKind string

// Account kinds. Only external accounts (the world outside paykit: banks, rails,
// chains) may go below zero; every other balance is guarded.
const (
	AccountKindBusiness AccountKind = "business"
	AccountKindUser     AccountKind = "user"
	AccountKindSystem   AccountKind = "system"
	AccountKindExternal AccountKind = "external"
)

// System account codes, one account per tenant and currency each.
const (
	accountCodeWorld    = "world"    // external: money entering or leaving paykit
	accountCodeClearing = "clearing" // holds token reservations until a payee is known
)

// EventAccountCreated fires when an account is opened, by a caller or
// on demand for a payer, a merchant or the system.
const EventAccountCreated = "account.created"

// Account is a ledger account in one currency, modelled on TigerBeetle: it carries
// posted and pending debits and credits in minor units. Balances are
// credit-normal: Balance = credits posted − debits posted.
type Account struct {
	ID                string      `json:"id"`
	TenantID          string      `json:"tenantId"`
	Kind              AccountKind `json:"kind"`
	Currency          Currency    `json:"currency"`
	Code              string      `json:"code,omitempty"` // unique per tenant and currency for system accounts
	Name              string      `json:"name,omitempty"`
	BusinessAccountID string      `json:"businessAccountId,omitempty"`
	UserIdentityID    string      `json:"userIdentityId,omitempty"`
	ExternalStorage   string      `json:"externalStorage,omitempty"`
	DebitsPending     int64       `json:"debitsPending"`
	DebitsPosted      int64       `json:"debitsPosted"`
	CreditsPending    int64       `json:"creditsPending"`
	CreditsPosted     int64       `json:"creditsPosted"`
	CreatedAt         time.Time   `json:"createdAt"`
	UpdatedAt         time.Time   `json:"updatedAt"`
}

// AllowsNegative reports whether the account may be overdrawn.
func (a *Account) AllowsNegative() bool { return a.Kind == AccountKindExternal }

// Balance is the posted balance.
func (a *Account) Balance() Money { return MoneyFromMinor(a.CreditsPosted-a.DebitsPosted, a.Currency) }

// Available is what the owner may still spend: the posted balance less the
// outgoing reservations.
func (a *Account) Available() Money {
	return MoneyFromMinor(a.CreditsPosted-a.DebitsPosted-a.DebitsPending, a.Currency)
}

// Incoming is the sum of pending credits: money on its way in.
func (a *Account) Incoming() Money { return MoneyFromMinor(a.CreditsPending, a.Currency) }

// Reserved is the sum of pending debits: money held for tokens and withdrawals.
func (a *Account) Reserved() Money { return MoneyFromMinor(a.DebitsPending, a.Currency) }

// BalanceDelta is an increment to an account's four balance columns.
type BalanceDelta struct {
	DebitsPending, DebitsPosted, CreditsPending, CreditsPosted int64
}

// TransferStatus is the phase of a ledger transfer.
type TransferStatus string

// Transfer statuses: a single-phase transfer is created posted; a two-phase one is
// created pending and later posted or voided, once.
const (
	TransferStatusPending TransferStatus = "pending"
	TransferStatusPosted  TransferStatus = "posted"
	TransferStatusVoided  TransferStatus = "voided"
)

// Transfer moves Amount minor units from DebitAccountID to CreditAccountID.
type Transfer struct {
	ID              string         `json:"id"`
	TenantID        string         `json:"tenantId"`
	DebitAccountID  string         `json:"debitAccountId"`
	CreditAccountID string         `json:"creditAccountId"`
	Amount          int64          `json:"amount"`
	Currency        Currency       `json:"currency"`
	Status          TransferStatus `json:"status"`
	Kind            string         `json:"kind"` // why: "token_reservation", "payment", ...
	Ref             string         `json:"ref"`  // the id of the thing that caused it
	CreatedAt       time.Time      `json:"createdAt"`
	UpdatedAt       time.Time      `json:"updatedAt"`
}

// AccountCreate is the input of CreateAccount.
type AccountCreate struct {
	ID                string // optional; a new UUID when empty
	Currency          string
	Name              string
	BusinessAccountID string // exactly one of BusinessAccountID and UserIdentityID
	UserIdentityID    string
}

// AccountFilter selects accounts; nil fields match all.
type AccountFilter struct {
	Currency          *Currency
	Kind              *AccountKind
	BusinessAccountID *string
	UserIdentityID    *string
	After             string // keyset cursor: the last ID of the previous page
	Limit             int
}

// CreateAccount opens a business or user account. Returns EINVALID for an unknown
// currency or a missing or double owner.
func (s *Service) CreateAccount(ctx context.Context, tenantID string, in AccountCreate) (*Account, error) {
	var v Validation
	c, err := ParseCurrency("currency", in.Currency)
	if err != nil {
		v.Add("currency", ErrorMessage(err))
	}
	if in.ID != "" {
		if err := checkClientID("id", in.ID); err != nil {
			v.Add("id", ErrorMessage(err))
		}
	}
	a := &Account{ID: orDefault(in.ID, newID()), TenantID: tenantID, Currency: c, Name: in.Name,
		BusinessAccountID: in.BusinessAccountID, UserIdentityID: in.UserIdentityID}
	switch {
	case in.BusinessAccountID != "" && in.UserIdentityID != "":
		v.Add("userIdentityId", "Give either businessAccountId or userIdentityId, not both.")
	case in.BusinessAccountID != "":
		a.Kind = AccountKindBusiness
	case in.UserIdentityID != "":
		a.Kind = AccountKindUser
	default:
		v.Add("businessAccountId", "Give either businessAccountId or userIdentityId.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return write(ctx, s, tenantID, "account.create", in, func(tx Tx, now time.Time) (*Account, error) {
		a.CreatedAt, a.UpdatedAt = now, now
		if err := tx.CreateAccount(ctx, a); err != nil {
			return nil, err
		}
		return a, s.appendEvent(ctx, tx, now, tenantID, EventAccountCreated, a.ID, a)
	})
}

// FindAccountByID returns one of the tenant's accounts. Returns ENOTFOUND.
func (s *Service) FindAccountByID(ctx context.Context, tenantID, id string) (*Account, error) {
	return s.store.FindAccountByID(ctx, tenantID, id)
}

// FindAccounts lists the tenant's accounts in creation order.
func (s *Service) FindAccounts(ctx context.Context, tenantID string, f AccountFilter) ([]*Account, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindAccounts(ctx, tenantID, f)
}

// systemAccount returns the tenant's system account with code in currency c,
// opening it on first use.
func (s *Service) systemAccount(ctx context.Context, tx Tx, now time.Time, tenantID, code string, c Currency) (*Account, error) {
	a, err := tx.FindAccountByCode(ctx, tenantID, code, c)
	if ErrorCode(err) != ENOTFOUND {
		return a, err
	}
	kind := AccountKindSystem
	if code == accountCodeWorld {
		kind = AccountKindExternal
	}
	a = &Account{ID: newID(), TenantID: tenantID, Kind: kind, Currency: c, Code: code, Name: code,
		CreatedAt: now, UpdatedAt: now}
	return a, tx.CreateAccount(ctx, a)
}

// spendableAccount loads an account that may be debited by the tenant's requests.
func spendableAccount(ctx context.Context, tx Tx, tenantID, field, id string) (*Account, error) {
	a, err := tx.FindAccountByID(ctx, tenantID, id)
	if ErrorCode(err) == ENOTFOUND {
		return nil, invalid(field, "Account %q does not exist.", id)
	} else if err != nil {
		return nil, err
	}
	if a.Kind != AccountKindBusiness && a.Kind != AccountKindUser {
		return nil, invalid(field, "Account %q is not a business or user account.", id)
	}
	return a, nil
}

// transfer records t (pending or posted) and moves the balances, refusing to take
// a guarded account below zero: a pending debit counts against the available
// balance at once. debit and credit are the transfer's accounts as loaded in this
// transaction, after any earlier change to them in it. Returns ECONFLICT on
// insufficient funds.
func (s *Service) transfer(ctx context.Context, tx Tx, now time.Time, t *Transfer, debit, credit *Account) error {
	if t.Amount <= 0 {
		return fmt.Errorf("transfer %s: non-positive amount %d", t.Kind, t.Amount)
	}
	if debit.ID == credit.ID {
		return fmt.Errorf("transfer %s: debit and credit are both %s", t.Kind, debit.ID)
	}
	if debit.Currency != t.Currency || credit.Currency != t.Currency {
		return Errorf(EINVALID, "Accounts must both be in %s.", t.Currency)
	}
	if !debit.AllowsNegative() && debit.CreditsPosted-debit.DebitsPosted-debit.DebitsPending < t.Amount {
		return Errorf(ECONFLICT, "Insufficient funds in account %s.", debit.ID)
	}
	if t.ID == "" {
		t.ID = newID()
	}
	t.TenantID, t.DebitAccountID, t.CreditAccountID = debit.TenantID, debit.ID, credit.ID
	t.CreatedAt, t.UpdatedAt = now, now
	if err := tx.CreateTransfer(ctx, t); err != nil {
		return err
	}
	var dd, cd BalanceDelta
	switch t.Status {
	case TransferStatusPending:
		dd.DebitsPending, cd.CreditsPending = t.Amount, t.Amount
	case TransferStatusPosted:
		dd.DebitsPosted, cd.CreditsPosted = t.Amount, t.Amount
	default:
		return fmt.Errorf("transfer %s: cannot create in status %q", t.Kind, t.Status)
	}
	if err := tx.UpdateAccountBalances(ctx, t.TenantID, debit.ID, dd, now); err != nil {
		return err
	}
	if err := tx.UpdateAccountBalances(ctx, t.TenantID, credit.ID, cd, now); err != nil {
		return err
	}
	debit.apply(dd, now)
	credit.apply(cd, now)
	return nil
}

// apply mirrors a balance change already written to the store, so a caller may
// keep using the account in the same transaction.
func (a *Account) apply(d BalanceDelta, now time.Time) {
	a.DebitsPending += d.DebitsPending
	a.DebitsPosted += d.DebitsPosted
	a.CreditsPending += d.CreditsPending
	a.CreditsPosted += d.CreditsPosted
	a.UpdatedAt = now
}

// settleTransfer posts or voids a pending transfer, exactly once.
func (s *Service) settleTransfer(ctx context.Context, tx Tx, now time.Time, tenantID, id string, to TransferStatus) error {
	if to != TransferStatusPosted && to != TransferStatusVoided {
		return fmt.Errorf("settle transfer %s: bad status %q", id, to)
	}
	t, err := tx.SettleTransfer(ctx, tenantID, id, to, now)
	if ErrorCode(err) == ENOTFOUND {
		return fmt.Errorf("settle transfer %s: %w", id, err)
	} else if err != nil {
		return err
	}
	dd := BalanceDelta{DebitsPending: -t.Amount}
	cd := BalanceDelta{CreditsPending: -t.Amount}
	if to == TransferStatusPosted {
		dd.DebitsPosted, cd.CreditsPosted = t.Amount, t.Amount
	}
	if err := tx.UpdateAccountBalances(ctx, tenantID, t.DebitAccountID, dd, now); err != nil {
		return err
	}
	return tx.UpdateAccountBalances(ctx, tenantID, t.CreditAccountID, cd, now)
}

// passReservation voids the pending transfer id and records t, pending, for
// the same amount from the same debit account to credit: the reservation
// passes from one transfer to the other in one step. The funds are never free
// in between, and the debit account's balances, which end where they began,
// are not written. credit is as loaded in this transaction, and is kept
// current.
func (s *Service) passReservation(ctx context.Context, tx Tx, now time.Time, tenantID, id string, t *Transfer, credit *Account) error {
	if t.Status != TransferStatusPending {
		return fmt.Errorf("pass reservation %s: cannot create in status %q", id, t.Status)
	} else if credit.Currency != t.Currency {
		return Errorf(EINVALID, "Accounts must both be in %s.", t.Currency)
	}
	old, err := tx.SettleTransfer(ctx, tenantID, id, TransferStatusVoided, now)
	if ErrorCode(err) == ENOTFOUND {
		return fmt.Errorf("pass reservation %s: %w", id, err)
	} else if err != nil {
		return err
	}
	// The caller's transaction rolls the void back with the error.
	switch {
	case old.Amount != t.Amount || old.Currency != t.Currency:
		return fmt.Errorf("pass reservation %s: it holds %d %s, not %d %s", id, old.Amount, old.Currency, t.Amount, t.Currency)
	case credit.ID == old.DebitAccountID:
		return fmt.Errorf("pass reservation %s: debit and credit are both %s", id, credit.ID)
	}
	if t.ID == "" {
		t.ID = newID()
	}
	t.TenantID, t.DebitAccountID, t.CreditAccountID = tenantID, old.DebitAccountID, credit.ID
	t.CreatedAt, t.UpdatedAt = now, now
	if err := tx.CreateTransfer(ctx, t); err != nil {
		return err
	}
	if err := tx.UpdateAccountBalances(ctx, tenantID, old.CreditAccountID, BalanceDelta{CreditsPending: -t.Amount}, now); err != nil {
		return err
	}
	cd := BalanceDelta{CreditsPending: t.Amount}
	if err := tx.UpdateAccountBalances(ctx, tenantID, credit.ID, cd, now); err != nil {
		return err
	}
	credit.apply(cd, now)
	return nil
}

// CheckLedger verifies the tenant's ledger: every account's balance columns equal
// the sums of its transfers, no guarded account is overdrawn, and in each
// currency all accounts sum to zero, posted and pending alike. It returns an
// EINTERNAL *Error naming the breaches (see CheckInvariants, which checks this
// and more).
func (s *Service) CheckLedger(ctx context.Context, tenantID string) error {
	var b breaches
	if err := s.checkLedger(ctx, tenantID, &b); err != nil {
		return fmt.Errorf("check ledger of tenant %s: %w", tenantID, err)
	}
	return b.err(tenantID)
}

// LedgerStore reads accounts and transfers.
type LedgerStore interface {
	FindAccountByID(ctx context.Context, tenantID, id string) (*Account, error)
	// FindAccountByCode finds a system account by its code and currency.
	FindAccountByCode(ctx context.Context, tenantID, code string, c Currency) (*Account, error)
	FindAccounts(ctx context.Context, tenantID string, f AccountFilter) ([]*Account, error)
	FindTransferByID(ctx context.Context, tenantID, id string) (*Transfer, error)
	// LedgerSums returns the tenant's accounts and, per account ID, the balance
	// columns recomputed from its transfers (pending ones as pending, posted ones as
	// posted, voided ones not at all).
	LedgerSums(ctx context.Context, tenantID string) ([]*Account, map[string]BalanceDelta, error)
}

// LedgerTx writes accounts and transfers.
type LedgerTx interface {
	CreateAccount(ctx context.Context, a *Account) error
	UpdateAccountBalances(ctx context.Context, tenantID, id string, d BalanceDelta, now time.Time) error
	CreateTransfer(ctx context.Context, t *Transfer) error
	// SettleTransfer moves a pending transfer to status to (posted or
	// voided), with UpdatedAt now, and returns it as it is then. It returns
	// ENOTFOUND for no such transfer, and ECONFLICT, changing nothing, for
	// one that is no longer pending.
	SettleTransfer(ctx context.Context, tenantID, id string, to TransferStatus, now time.Time) (*Transfer, error)
}
