package store

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/paykit/paykit"
)

const paymentColumns = `id, tenant_id, type, status, amount_minor, currency,
	source_account_id, source_business_account_id, source_user_identity_id, source_external_storage,
	destination_account_id, destination_business_account_id, destination_user_identity_id, destination_external_storage,
	payment_token_id, transfer_id, rail_reference, failure_reason, submitted_at, lease_until, created_at, updated_at,
	client_id, client_rfc, internal_id, link_token, charge`

type paymentRow struct {
	ID                           string `db:"id"`
	TenantID                     string `db:"tenant_id"`
	Type                         string `db:"type"`
	Status                       string `db:"status"`
	AmountMinor                  int64  `db:"amount_minor"`
	Currency                     string `db:"currency"`
	SourceAccountID              string `db:"source_account_id"`
	SourceBusinessAccountID      string `db:"source_business_account_id"`
	SourceUserIdentityID         string `db:"source_user_identity_id"`
	SourceExternalStorage        string `db:"source_external_storage"`
	DestinationAccountID         string `db:"destination_account_id"`
	DestinationBusinessAccountID string `db:"destination_business_account_id"`
	DestinationUserIdentityID    string `db:"destination_user_identity_id"`
	DestinationExternalStorage   string `db:"destination_external_storage"`
	PaymentTokenID               string `db:"payment_token_id"`
	TransferID                   string `db:"transfer_id"`
	RailReference                string `db:"rail_reference"`
	FailureReason                string `db:"failure_reason"`
	SubmittedAt                  *int64 `db:"submitted_at"`
	LeaseUntil                   *int64 `db:"lease_until"`
	CreatedAt                    int64  `db:"created_at"`
	UpdatedAt                    int64  `db:"updated_at"`
	ClientID                     string `db:"client_id"`
	ClientRFC                    string `db:"client_rfc"`
	InternalID                   string `db:"internal_id"`
	LinkToken                    string `db:"link_token"`
	Charge                       string `db:"charge"`
}

func (r *paymentRow) payment() (*paykit.Payment, error) {
	var ch *paykit.Charge
	if r.Charge != "" {
		ch = new(paykit.Charge)
		if err := json.Unmarshal([]byte(r.Charge), ch); err != nil {
			return nil, fmt.Errorf("payment %s: charge: %w", r.ID, err)
		}
	}
	return &paykit.Payment{
		ID: r.ID, TenantID: r.TenantID, Type: paykit.PaymentType(r.Type), Status: paykit.PaymentStatus(r.Status),
		Amount: paykit.MoneyFromMinor(r.AmountMinor, paykit.Currency(r.Currency)),
		Source: paykit.Party{AccountID: r.SourceAccountID, BusinessAccountID: r.SourceBusinessAccountID,
			UserIdentityID: r.SourceUserIdentityID, ExternalStorage: r.SourceExternalStorage},
		Destination: paykit.Party{AccountID: r.DestinationAccountID, BusinessAccountID: r.DestinationBusinessAccountID,
			UserIdentityID: r.DestinationUserIdentityID, ExternalStorage: r.DestinationExternalStorage},
		PaymentTokenID: r.PaymentTokenID, TransferID: r.TransferID, RailReference: r.RailReference,
		FailureReason: r.FailureReason, SubmittedAt: fromMicrosPtr(r.SubmittedAt), LeaseUntil: fromMicrosPtr(r.LeaseUntil),
		Charge: ch, CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}, nil
}

