package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paykit/paykit"
)

const accountColumns = `id, tenant_id, kind, currency, code, name, business_account_id, user_identity_id,
	external_storage, debits_pending, debits_posted, credits_pending, credits_posted, created_at, updated_at`

type accountRow struct {
	ID                string `db:"id"`
	TenantID          string `db:"tenant_id"`
	Kind              string `db:"kind"`
	Currency          string `db:"currency"`
	Code              string `db:"code"`
	Name              string `db:"name"`
	BusinessAccountID string `db:"business_account_id"`
	UserIdentityID    string `db:"user_identity_id"`
	ExternalStorage   string `db:"external_storage"`
	DebitsPending     int64  `db:"debits_pending"`
	DebitsPosted      int64  `db:"debits_posted"`
	CreditsPending    int64  `db:"credits_pending"`
	CreditsPosted     int64  `db:"credits_posted"`
	CreatedAt         int64  `db:"created_at"`
	UpdatedAt         int64  `db:"updated_at"`
}

func (r *accountRow) account() *paykit.Account {
	return &paykit.Account{
		ID: r.ID, TenantID: r.TenantID, Kind: paykit.AccountKind(r.Kind), Currency: paykit.Currency(r.Currency),
		Code: r.Code, Name: r.Name, BusinessAccountID: r.BusinessAccountID, UserIdentityID: r.UserIdentityID,
		ExternalStorage: r.ExternalStorage,
		DebitsPending:   r.DebitsPending, DebitsPosted: r.DebitsPosted,
		CreditsPending: r.CreditsPending, CreditsPosted: r.CreditsPosted,
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
}

const transferColumns = `id, tenant_id, debit_account_id, credit_account_id, amount, currency, status, kind, ref,
	created_at, updated_at`

type transferRow struct {
	ID              string `db:"id"`
	TenantID        string `db:"tenant_id"`
	DebitAccountID  string `db:"debit_account_id"`
	CreditAccountID string `db:"credit_account_id"`
	Amount          int64  `db:"amount"`
	Currency        string `db:"currency"`
	Status          string `db:"status"`
	Kind            string `db:"kind"`
	Ref             string `db:"ref"`
	CreatedAt       int64  `db:"created_at"`
	UpdatedAt       int64  `db:"updated_at"`
}

func (r *transferRow) transfer() *paykit.Transfer {
	return &paykit.Transfer{
		ID: r.ID, TenantID: r.TenantID, DebitAccountID: r.DebitAccountID, CreditAccountID: r.CreditAccountID,
		Amount: r.Amount, Currency: paykit.Currency(r.Currency), Status: paykit.TransferStatus(r.Status),
		Kind: r.Kind, Ref: r.Ref, CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
}

func (t *tx) CreateAccount(ctx context.Context, a *paykit.Account) error {
	return t.insert(ctx, "Account already exists.", "create account "+a.ID,
		`INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.TenantID, string(a.Kind), string(a.Currency), a.Code, a.Name, a.BusinessAccountID, a.UserIdentityID,
		a.ExternalStorage, a.DebitsPending, a.DebitsPosted, a.CreditsPending, a.CreditsPosted,
		micros(a.CreatedAt), micros(a.UpdatedAt))
}

func (t *view) FindAccountByID(ctx context.Context, tenantID, id string) (*paykit.Account, error) {
	var r accountRow
	err := t.get(ctx, &r, `SELECT `+accountColumns+` FROM accounts WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return nil, notFound(err, "Account not found.", "find account "+id)
	}
	return r.account(), nil
}

func (t *view) FindAccountByCode(ctx context.Context, tenantID, code string, c paykit.Currency) (*paykit.Account, error) {
	var r accountRow
	err := t.get(ctx, &r, `SELECT `+accountColumns+` FROM accounts WHERE tenant_id = ? AND code = ? AND currency = ? AND code <> ''`,
		tenantID, code, string(c))
	if err != nil {
		return nil, notFound(err, "Account not found.", fmt.Sprintf("find account %s %s", code, c))
	}
	return r.account(), nil
}

func (t *view) FindAccounts(ctx context.Context, tenantID string, f paykit.AccountFilter) ([]*paykit.Account, error) {
	q := newQuery("tenant_id = ?", tenantID)
	if f.Currency != nil {
		q.add("currency = ?", string(*f.Currency))
	}
	if f.Kind != nil {
		q.add("kind = ?", string(*f.Kind))
	}
	if f.BusinessAccountID != nil {
		q.add("business_account_id = ?", *f.BusinessAccountID)
	}
	if f.UserIdentityID != nil {
		q.add("user_identity_id = ?", *f.UserIdentityID)
	}
	if f.After != "" {
		q.add("id > ?", f.After)
	}
	var rows []accountRow
	err := t.selectAll(ctx, &rows, `SELECT `+accountColumns+` FROM accounts WHERE `+q.clause()+
		` ORDER BY id LIMIT ?`, append(q.args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	out := make([]*paykit.Account, len(rows))
	for i := range rows {
		out[i] = rows[i].account()
	}
	return out, nil
}

func (t *tx) UpdateAccountBalances(ctx context.Context, tenantID, id string, d paykit.BalanceDelta, now time.Time) error {
	// The WHERE refuses what the accounts CHECK would, so that a refusal
	// changes no row and fails no statement, which would end a PostgreSQL
	// transaction; the CHECK stays behind it.
	res, err := t.exec(ctx, `UPDATE accounts SET
		debits_pending = debits_pending + ?, debits_posted = debits_posted + ?,
		credits_pending = credits_pending + ?, credits_posted = credits_posted + ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?
			AND (kind = 'external' OR (credits_posted + ?) - (debits_posted + ?) - (debits_pending + ?) >= 0)`,
		d.DebitsPending, d.DebitsPosted, d.CreditsPending, d.CreditsPosted, micros(now), tenantID, id,
		d.CreditsPosted, d.DebitsPosted, d.DebitsPending)
	if err != nil {
		return insufficient(err, "Account conflicts with another.", "update account balances "+id)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update account balances %s: %w", id, err)
	} else if n == 1 {
		return nil
	}
	if _, err := t.FindAccountByID(ctx, tenantID, id); err != nil {
		return err
	}
	return paykit.Errorf(paykit.ECONFLICT, "Insufficient funds.")
}

func (t *tx) CreateTransfer(ctx context.Context, tr *paykit.Transfer) error {
	return t.insert(ctx, "Transfer already exists.", "create transfer "+tr.ID,
		`INSERT INTO transfers (`+transferColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tr.ID, tr.TenantID, tr.DebitAccountID, tr.CreditAccountID, tr.Amount, string(tr.Currency), string(tr.Status),
		tr.Kind, tr.Ref, micros(tr.CreatedAt), micros(tr.UpdatedAt))
}

func (t *view) FindTransferByID(ctx context.Context, tenantID, id string) (*paykit.Transfer, error) {
	var r transferRow
	err := t.get(ctx, &r, `SELECT `+transferColumns+` FROM transfers WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return nil, notFound(err, "Transfer not found.", "find transfer "+id)
	}
	return r.transfer(), nil
}

func (t *tx) SettleTransfer(ctx context.Context, tenantID, id string, to paykit.TransferStatus, now time.Time) (*paykit.Transfer, error) {
	var r transferRow
	err := t.get(ctx, &r, `UPDATE transfers SET status = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND status = 'pending' RETURNING `+transferColumns,
		string(to), micros(now), tenantID, id)
	if err == nil {
		return r.transfer(), nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("settle transfer %s: %w", id, err)
	}
	was, err := t.FindTransferByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return nil, paykit.Errorf(paykit.ECONFLICT, "Transfer %s is already %s.", id, was.Status)
}

func (t *view) LedgerSums(ctx context.Context, tenantID string) ([]*paykit.Account, map[string]paykit.BalanceDelta, error) {
	var accounts []*paykit.Account
	sums := map[string]paykit.BalanceDelta{}
	err := t.readTx(ctx, func(t *view) error {
		var rows []accountRow
		if err := t.selectAll(ctx, &rows, `SELECT `+accountColumns+` FROM accounts WHERE tenant_id = ? ORDER BY id`, tenantID); err != nil {
			return err
		}
		for i := range rows {
			accounts = append(accounts, rows[i].account())
		}
		var derived []struct {
			AccountID      string `db:"account_id"`
			DebitsPending  int64  `db:"debits_pending"`
			DebitsPosted   int64  `db:"debits_posted"`
			CreditsPending int64  `db:"credits_pending"`
			CreditsPosted  int64  `db:"credits_posted"`
		}
		// Each transfer counts twice: as a debit of one account and a credit of
		// the other. Voided transfers count for nothing.
		err := t.selectAll(ctx, &derived, `
			SELECT account_id,
				SUM(debits_pending) AS debits_pending, SUM(debits_posted) AS debits_posted,
				SUM(credits_pending) AS credits_pending, SUM(credits_posted) AS credits_posted
			FROM (
				SELECT debit_account_id AS account_id,
					CASE status WHEN 'pending' THEN amount ELSE 0 END AS debits_pending,
					CASE status WHEN 'posted' THEN amount ELSE 0 END AS debits_posted,
					0 AS credits_pending, 0 AS credits_posted
				FROM transfers WHERE tenant_id = ? AND status IN ('pending', 'posted')
				UNION ALL
				SELECT credit_account_id, 0, 0,
					CASE status WHEN 'pending' THEN amount ELSE 0 END,
					CASE status WHEN 'posted' THEN amount ELSE 0 END
				FROM transfers WHERE tenant_id = ? AND status IN ('pending', 'posted')
			) AS legs
			GROUP BY account_id`, tenantID, tenantID)
		if err != nil {
			return err
		}
		for _, r := range derived {
			sums[r.AccountID] = paykit.BalanceDelta{DebitsPending: r.DebitsPending, DebitsPosted: r.DebitsPosted,
				CreditsPending: r.CreditsPending, CreditsPosted: r.CreditsPosted}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ledger sums: %w", err)
	}
	return accounts, sums, nil
}
