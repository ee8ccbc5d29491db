-- 020_rudiqpay: RudiqPay's nodes and the keys bound to them, the chain
-- registries (networks, currencies, contracts) and web3 payments. Times are
-- INTEGER unix microseconds UTC; money is INTEGER minor units plus a currency
-- code. (Numbered 020 to stay clear of the migrations other work may add.)

-- A tenant's tree. parent_id is '' for a root.
CREATE TABLE nodes (
	tenant_id  TEXT NOT NULL REFERENCES tenants (id),
	id         TEXT NOT NULL,
	parent_id  TEXT NOT NULL DEFAULT '',
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- The API keys bound to a node (integrations).
CREATE TABLE node_keys (
	api_key_id TEXT PRIMARY KEY REFERENCES api_keys (id),
	tenant_id  TEXT NOT NULL,
	node_id    TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	FOREIGN KEY (tenant_id, node_id) REFERENCES nodes (tenant_id, id)
) STRICT;

-- The chain registries belong to no tenant.
CREATE TABLE networks (
	id         TEXT PRIMARY KEY,
	chain_id   INTEGER NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE chain_currencies (
	id            TEXT PRIMARY KEY,
	network_id    TEXT NOT NULL REFERENCES networks (id),
	symbol        TEXT NOT NULL,
	token_address TEXT NOT NULL,
	decimals      INTEGER NOT NULL,
	created_at    INTEGER NOT NULL
) STRICT;

-- A token once per network, however its address is cased (EIP-55 or not).
CREATE UNIQUE INDEX chain_currencies_token ON chain_currencies (network_id, lower(token_address));

-- One escrow contract per network, with its counters: the next deal id, and
-- the cursor of the events applied.
CREATE TABLE chain_contracts (
	id           TEXT PRIMARY KEY,
	network_id   TEXT NOT NULL UNIQUE REFERENCES networks (id),
	address      TEXT NOT NULL,
	next_deal_id INTEGER NOT NULL,
	cursor       TEXT NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE web3_payments (
	id                  TEXT PRIMARY KEY,
	tenant_id           TEXT NOT NULL REFERENCES tenants (id),
	node_id             TEXT NOT NULL,
	external_id         TEXT NOT NULL,
	chain_id            TEXT NOT NULL DEFAULT '',
	network_id          TEXT NOT NULL REFERENCES networks (id),
	wallet_id           TEXT NOT NULL DEFAULT '',
	member_id           TEXT NOT NULL DEFAULT '',
	member              TEXT NOT NULL DEFAULT '{}', -- JSON object of strings
	currency_id         TEXT NOT NULL REFERENCES chain_currencies (id),
	currency            TEXT NOT NULL,
	price_minor         INTEGER NOT NULL,
	paid_price_minor    INTEGER NOT NULL,
	method              TEXT NOT NULL,
	payment_group       TEXT NOT NULL,
	payment_address     TEXT NOT NULL,
	items               TEXT NOT NULL DEFAULT '[]', -- JSON of []paykit.Web3PaymentItem
	metadata            TEXT NOT NULL DEFAULT '',
	expires_at          INTEGER NOT NULL,
	retry               INTEGER NOT NULL DEFAULT 0,
	retry_count         INTEGER NOT NULL DEFAULT 0,
	client_ip           TEXT NOT NULL DEFAULT '',
	status              TEXT NOT NULL,
	contract_id         TEXT NOT NULL DEFAULT '',
	deal_id             INTEGER NOT NULL DEFAULT 0,
	deal_tx_hash        TEXT NOT NULL DEFAULT '',
	deal_error          TEXT NOT NULL DEFAULT '',
	deal_opened_at      INTEGER,
	cancel_tx_hash      TEXT NOT NULL DEFAULT '',
	transaction_hash    TEXT NOT NULL DEFAULT '',
	payer               TEXT NOT NULL DEFAULT '',
	failure_reason      TEXT NOT NULL DEFAULT '',
	transfer_id         TEXT NOT NULL DEFAULT '',
	sent_at             INTEGER,
	completed_at        INTEGER,
	cancelled_at        INTEGER,
	access_token_hash   BLOB NOT NULL UNIQUE,
	access_token_sealed TEXT NOT NULL,
	lease_until         INTEGER,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	FOREIGN KEY (tenant_id, node_id) REFERENCES nodes (tenant_id, id)
) STRICT;

-- external_id is unique per node: the key that decides a race of creates.
CREATE UNIQUE INDEX web3_payments_external_id ON web3_payments (tenant_id, node_id, external_id);
-- A deal id is never reused on a contract; chain events find their payment
-- by it (and the widget by access_token_hash, UNIQUE above).
CREATE UNIQUE INDEX web3_payments_deal ON web3_payments (contract_id, deal_id) WHERE deal_id > 0;
-- Lists: a node's payments, newest first.
CREATE INDEX web3_payments_node ON web3_payments (tenant_id, node_id, created_at, id);
CREATE INDEX web3_payments_tenant ON web3_payments (tenant_id, created_at, id);
-- The expiry sweep, across tenants; only the rows that may expire are in it.
CREATE INDEX web3_payments_expiry ON web3_payments (expires_at, id) WHERE status IN ('pending', 'processing');
-- The background work, across tenants, by the status it is due on.
CREATE INDEX web3_payments_work ON web3_payments (status, created_at, id);