func payments(rows []paymentRow) ([]*paykit.Payment, error) {
	out := make([]*paykit.Payment, len(rows))
	for i := range rows {
		p, err := rows[i].payment()
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// chargeColumns returns the charge columns of p: its client, RFC, internal ID,
// link token and the JSON of the rest.
func chargeColumns(p *paykit.Payment) (clientID, rfc, internalID, token, charge string, err error) {
	if p.Charge == nil {
		return "", "", "", "", "", nil
	}
	b, err := json.Marshal(p.Charge)
	if err != nil {
		return "", "", "", "", "", fmt.Errorf("payment %s: charge: %w", p.ID, err)
	}
	if p.Charge.Client != nil {
		rfc = p.Charge.Client.RFC
	}
	return p.Charge.ClientID, rfc, p.Charge.InternalID, p.Charge.LinkToken, string(b), nil
}

func (t *tx) CreatePayment(ctx context.Context, p *paykit.Payment) error {
	clientID, rfc, internalID, token, charge, err := chargeColumns(p)
	if err != nil {
		return err
	}
	err = t.insert(ctx, "Payment already exists.", "create payment "+p.ID, `INSERT INTO payments (`+paymentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.TenantID, string(p.Type), string(p.Status), p.Amount.Minor(), string(p.Amount.Currency),
		p.Source.AccountID, p.Source.BusinessAccountID, p.Source.UserIdentityID, p.Source.ExternalStorage,
		p.Destination.AccountID, p.Destination.BusinessAccountID, p.Destination.UserIdentityID, p.Destination.ExternalStorage,
		p.PaymentTokenID, p.TransferID, p.RailReference, p.FailureReason, microsPtr(p.SubmittedAt), microsPtr(p.LeaseUntil),
		micros(p.CreatedAt), micros(p.UpdatedAt), clientID, rfc, internalID, token, charge)
	if paykit.ErrorCode(err) != paykit.ECONFLICT || internalID == "" {
		return err
	}
	// Which key clashed: the ID, or the internal ID of the tenant's charges.
	var n int
	if qerr := t.get(ctx, &n, `SELECT COUNT(*) FROM payments WHERE tenant_id = ? AND internal_id = ?`, p.TenantID, internalID); qerr != nil {
		return fmt.Errorf("create payment %s: %w", p.ID, qerr)
	} else if n > 0 {
		const msg = "The tenant has a charge with this internal ID."
		return &paykit.Error{Code: paykit.ECONFLICT, Message: msg, Fields: map[string]string{"charge.internalId": msg}}
	}
	return err
}

func (t *view) FindPaymentByID(ctx context.Context, tenantID, id string) (*paykit.Payment, error) {
	var r paymentRow
	if err := t.get(ctx, &r, `SELECT `+paymentColumns+` FROM payments WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Payment not found.", "find payment "+id)
	}
	return r.payment()
}

func (t *view) FindPaymentByLinkToken(ctx context.Context, token string) (*paykit.Payment, error) {
	var r paymentRow
	if err := t.get(ctx, &r, `SELECT `+paymentColumns+` FROM payments WHERE link_token = ? AND link_token <> ''`, token); err != nil {
		return nil, notFound(err, "Payment not found.", "find payment by link token")
	}
	return r.payment()
}

func (t *view) FindPayments(ctx context.Context, tenantID string, f paykit.PaymentFilter) ([]*paykit.Payment, error) {
	where, order, args, err := paymentsQuery(tenantID, f)
	if err != nil {
		return nil, err
	}
	var rows []paymentRow
	err = t.selectAll(ctx, &rows, `SELECT `+paymentColumns+` FROM payments WHERE `+where+` ORDER BY `+order+` LIMIT ?`,
		append(args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find payments: %w", err)
	}
	return payments(rows)
}

func (t *view) FindPaymentPage(ctx context.Context, tenantID string, f paykit.PaymentFilter) ([]*paykit.Payment, int, error) {
	var ps []*paykit.Payment
	var n int
	err := t.readTx(ctx, func(t *view) error {
		var err error
		if ps, err = t.FindPayments(ctx, tenantID, f); err != nil {
			return err
		}
		q := paymentFilterQuery(tenantID, f)
		if err := t.get(ctx, &n, `SELECT COUNT(*) FROM payments WHERE `+q.clause(), q.args...); err != nil {
			return fmt.Errorf("count payments: %w", err)
		}
		return nil
	})
	return ps, n, err
}

func (t *view) FindAllPayments(ctx context.Context, tenantID string, f paykit.PaymentFilter) iter.Seq2[*paykit.Payment, error] {
	return func(yield func(*paykit.Payment, error) bool) {
		where, order, args, err := paymentsQuery(tenantID, f)
		if err != nil {
			yield(nil, err)
			return
		}
		err = t.stream(ctx, `SELECT `+paymentColumns+` FROM payments WHERE `+where+` ORDER BY `+order, args,
			func(rows *sqlx.Rows) (bool, error) {
				var r paymentRow
				if err := rows.StructScan(&r); err != nil {
					return false, err
				}
				p, err := r.payment()
				if err != nil {
					return false, err
				}
				return yield(p, nil), nil
			})
		if err != nil {
			yield(nil, fmt.Errorf("find all payments: %w", err))
		}
	}
}

// paymentsQuery returns the WHERE clause, the ORDER BY and the arguments of a
// payment list: f's filters and its cursor.
func paymentsQuery(tenantID string, f paykit.PaymentFilter) (where, order string, args []any, err error) {
	var key, dir, cmp string
	switch f.Sort {
	case "", paykit.PaymentSortCreatedAsc:
		key, dir, cmp = "created_at", "ASC", ">"
	case paykit.PaymentSortCreatedDesc:
		key, dir, cmp = "created_at", "DESC", "<"
	case paykit.PaymentSortAmountAsc:
		key, dir, cmp = "amount_minor", "ASC", ">"
	case paykit.PaymentSortAmountDesc:
		key, dir, cmp = "amount_minor", "DESC", "<"
	default:
		return "", "", nil, &paykit.Error{Code: paykit.EINVALID, Message: fmt.Sprintf("Unknown sort %q.", f.Sort),
			Fields: map[string]string{"sort": fmt.Sprintf("Unknown sort %q.", f.Sort)}}
	}
	q := paymentFilterQuery(tenantID, f)
	if f.After != "" {
		// The cursor row's own sort key, looked up in the same tenant: a row value
		// comparison walks the (tenant_id, key, id) index from there.
		q.add(fmt.Sprintf("(%s, id) %s (SELECT %s, id FROM payments WHERE tenant_id = ? AND id = ?)", key, cmp, key), tenantID, f.After)
	}
	return q.clause(), fmt.Sprintf("%s %s, id %s", key, dir, dir), q.args, nil
}

// paymentFilterQuery is the WHERE clause of f's filters, the cursor aside.
func paymentFilterQuery(tenantID string, f paykit.PaymentFilter) *query {
	q := newQuery("tenant_id = ?", tenantID)
	if f.Type != nil {
		q.add("type = ?", string(*f.Type))
	}
	if f.Types != nil {
		marks := make([]string, len(f.Types))
		for i, typ := range f.Types {
			marks[i] = "?"
			q.args = append(q.args, string(typ))
		}
		q.where = append(q.where, "type IN ("+strings.Join(marks, ", ")+")")
		if len(f.Types) == 0 {
			q.where[len(q.where)-1] = "0"
		}
	}
	if f.Status != nil {
		q.add("status = ?", string(*f.Status))
	}
	if f.PaymentTokenID != nil {
		q.add("payment_token_id = ? AND payment_token_id <> ''", *f.PaymentTokenID)
	}
	if f.AccountID != nil {
		q.add("(source_account_id = ? OR destination_account_id = ?)", *f.AccountID, *f.AccountID)
	}
	if f.CreatedFrom != nil {
		q.add("created_at >= ?", micros(*f.CreatedFrom))
	}
	if f.CreatedUntil != nil {
		q.add("created_at < ?", micros(*f.CreatedUntil))
	}
	if f.ClientID != nil {
		q.add("client_id = ? AND client_id <> ''", *f.ClientID)
	}
	if f.RFC != nil {
		q.add("client_rfc = ? AND client_rfc <> ''", *f.RFC)
	}
	if f.AmountMinor != nil {
		q.add("amount_minor = ?", *f.AmountMinor)
	}
	return q
}

func (t *tx) UpdatePayment(ctx context.Context, p *paykit.Payment) error {
	clientID, rfc, internalID, token, charge, err := chargeColumns(p)
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE payments SET status = ?, failure_reason = ?, rail_reference = ?, submitted_at = ?,
		lease_until = ?, updated_at = ?, client_id = ?, client_rfc = ?, internal_id = ?, link_token = ?, charge = ?
		WHERE tenant_id = ? AND id = ?`,
		string(p.Status), p.FailureReason, p.RailReference, microsPtr(p.SubmittedAt), microsPtr(p.LeaseUntil),
		micros(p.UpdatedAt), clientID, rfc, internalID, token, charge, p.TenantID, p.ID)
	if err != nil {
		return fmt.Errorf("update payment %s: %w", p.ID, err)
	}
	return affected(res, "Payment not found.")
}

func (t *tx) ClaimPaymentsToSubmit(ctx context.Context, now, leaseUntil time.Time, n int) ([]*paykit.Payment, error) {
	// The WHERE repeats the payments_due index's condition word for word, so
	// that SQLite can use that partial index.
	var rows []paymentRow
	err := t.selectAll(ctx, &rows, `UPDATE payments SET lease_until = ? WHERE id IN (
			SELECT id FROM payments
			WHERE submitted_at IS NULL AND status IN ('pending', 'processing')
				AND (lease_until IS NULL OR lease_until <= ?)
			ORDER BY created_at, id LIMIT ?`+t.skipLocked()+`)
		RETURNING `+paymentColumns, micros(leaseUntil), micros(now), limit(n))
	if err != nil {
		return nil, fmt.Errorf("claim payments to submit: %w", err)
	}
	// RETURNING yields rows in no promised order.
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].CreatedAt != rows[j].CreatedAt {
			return rows[i].CreatedAt < rows[j].CreatedAt
		}
		return rows[i].ID < rows[j].ID
	})
	return payments(rows)
}
