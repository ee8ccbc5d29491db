package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/paykit/paykit"
)

const web3PaymentColumns = `id, tenant_id, node_id, external_id, chain_id, network_id, wallet_id, member_id, member,
	currency_id, currency, price_minor, paid_price_minor, method, payment_group, payment_address, items, metadata,
	expires_at, retry, retry_count, client_ip, status, contract_id, deal_id, deal_tx_hash, deal_error, deal_opened_at,
	cancel_tx_hash, transaction_hash, payer, failure_reason, transfer_id, sent_at, completed_at, cancelled_at,
	access_token_hash, access_token_sealed, lease_until, created_at, updated_at`

type web3PaymentRow struct {
	ID                string `db:"id"`
	TenantID          string `db:"tenant_id"`
	NodeID            string `db:"node_id"`
	ExternalID        string `db:"external_id"`
	ChainID           string `db:"chain_id"`
	NetworkID         string `db:"network_id"`
	WalletID          string `db:"wallet_id"`
	MemberID          string `db:"member_id"`
	Member            string `db:"member"`
	CurrencyID        string `db:"currency_id"`
	Currency          string `db:"currency"`
	PriceMinor        int64  `db:"price_minor"`
	PaidPriceMinor    int64  `db:"paid_price_minor"`
	Method            string `db:"method"`
	Group             string `db:"payment_group"`
	PaymentAddress    string `db:"payment_address"`
	Items             string `db:"items"`
	Metadata          string `db:"metadata"`
	ExpiresAt         int64  `db:"expires_at"`
	Retry             bool   `db:"retry"`
	RetryCount        int    `db:"retry_count"`
	ClientIP          string `db:"client_ip"`
	Status            string `db:"status"`
	ContractID        string `db:"contract_id"`
	DealID            int64  `db:"deal_id"`
	DealTxHash        string `db:"deal_tx_hash"`
	DealError         string `db:"deal_error"`
	DealOpenedAt      *int64 `db:"deal_opened_at"`
	CancelTxHash      string `db:"cancel_tx_hash"`
	TransactionHash   string `db:"transaction_hash"`
	Payer             string `db:"payer"`
	FailureReason     string `db:"failure_reason"`
	TransferID        string `db:"transfer_id"`
	SentAt            *int64 `db:"sent_at"`
	CompletedAt       *int64 `db:"completed_at"`
	CancelledAt       *int64 `db:"cancelled_at"`
	AccessTokenHash   []byte `db:"access_token_hash"`
	AccessTokenSealed string `db:"access_token_sealed"`
	LeaseUntil        *int64 `db:"lease_until"`
	CreatedAt         int64  `db:"created_at"`
	UpdatedAt         int64  `db:"updated_at"`
}

func (r *web3PaymentRow) payment() (*paykit.Web3Payment, error) {
	var member map[string]string
	if err := json.Unmarshal([]byte(r.Member), &member); err != nil {
		return nil, fmt.Errorf("web3 payment %s: member: %w", r.ID, err)
	}
	if len(member) == 0 {
		member = nil
	}
	var items []paykit.Web3PaymentItem
	if err := json.Unmarshal([]byte(r.Items), &items); err != nil {
		return nil, fmt.Errorf("web3 payment %s: items: %w", r.ID, err)
	}
	if items == nil {
		items = []paykit.Web3PaymentItem{}
	}
	c := paykit.Currency(r.Currency)
	return &paykit.Web3Payment{
		ID: r.ID, TenantID: r.TenantID, NodeID: r.NodeID, ExternalID: r.ExternalID, ChainID: r.ChainID,
		NetworkID: r.NetworkID, WalletID: r.WalletID, MemberID: r.MemberID, Member: member, CurrencyID: r.CurrencyID,
		Price: paykit.MoneyFromMinor(r.PriceMinor, c), PaidPrice: paykit.MoneyFromMinor(r.PaidPriceMinor, c),
		Method: paykit.Web3PaymentMethod(r.Method), Group: paykit.Web3PaymentGroup(r.Group),
		PaymentAddress: r.PaymentAddress, Items: items, Metadata: r.Metadata, ExpiresAt: fromMicros(r.ExpiresAt),
		Retry: r.Retry, RetryCount: r.RetryCount, ClientIP: r.ClientIP, Status: paykit.Web3PaymentStatus(r.Status),
		ContractID: r.ContractID, DealID: paykit.DealID(r.DealID), DealTxHash: r.DealTxHash, DealError: r.DealError,
		DealOpenedAt: fromMicrosPtr(r.DealOpenedAt), CancelTxHash: r.CancelTxHash, TransactionHash: r.TransactionHash,
		Payer: r.Payer, FailureReason: r.FailureReason, TransferID: r.TransferID, SentAt: fromMicrosPtr(r.SentAt),
		CompletedAt: fromMicrosPtr(r.CompletedAt), CancelledAt: fromMicrosPtr(r.CancelledAt),
		AccessTokenHash: r.AccessTokenHash, AccessTokenSealed: r.AccessTokenSealed, LeaseUntil: fromMicrosPtr(r.LeaseUntil),
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}, nil
}

