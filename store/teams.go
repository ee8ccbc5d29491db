package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/paykit/paykit"
)

func (t *tx) CreateBillingAccount(ctx context.Context, b *paykit.BillingAccount) error {
	return t.insert(ctx, "A billing account with this ID already exists.", "create billing account "+b.ID,
		`INSERT INTO billing_accounts (id, name, created_at) VALUES (?, ?, ?)`, b.ID, b.Name, micros(b.CreatedAt))
}

func (t *view) FindBillingAccountByID(ctx context.Context, id string) (*paykit.BillingAccount, error) {
	var r struct {
		ID        string `db:"id"`
		Name      string `db:"name"`
		CreatedAt int64  `db:"created_at"`
	}
	if err := t.get(ctx, &r, `SELECT id, name, created_at FROM billing_accounts WHERE id = ?`, id); err != nil {
		return nil, notFound(err, "Billing account not found.", "find billing account "+id)
	}
	return &paykit.BillingAccount{ID: r.ID, Name: r.Name, CreatedAt: fromMicros(r.CreatedAt)}, nil
}

const teamColumns = `tenant_id, name, billing_account_id, master, metadata, split, fiscal, created_at, updated_at`

type teamRow struct {
	TenantID         string `db:"tenant_id"`
	Name             string `db:"name"`
	BillingAccountID string `db:"billing_account_id"`
	Master           bool   `db:"master"`
	Metadata         string `db:"metadata"`
	Split            string `db:"split"`
	Fiscal           string `db:"fiscal"` // JSON of paykit.FiscalIdentity, or '' for none
	CreatedAt        int64  `db:"created_at"`
	UpdatedAt        int64  `db:"updated_at"`
}

func (r *teamRow) team() (*paykit.Team, error) {
	tm := &paykit.Team{TenantID: r.TenantID, Name: r.Name, BillingAccountID: r.BillingAccountID, Master: r.Master,
		Metadata: json.RawMessage(r.Metadata), CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}
	if err := json.Unmarshal([]byte(r.Split), &tm.Split); err != nil {
		return nil, fmt.Errorf("team %s: split: %w", r.TenantID, err)
	}
	if r.Fiscal != "" {
		tm.Fiscal = new(paykit.FiscalIdentity)
		if err := json.Unmarshal([]byte(r.Fiscal), tm.Fiscal); err != nil {
			return nil, fmt.Errorf("team %s: fiscal: %w", r.TenantID, err)
		}
	}
	return tm, nil
}

func (t *tx) PutTeam(ctx context.Context, tm *paykit.Team) error {
	split, err := json.Marshal(tm.Split)
	if err != nil {
		return fmt.Errorf("put team %s: %w", tm.TenantID, err)
	}
	var fiscal []byte
	if tm.Fiscal != nil {
		if fiscal, err = json.Marshal(tm.Fiscal); err != nil {
			return fmt.Errorf("put team %s: %w", tm.TenantID, err)
		}
	}
	_, err = t.exec(ctx, `INSERT INTO teams (`+teamColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET name = excluded.name, billing_account_id = excluded.billing_account_id,
			master = excluded.master, metadata = excluded.metadata, split = excluded.split, fiscal = excluded.fiscal,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		tm.TenantID, tm.Name, tm.BillingAccountID, tm.Master, string(tm.Metadata), string(split), string(fiscal),
		micros(tm.CreatedAt), micros(tm.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put team %s: %w", tm.TenantID, err)
	}
	return nil
}

func (t *view) FindTeam(ctx context.Context, tenantID string) (*paykit.Team, error) {
	var r teamRow
	if err := t.get(ctx, &r, `SELECT `+teamColumns+` FROM teams WHERE tenant_id = ?`, tenantID); err != nil {
		return nil, notFound(err, "Team not found.", "find team "+tenantID)
	}
	return r.team()
}

func (t *view) FindTeams(ctx context.Context, f paykit.TeamFilter) ([]*paykit.Team, error) {
	q := newQuery("billing_account_id = ? AND billing_account_id <> ''", f.BillingAccountID)
	if f.MetadataKey != "" {
		cond, args := t.db.dialect.jsonStringMember("metadata", f.MetadataKey, f.MetadataValue)
		q.add(cond, args...)
	}
	q.add("tenant_id > ?", f.After)
	var rows []teamRow
	err := t.selectAll(ctx, &rows, `SELECT `+teamColumns+` FROM teams WHERE `+q.clause()+` ORDER BY tenant_id LIMIT ?`,
		append(q.args, limit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("find teams: %w", err)
	}
	out := make([]*paykit.Team, len(rows))
	for i := range rows {
		tm, err := rows[i].team()
		if err != nil {
			return nil, err
		}
		out[i] = tm
	}
	return out, nil
}
