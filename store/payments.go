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
	few, err := t.fewAccountPayments(ctx, tenantID, f)
	if err != nil {
		return nil, err
	}
	st, err := paymentsSelect(tenantID, f, limit(f.Limit), few)
	if err != nil {
		return nil, err
	}
	var rows []paymentRow
	if err := t.selectAll(ctx, &rows, st.query, st.args...); err != nil {
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
		st := paymentsCount(tenantID, f)
		if err := t.get(ctx, &n, st.query, st.args...); err != nil {
			return fmt.Errorf("count payments: %w", err)
		}
		return nil
	})
	return ps, n, err
}

func (t *view) FindAllPayments(ctx context.Context, tenantID string, f paykit.PaymentFilter) iter.Seq2[*paykit.Payment, error] {
	return func(yield func(*paykit.Payment, error) bool) {
		st, err := paymentsSelect(tenantID, f, 0, false)
		if err != nil {
			yield(nil, err)
			return
		}
		err = t.stream(ctx, st.query, st.args, func(rows *sqlx.Rows) (bool, error) {
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

// fewPayments is the most payments, sent and received, an account may have
// for its list under an amount sort to be read from the account's own indexes
// and sorted, rather than found along the amount index. A page of an account
// with k of a tenant's N payments reads about k rows the one way and 26·N/k
// the other, each a lookup of about 5 µs (BenchmarkLists, at 1M payments):
// an account with 1,924 payments takes 8–10 ms a page, one with 2,084 45–65
// ms, one with 150 under half a millisecond, where it took a second. The
// two ways cost the same at k = √(26·N), about 5,000 at a million payments;
// 2,000 keeps a smaller tenant's busier accounts on the walk, which is
// cheaper for them.
const fewPayments = 2000

// fewAccountPayments says whether f lists one account's payments by amount
// and the account has fewer than fewPayments: it counts, up to that many, the
// entries of the account in payments_source and payments_destination.
func (t *view) fewAccountPayments(ctx context.Context, tenantID string, f paykit.PaymentFilter) (bool, error) {
	if f.AccountID == nil || (f.Sort != paykit.PaymentSortAmountAsc && f.Sort != paykit.PaymentSortAmountDesc) {
		return false, nil
	}
	var n int
	st := accountPaymentsProbe(tenantID, *f.AccountID)
	if err := t.get(ctx, &n, st.query, st.args...); err != nil {
		return false, fmt.Errorf("count the account's payments: %w", err)
	}
	return n < fewPayments, nil
}

// accountPaymentsProbe returns the statement of fewAccountPayments.
func accountPaymentsProbe(tenantID, accountID string) statement {
	return statement{`SELECT
		(SELECT COUNT(*) FROM (SELECT 1 FROM payments WHERE tenant_id = ? AND source_account_id = ? LIMIT ?) AS sent) +
		(SELECT COUNT(*) FROM (SELECT 1 FROM payments WHERE tenant_id = ? AND destination_account_id = ? LIMIT ?) AS received)`,
		[]any{tenantID, accountID, fewPayments, tenantID, accountID, fewPayments}}
}

// paymentsSelect returns the statement of a payment list: f's filters, its
// cursor and its sort, and LIMIT n unless n is 0.
//
// Every filter and sort reads an index in the sort's order and stops at the
// page (see plans_test.go): created_at and amount_minor each have an index
// per tenant, and created_at one per account (payments_source,
// payments_destination). A type, a status, or an account under an amount
// sort is checked on the rows the sort's index yields, so a page of a rare
// one reads more of them; a token selects one payment by its unique index. A created_at window under an amount sort, or with an
// account, is checked on the rows as well (its column is written
// +created_at, which no index serves): reading the window by created_at and
// sorting it, or reading all of it for an account's few payments, would cost
// the window's size on every page.
//
// The one exception is few: an account with fewer than fewPayments payments,
// under an amount sort, is read whole from its two indexes and sorted.
func paymentsSelect(tenantID string, f paykit.PaymentFilter, n int, few bool) (statement, error) {
	key, dir, err := paymentSort(f.Sort)
	if err != nil {
		return statement{}, err
	}
	var bound *time.Time // the window's bound that joins the cursor's
	if f.After != "" && key == "created_at" {
		if dir == "ASC" {
			bound, f.CreatedFrom = f.CreatedFrom, nil
		} else {
			bound, f.CreatedUntil = f.CreatedUntil, nil
		}
	}
	branches := []*query{paymentFilterQuery(tenantID, f, key)}
	sortKey := key // as the ORDER BY and the cursor write it
	switch {
	case f.AccountID != nil && few:
		// An account with few payments, under an amount sort: their IDs
		// come from its two indexes (which hold them), the rows by primary
		// key, and the sort is of fewer than fewPayments rows. The order and
		// the cursor write +amount_minor, which no index serves, or SQLite
		// would walk payments_amount and look each row up in the list.
		branches[0].add(`id IN (SELECT id FROM payments WHERE tenant_id = ? AND source_account_id = ?
			UNION ALL SELECT id FROM payments WHERE tenant_id = ? AND destination_account_id = ?)`,
			tenantID, *f.AccountID, tenantID, *f.AccountID)
		sortKey = "+" + key
	case f.AccountID != nil && key == "created_at":
		// The account's payments are those it sends and those it receives
		// but does not send: two disjoint ranges of its indexes, both in the
		// sort's order, which UNION ALL under one ORDER BY merges and stops
		// at the page. An OR of the two would read both in full and sort
		// them, or walk the tenant's sort index for the account's rows. Each
		// branch is a subquery with its own ORDER BY: SQLite flattens it
		// into a merge of the two indexes (MERGE (UNION ALL)), and
		// PostgreSQL then sees two ordered inputs to merge (Merge Append),
		// where a plain UNION ALL gets an Append and a Sort of every row.
		dst := paymentFilterQuery(tenantID, f, key)
		branches[0].add("source_account_id = ?", *f.AccountID)
		dst.add("destination_account_id = ? AND source_account_id <> ?", *f.AccountID, *f.AccountID)
		branches = append(branches, dst)
	case f.AccountID != nil:
		// By amount, an account with many payments is checked on the rows of
		// payments_amount, like a status (plans_test.go holds SQLite to it),
		// and finds a page soon. An index of each account's payments by
		// amount would cost every payment two more index entries, at the
		// heart of AcceptToken (see docs/decisions.md, "Reads at a million
		// rows").
		branches[0].add("(source_account_id = ? OR destination_account_id = ?)", *f.AccountID, *f.AccountID)
	}
	order := fmt.Sprintf(" ORDER BY %s %s, id %s", sortKey, dir, dir)
	var st statement
	for i, q := range branches {
		if f.After != "" {
			cond, args := paymentCursor(tenantID, f, sortKey, dir, bound)
			q.add(cond, args...)
		}
		sel := `SELECT ` + paymentColumns + ` FROM payments WHERE ` + q.clause()
		if len(branches) > 1 {
			sel = fmt.Sprintf(`SELECT * FROM (%s%s) AS b%d`, sel, order, i)
		}
		if i > 0 {
			st.query += " UNION ALL "
		}
		st.query += sel
		st.args = append(st.args, q.args...)
	}
	st.query += order
	if n > 0 {
		st.query += " LIMIT ?"
		st.args = append(st.args, n)
	}
	return st, nil
}

// paymentsCount returns the statement that counts the payments f selects,
// whatever its page.
func paymentsCount(tenantID string, f paykit.PaymentFilter) statement {
	q := paymentFilterQuery(tenantID, f, "")
	if f.AccountID != nil {
		q.add("(source_account_id = ? OR destination_account_id = ?)", *f.AccountID, *f.AccountID)
	}
	return statement{`SELECT COUNT(*) FROM payments WHERE ` + q.clause(), q.args}
}

// paymentSort returns the sort key and direction of sort.
func paymentSort(sort paykit.PaymentSort) (key, dir string, err error) {
	switch sort {
	case "", paykit.PaymentSortCreatedAsc:
		return "created_at", "ASC", nil
	case paykit.PaymentSortCreatedDesc:
		return "created_at", "DESC", nil
	case paykit.PaymentSortAmountAsc:
		return "amount_minor", "ASC", nil
	case paykit.PaymentSortAmountDesc:
		return "amount_minor", "DESC", nil
	}
	msg := fmt.Sprintf("Unknown sort %q.", sort)
	return "", "", &paykit.Error{Code: paykit.EINVALID, Message: msg, Fields: map[string]string{"sort": msg}}
}

// paymentCursor returns the condition of the rows after f.After in the order
// of key and dir, and its arguments: after the cursor row's own sort key,
// looked up in the same tenant, so that a row value comparison walks the
// (tenant_id, key, id) index from there. Under a created_at sort, bound, the
// bound of f's window on the same side, joins it (paymentsSelect leaves it
// out of the filters): an index range has one lower and one upper bound, and
// a second condition on the same side would leave the planner to pick either,
// and to read from the window's start to the cursor when it picks the
// window's. As every ID is longer than ”, created_at >= from is the row
// value bound (created_at, id) > (from, ”), and the tighter one is kept.
func paymentCursor(tenantID string, f paykit.PaymentFilter, key, dir string, bound *time.Time) (string, []any) {
	cmp, in := ">", ">="
	if dir == "DESC" {
		cmp, in = "<", "<"
	}
	if bound == nil {
		return fmt.Sprintf("(%[1]s, id) %[2]s (SELECT %[1]s, id FROM payments WHERE tenant_id = ? AND id = ?)", key, cmp),
			[]any{tenantID, f.After}
	}
	b := micros(*bound)
	return fmt.Sprintf(`(created_at, id) %[1]s (SELECT CASE WHEN created_at %[2]s ? THEN created_at ELSE ? END,
		CASE WHEN created_at %[2]s ? THEN id ELSE '' END FROM payments WHERE tenant_id = ? AND id = ?)`, cmp, in),
		[]any{b, b, b, tenantID, f.After}
}

// paymentFilterQuery is the WHERE clause of f's filters, the account and the
// cursor aside. Under a sort by another key than created_at (key), or for an
// account, f's window is checked on the rows rather than read from an index
// (see paymentsSelect).
func paymentFilterQuery(tenantID string, f paykit.PaymentFilter, key string) *query {
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
	created := "created_at"
	if key != "" && (key != "created_at" || f.AccountID != nil) {
		created = "+created_at"
	}
	if f.CreatedFrom != nil {
		q.add(created+" >= ?", micros(*f.CreatedFrom))
	}
	if f.CreatedUntil != nil {
		q.add(created+" < ?", micros(*f.CreatedUntil))
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
