package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/paykit/paykit"
)

// The chain registries.

func (t *tx) CreateNetwork(ctx context.Context, n *paykit.Network) error {
	return t.insert(ctx, "A network with this ID or chain id already exists.", "create network "+n.ID,
		`INSERT INTO networks (id, chain_id, name, created_at) VALUES (?, ?, ?, ?)`,
		n.ID, int64(n.ChainID), n.Name, micros(n.CreatedAt))
}

func (t *view) FindNetworkByID(ctx context.Context, id string) (*paykit.Network, error) {
	var r struct {
		ID        string `db:"id"`
		ChainID   int64  `db:"chain_id"`
		Name      string `db:"name"`
		CreatedAt int64  `db:"created_at"`
	}
	if err := t.get(ctx, &r, `SELECT id, chain_id, name, created_at FROM networks WHERE id = ?`, id); err != nil {
		return nil, notFound(err, "Network not found.", "find network "+id)
	}
	return &paykit.Network{ID: r.ID, ChainID: uint64(r.ChainID), Name: r.Name, CreatedAt: fromMicros(r.CreatedAt)}, nil
}

func (t *tx) CreateChainCurrency(ctx context.Context, c *paykit.ChainCurrency) error {
	return t.insert(ctx, "A currency with this ID, or this token on the network, already exists.", "create currency "+c.ID,
		`INSERT INTO chain_currencies (id, network_id, symbol, token_address, decimals, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.ID, c.NetworkID, string(c.Symbol), c.TokenAddress, c.Decimals, micros(c.CreatedAt))
}

func (t *view) FindChainCurrencyByID(ctx context.Context, id string) (*paykit.ChainCurrency, error) {
	var r struct {
		ID           string `db:"id"`
		NetworkID    string `db:"network_id"`
		Symbol       string `db:"symbol"`
		TokenAddress string `db:"token_address"`
		Decimals     int32  `db:"decimals"`
		CreatedAt    int64  `db:"created_at"`
	}
	err := t.get(ctx, &r, `SELECT id, network_id, symbol, token_address, decimals, created_at FROM chain_currencies WHERE id = ?`, id)
	if err != nil {
		return nil, notFound(err, "Currency not found.", "find currency "+id)
	}
	return &paykit.ChainCurrency{ID: r.ID, NetworkID: r.NetworkID, Symbol: paykit.Currency(r.Symbol),
		TokenAddress: r.TokenAddress, Decimals: r.Decimals, CreatedAt: fromMicros(r.CreatedAt)}, nil
}

const contractColumns = `id, network_id, address, next_deal_id, cursor, created_at, updated_at`

type contractRow struct {
	ID         string `db:"id"`
	NetworkID  string `db:"network_id"`
	Address    string `db:"address"`
	NextDealID int64  `db:"next_deal_id"`
	Cursor     string `db:"cursor"`
	CreatedAt  int64  `db:"created_at"`
	UpdatedAt  int64  `db:"updated_at"`
}

func (r *contractRow) contract() *paykit.ChainContract {
	return &paykit.ChainContract{ID: r.ID, NetworkID: r.NetworkID, Address: r.Address, NextDealID: paykit.DealID(r.NextDealID),
		Cursor: r.Cursor, CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt)}
}

func (t *tx) CreateChainContract(ctx context.Context, c *paykit.ChainContract) error {
	return t.insert(ctx, "A contract with this ID, or for this network, already exists.", "create contract "+c.ID,
		`INSERT INTO chain_contracts (`+contractColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.NetworkID, c.Address, int64(c.NextDealID), c.Cursor, micros(c.CreatedAt), micros(c.UpdatedAt))
}

func (t *view) findContract(ctx context.Context, what, where string, arg any) (*paykit.ChainContract, error) {
	var r contractRow
	if err := t.get(ctx, &r, `SELECT `+contractColumns+` FROM chain_contracts WHERE `+where, arg); err != nil {
		return nil, notFound(err, "Contract not found.", "find contract "+what)
	}
	return r.contract(), nil
}

func (t *view) FindChainContractByNetwork(ctx context.Context, networkID string) (*paykit.ChainContract, error) {
	return t.findContract(ctx, "of network "+networkID, `network_id = ?`, networkID)
}

func (t *view) FindChainContractByID(ctx context.Context, id string) (*paykit.ChainContract, error) {
	return t.findContract(ctx, id, `id = ?`, id)
}

func (t *tx) TakeDealID(ctx context.Context, contractID string) (paykit.DealID, error) {
	var next int64
	err := t.get(ctx, &next, `UPDATE chain_contracts SET next_deal_id = next_deal_id + 1 WHERE id = ? RETURNING next_deal_id - 1`, contractID)
	if err != nil {
		return 0, notFound(err, "Contract not found.", "take deal id of contract "+contractID)
	}
	return paykit.DealID(next), nil
}

func (t *tx) UpdateChainCursor(ctx context.Context, contractID, from, to string, now time.Time) error {
	res, err := t.exec(ctx, `UPDATE chain_contracts SET cursor = ?, updated_at = ? WHERE id = ? AND cursor = ?`,
		to, micros(now), contractID, from)
	if err != nil {
		return fmt.Errorf("update cursor of contract %s: %w", contractID, err)
	}
	if err := affected(res, ""); err != nil {
		return paykit.Errorf(paykit.ECONFLICT, "The cursor of contract %s is no longer %s.", contractID, strings.TrimSpace(from))
	}
	return nil
}
