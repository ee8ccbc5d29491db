package paykit

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The chain registries that RudiqPay's payments refer to: networks (a UUID
// for a chain id), the currencies on them (an ERC-20 token each) and the
// escrow contract per network. They are paykit-wide, like the currency
// table, not any tenant's: every tenant pays on the same chains. The host
// configures them with Service methods, and plugs in, per network, the Chain
// that reaches it (WithChain); the two must agree (the chain id, the
// contract's address), which chainOf checks before any use.

// Network is a blockchain network: Ethereum mainnet, Polygon, a test chain.
type Network struct {
	ID        string    `json:"id"`      // a UUID: the network_id payments name
	ChainID   uint64    `json:"chainId"` // its EIP-155 chain id, which the widget shows
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// NetworkCreate is the input of CreateNetwork.
type NetworkCreate struct {
	ID      string `json:"id"` // optional: a UUID; a new one by default
	ChainID uint64 `json:"chainId"`
	Name    string `json:"name"`
}

// ChainCurrency is a currency payments are priced in on a network: an ERC-20
// token. Its Symbol is its asset in the ledger, which keeps amounts in minor
// units of the currency table's scale; so the symbol must be an asset of the
// table (USDT, USDC ...) whose scale is the token's Decimals, and every
// amount is exact from the payment to the chain and back.
type ChainCurrency struct {
	ID           string    `json:"id"` // a UUID: the currency_id payments name
	NetworkID    string    `json:"networkId"`
	Symbol       Currency  `json:"symbol"`       // USDT
	TokenAddress string    `json:"tokenAddress"` // the ERC-20 contract, 0x-hex
	Decimals     int32     `json:"decimals"`     // the token's: 6 for USDT
	CreatedAt    time.Time `json:"createdAt"`
}

// ChainCurrencyCreate is the input of CreateChainCurrency.
type ChainCurrencyCreate struct {
	ID           string `json:"id"` // optional: a UUID; a new one by default
	NetworkID    string `json:"networkId"`
	Symbol       string `json:"symbol"`
	TokenAddress string `json:"tokenAddress"`
	Decimals     int32  `json:"decimals"`
}

// ChainContract is the escrow contract of a network, at most one per network:
// the diamond_address of its payments. It also holds the contract's two
// counters: NextDealID, the deal id the next payment gets (ids are never
// reused on a contract), and Cursor, how far its events have been applied.
type ChainContract struct {
	ID         string    `json:"id"`
	NetworkID  string    `json:"networkId"`
	Address    string    `json:"address"`
	NextDealID DealID    `json:"nextDealId"`
	Cursor     string    `json:"cursor"` // the Chain's Events cursor; "" before the first read
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// ChainContractCreate is the input of CreateChainContract.
type ChainContractCreate struct {
	ID        string `json:"id"` // optional: a UUID; a new one by default
	NetworkID string `json:"networkId"`
	Address   string `json:"address"`
	// FirstDealID is the deal id of the first payment (default 1). A contract
	// that another database's payments used already continues after theirs.
	FirstDealID DealID `json:"firstDealId"`
}

// WithChain sets the Chain that reaches the network networkID (a Network's
// ID): web3 payments on that network are handed to it, and its events move
// them. Its Info must match the registries: the network's chain id and the
// address of the network's contract.
func WithChain(networkID string, c Chain) Option {
	return func(s *Service) {
		if s.chains == nil {
			s.chains = map[string]Chain{}
		}
		s.chains[networkID] = c
	}
}

// Chain returns the Chain configured for the network networkID.
func (s *Service) Chain(networkID string) (Chain, bool) {
	c, ok := s.chains[networkID]
	return c, ok
}

// CreateNetwork registers a network. Returns EINVALID for a blank name, a
// zero chain id or an ID that is not a UUID, and ECONFLICT for an ID or a
// chain id in use.
func (s *Service) CreateNetwork(ctx context.Context, in NetworkCreate) (*Network, error) {
	var v Validation
	id := checkRegistryID(&v, in.ID)
	if strings.TrimSpace(in.Name) == "" {
		v.Add("name", msgRequired)
	}
	if in.ChainID == 0 {
		v.Add("chainId", "A chain id must be greater than zero.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	n := &Network{ID: id, ChainID: in.ChainID, Name: strings.TrimSpace(in.Name)}
	return inTx(ctx, s.store, func(tx Tx) (*Network, error) {
		n.CreatedAt = s.now()
		return n, tx.CreateNetwork(ctx, n)
	})
}

// CreateChainCurrency registers a currency on a network. Returns EINVALID for
// an unknown network, a token address that is not an address, a symbol that
// is not an asset of the currency table or whose scale is not Decimals, and
// ECONFLICT for an ID in use or a token already registered on the network.
func (s *Service) CreateChainCurrency(ctx context.Context, in ChainCurrencyCreate) (*ChainCurrency, error) {
	var v Validation
	id := checkRegistryID(&v, in.ID)
	sym, err := ParseCurrency("symbol", in.Symbol)
	if err != nil {
		v.Add("symbol", ErrorMessage(err))
	} else if sym.Scale() != in.Decimals {
		v.Add("decimals", fmt.Sprintf("The ledger keeps %s to %d decimals; the token must have as many.", sym, sym.Scale()))
	}
	if !IsChainAddress(in.TokenAddress) || isZeroAddress(in.TokenAddress) {
		v.Add("tokenAddress", msgChainAddress)
	}
	if in.NetworkID == "" {
		v.Add("networkId", msgRequired)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	c := &ChainCurrency{ID: id, NetworkID: in.NetworkID, Symbol: sym, TokenAddress: in.TokenAddress, Decimals: in.Decimals}
	return inTx(ctx, s.store, func(tx Tx) (*ChainCurrency, error) {
		if _, err := tx.FindNetworkByID(ctx, in.NetworkID); ErrorCode(err) == ENOTFOUND {
			return nil, invalid("networkId", "Network %q does not exist.", in.NetworkID)
		} else if err != nil {
			return nil, err
		}
		c.CreatedAt = s.now()
		return c, tx.CreateChainCurrency(ctx, c)
	})
}

// CreateChainContract registers the escrow contract of a network. Returns
// EINVALID for an unknown network, an address that is not one or a
// FirstDealID above MaxSafeDealID, and ECONFLICT for an ID in use or a
// network that has a contract.
func (s *Service) CreateChainContract(ctx context.Context, in ChainContractCreate) (*ChainContract, error) {
	var v Validation
	id := checkRegistryID(&v, in.ID)
	if !IsChainAddress(in.Address) || isZeroAddress(in.Address) {
		v.Add("address", msgChainAddress)
	}
	if in.FirstDealID > MaxSafeDealID {
		v.Add("firstDealId", fmt.Sprintf("At most %d.", MaxSafeDealID))
	}
	if in.NetworkID == "" {
		v.Add("networkId", msgRequired)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	c := &ChainContract{ID: id, NetworkID: in.NetworkID, Address: in.Address, NextDealID: max(in.FirstDealID, 1)}
	return inTx(ctx, s.store, func(tx Tx) (*ChainContract, error) {
		if _, err := tx.FindNetworkByID(ctx, in.NetworkID); ErrorCode(err) == ENOTFOUND {
			return nil, invalid("networkId", "Network %q does not exist.", in.NetworkID)
		} else if err != nil {
			return nil, err
		}
		now := s.now()
		c.CreatedAt, c.UpdatedAt = now, now
		return c, tx.CreateChainContract(ctx, c)
	})
}

// FindNetworkByID returns a network. Returns ENOTFOUND.
func (s *Service) FindNetworkByID(ctx context.Context, id string) (*Network, error) {
	return s.store.FindNetworkByID(ctx, id)
}

// FindChainCurrencyByID returns a currency. Returns ENOTFOUND.
func (s *Service) FindChainCurrencyByID(ctx context.Context, id string) (*ChainCurrency, error) {
	return s.store.FindChainCurrencyByID(ctx, id)
}

// FindChainContract returns the contract of the network networkID. Returns
// ENOTFOUND.
func (s *Service) FindChainContract(ctx context.Context, networkID string) (*ChainContract, error) {
	return s.store.FindChainContractByNetwork(ctx, networkID)
}

// checkRegistryID returns id, or a new UUID when it is empty, recording in v
// an id that is not a UUID.
func checkRegistryID(v *Validation, id string) string {
	if id == "" {
		return newID()
	}
	if !isUUID(id) {
		v.Add("id", msgUUID)
	}
	return id
}

// chainOf returns the contract of the network networkID and the Chain that
// reaches it, checking that the two agree. Returns EINVALID on the field
// "networkId" when the network has no contract or no Chain is configured for
// it, and an internal error when the Chain is another network's or another
// contract's (the host's configuration is wrong).
func (s *Service) chainOf(ctx context.Context, st Store, network *Network) (*ChainContract, Chain, error) {
	c, err := st.FindChainContractByNetwork(ctx, network.ID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, invalid("networkId", "Network %s has no contract for web3 payments.", network.ID)
	} else if err != nil {
		return nil, nil, err
	}
	ch, ok := s.chains[network.ID]
	if !ok {
		return nil, nil, invalid("networkId", "No chain is configured for network %s.", network.ID)
	}
	if err := checkChain(network, c, ch); err != nil {
		return nil, nil, err
	}
	return c, ch, nil
}

// checkChain returns an error unless ch is the chain of network n, with the
// contract c.
func checkChain(n *Network, c *ChainContract, ch Chain) error {
	info := ch.Info()
	if info.ChainID != n.ChainID || !strings.EqualFold(info.Contract, c.Address) {
		return fmt.Errorf("the chain configured for network %s is chain %d with contract %s, not chain %d with contract %s",
			n.ID, info.ChainID, info.Contract, n.ChainID, c.Address)
	}
	return nil
}

// NetworkStore reads the chain registries. They belong to no tenant.
type NetworkStore interface {
	FindNetworkByID(ctx context.Context, id string) (*Network, error)
	FindChainCurrencyByID(ctx context.Context, id string) (*ChainCurrency, error)
	FindChainContractByNetwork(ctx context.Context, networkID string) (*ChainContract, error)
	FindChainContractByID(ctx context.Context, id string) (*ChainContract, error)
}

// NetworkTx writes the chain registries and the contracts' counters.
type NetworkTx interface {
	// CreateNetwork inserts n; ECONFLICT when its ID or its chain id is taken.
	CreateNetwork(ctx context.Context, n *Network) error
	// CreateChainCurrency inserts c; ECONFLICT when its ID, or its token on
	// its network, is taken.
	CreateChainCurrency(ctx context.Context, c *ChainCurrency) error
	// CreateChainContract inserts c; ECONFLICT when its ID is taken or its
	// network has a contract.
	CreateChainContract(ctx context.Context, c *ChainContract) error
	// TakeDealID returns the contract's NextDealID and increments it, at once:
	// two transactions never get the same id. Returns ENOTFOUND.
	TakeDealID(ctx context.Context, contractID string) (DealID, error)
	// UpdateChainCursor sets the contract's Cursor to to if it is from, and
	// returns ECONFLICT otherwise (another process applied those events).
	UpdateChainCursor(ctx context.Context, contractID, from, to string, now time.Time) error
}