func web3Payments(rows []web3PaymentRow) ([]*paykit.Web3Payment, error) {
	out := make([]*paykit.Web3Payment, len(rows))
	for i := range rows {
		p, err := rows[i].payment()
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

func (t *tx) CreateWeb3Payment(ctx context.Context, p *paykit.Web3Payment) error {
	member, err := json.Marshal(p.Member)
	if err != nil || p.Member == nil {
		member = []byte("{}")
	}
	items, err := json.Marshal(p.Items)
	if err != nil {
		return fmt.Errorf("create web3 payment %s: items: %w", p.ID, err)
	}
	if p.Items == nil {
		items = []byte("[]")
	}
	err = t.insert(ctx, "Payment already exists.", "create web3 payment "+p.ID, `INSERT INTO web3_payments (`+web3PaymentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.TenantID, p.NodeID, p.ExternalID, p.ChainID, p.NetworkID, p.WalletID, p.MemberID, string(member),
		p.CurrencyID, string(p.Price.Currency), p.Price.Minor(), p.PaidPrice.Minor(), string(p.Method), string(p.Group),
		p.PaymentAddress, string(items), p.Metadata, micros(p.ExpiresAt), p.Retry, p.RetryCount, p.ClientIP,
		string(p.Status), p.ContractID, int64(p.DealID), p.DealTxHash, p.DealError, microsPtr(p.DealOpenedAt),
		p.CancelTxHash, p.TransactionHash, p.Payer, p.FailureReason, p.TransferID, microsPtr(p.SentAt),
		microsPtr(p.CompletedAt), microsPtr(p.CancelledAt), p.AccessTokenHash, p.AccessTokenSealed,
		microsPtr(p.LeaseUntil), micros(p.CreatedAt), micros(p.UpdatedAt))
	if paykit.ErrorCode(err) != paykit.ECONFLICT {
		return err
	}
	// Which key clashed: the node's external id, or another.
	var n int
	if qerr := t.get(ctx, &n, `SELECT COUNT(*) FROM web3_payments WHERE tenant_id = ? AND node_id = ? AND external_id = ?`,
		p.TenantID, p.NodeID, p.ExternalID); qerr != nil {
		return fmt.Errorf("create web3 payment %s: %w", p.ID, qerr)
	} else if n > 0 {
		const msg = "The node has a payment with this external id."
		return &paykit.Error{Code: paykit.ECONFLICT, Message: msg, Fields: map[string]string{"externalId": msg}}
	}
	return err
}

func (t *tx) UpdateWeb3Payment(ctx context.Context, p *paykit.Web3Payment) error {
	res, err := t.exec(ctx, `UPDATE web3_payments SET status = ?, retry = ?, retry_count = ?, deal_tx_hash = ?,
		deal_error = ?, deal_opened_at = ?, cancel_tx_hash = ?, transaction_hash = ?, payer = ?, failure_reason = ?,
		transfer_id = ?, sent_at = ?, completed_at = ?, cancelled_at = ?, lease_until = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`,
		string(p.Status), p.Retry, p.RetryCount, p.DealTxHash, p.DealError, microsPtr(p.DealOpenedAt), p.CancelTxHash,
		p.TransactionHash, p.Payer, p.FailureReason, p.TransferID, microsPtr(p.SentAt), microsPtr(p.CompletedAt),
		microsPtr(p.CancelledAt), microsPtr(p.LeaseUntil), micros(p.UpdatedAt), p.TenantID, p.ID)
	if err != nil {
		return fmt.Errorf("update web3 payment %s: %w", p.ID, err)
	}
	return affected(res, "Payment not found.")
}

func (t *view) findWeb3Payment(ctx context.Context, what, where string, args ...any) (*paykit.Web3Payment, error) {
	var r web3PaymentRow
	if err := t.get(ctx, &r, `SELECT `+web3PaymentColumns+` FROM web3_payments WHERE `+where, args...); err != nil {
		return nil, notFound(err, "Payment not found.", "find web3 payment "+what)
	}
	return r.payment()
}

func (t *view) FindWeb3PaymentByID(ctx context.Context, tenantID, id string) (*paykit.Web3Payment, error) {
	return t.findWeb3Payment(ctx, id, `tenant_id = ? AND id = ?`, tenantID, id)
}

func (t *view) FindWeb3PaymentByDeal(ctx context.Context, contractID string, id paykit.DealID) (*paykit.Web3Payment, error) {
	return t.findWeb3Payment(ctx, "by deal", `contract_id = ? AND deal_id = ? AND deal_id > 0`, contractID, int64(id))
}

func (t *view) FindWeb3PaymentByAccessToken(ctx context.Context, hash []byte) (*paykit.Web3Payment, error) {
	return t.findWeb3Payment(ctx, "by access token", `access_token_hash = ?`, hash)
}

func web3PaymentFilterQuery(tenantID string, f paykit.Web3PaymentFilter) *query {
	q := newQuery("tenant_id = ?", tenantID)
	if f.NodeID != nil {
		q.add("node_id = ?", *f.NodeID)
	}
	if f.WalletID != nil {
		q.add("wallet_id = ?", *f.WalletID)
	}
	if f.NetworkID != nil {
		q.add("network_id = ?", *f.NetworkID)
	}
	return q
}

func (t *view) FindWeb3Payments(ctx context.Context, tenantID string, f paykit.Web3PaymentFilter) ([]*paykit.Web3Payment, int, error) {
	var ps []*paykit.Web3Payment
	var n int
	q := web3PaymentFilterQuery(tenantID, f)
	err := t.readTx(ctx, func(t *view) error {
		var rows []web3PaymentRow
		err := t.selectAll(ctx, &rows, `SELECT `+web3PaymentColumns+` FROM web3_payments WHERE `+q.clause()+`
			ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, append(q.args, limit(f.Limit), max(f.Offset, 0))...)
		if err != nil {
			return fmt.Errorf("find web3 payments: %w", err)
		}
		if ps, err = web3Payments(rows); err != nil {
			return err
		}
		if err := t.get(ctx, &n, `SELECT COUNT(*) FROM web3_payments WHERE `+q.clause(), q.args...); err != nil {
			return fmt.Errorf("count web3 payments: %w", err)
		}
		return nil
	})
	return ps, n, err
}

func (t *view) FindWeb3PaymentEvents(ctx context.Context, tenantID, id string, offset, n int) ([]*paykit.Event, int, error) {
	var evs []*paykit.Event
	var total int
	err := t.readTx(ctx, func(t *view) error {
		var rows []eventRow
		err := t.selectAll(ctx, &rows, `SELECT `+eventColumns+` FROM events WHERE tenant_id = ? AND subject_id = ?
			ORDER BY seq DESC LIMIT ? OFFSET ?`, tenantID, id, limit(n), max(offset, 0))
		if err != nil {
			return fmt.Errorf("find events of web3 payment %s: %w", id, err)
		}
		evs = make([]*paykit.Event, len(rows))
		for i := range rows {
			evs[i] = rows[i].event()
		}
		if err := t.get(ctx, &total, `SELECT COUNT(*) FROM events WHERE tenant_id = ? AND subject_id = ?`, tenantID, id); err != nil {
			return fmt.Errorf("count events of web3 payment %s: %w", id, err)
		}
		return nil
	})
	return evs, total, err
}

func (t *view) FindExpiredWeb3Payments(ctx context.Context, now time.Time, n int) ([]*paykit.Web3Payment, error) {
	var rows []web3PaymentRow
	err := t.selectAll(ctx, &rows, `SELECT `+web3PaymentColumns+` FROM web3_payments
		WHERE status IN ('pending', 'processing') AND expires_at <= ? ORDER BY expires_at, id LIMIT ?`+t.skipLocked(), micros(now), limit(n))
	if err != nil {
		return nil, fmt.Errorf("find expired web3 payments: %w", err)
	}
	return web3Payments(rows)
}

// web3WorkCondition returns the condition of the rows the background work
// work is due on at now (see paykit.Web3Work), and its arguments.
func web3WorkCondition(work paykit.Web3Work, now time.Time) (string, []any, error) {
	switch work {
	case paykit.Web3WorkSend:
		return `status = 'pending' AND method = 'web3' AND deal_error = '' AND expires_at > ?`, []any{micros(now)}, nil
	case paykit.Web3WorkCheck:
		return `status = 'processing' AND deal_opened_at IS NULL AND deal_tx_hash <> ''`, nil, nil
	case paykit.Web3WorkCancel:
		return `status = 'cancelling'`, nil, nil
	}
	return "", nil, fmt.Errorf("unknown work %q", work)
}

func (t *tx) ClaimWeb3Payments(ctx context.Context, work paykit.Web3Work, now, leaseUntil time.Time, n int) ([]*paykit.Web3Payment, error) {
	cond, cargs, err := web3WorkCondition(work, now)
	if err != nil {
		return nil, fmt.Errorf("claim web3 payments: %w", err)
	}
	args := append(append([]any{micros(leaseUntil)}, cargs...), micros(now), limit(n))
	var rows []web3PaymentRow
	err = t.selectAll(ctx, &rows, `UPDATE web3_payments SET lease_until = ? WHERE id IN (
			SELECT id FROM web3_payments
			WHERE `+cond+` AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY created_at, id LIMIT ?`+t.skipLocked()+`)
		RETURNING `+web3PaymentColumns, args...)
	if err != nil {
		return nil, fmt.Errorf("claim web3 payments to %s: %w", work, err)
	}
	// RETURNING yields rows in no promised order.
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].CreatedAt != rows[j].CreatedAt {
			return rows[i].CreatedAt < rows[j].CreatedAt
		}
		return rows[i].ID < rows[j].ID
	})
	return web3Payments(rows)
}
