// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Escrow: paykit's deal contract.
/// @notice It stands in for the gateway's EIP-2535 "diamond" at `diamond_address`:
/// one contract with the three calls a web3 payment needs. The gateway (the
/// operator's key, fixed at deployment) creates a deal and may cancel it; anyone
/// may pay it once, with exactly its price, before it expires.
/// @dev Funds are forwarded, not held: `deposit` moves the price straight from
/// the payer to the deal's payee with one `transferFrom`, so the contract never
/// has custody of a token and nothing can be stuck in it. A refund, if any, is
/// the payee's business off this contract.
contract Escrow {
    enum Status {
        None,
        Open,
        Paid,
        Cancelled
    }

    /// @dev Packed into four slots: token, expiresAt and status share one.
    struct Deal {
        address token;
        uint64 expiresAt;
        Status status;
        address payee;
        uint256 price;
        address payer;
    }

    /// @notice The operator's address: the only one that may create and cancel deals.
    address public immutable gateway;

    /// @notice Every deal by its id, chosen by the gateway (ids are never reused).
    mapping(uint256 => Deal) public deals;

    event DealCreated(
        uint256 indexed dealId, address indexed token, address indexed payee, uint256 price, uint64 expiresAt
    );
    event Deposited(uint256 indexed dealId, address indexed payer, uint256 amount);
    event DealCancelled(uint256 indexed dealId);

    error NotGateway();
    error InvalidDeal();
    error DealAlreadyExists(uint256 dealId);
    error UnknownDeal(uint256 dealId);
    error DealExpired(uint256 dealId);
    error DealAlreadyPaid(uint256 dealId);
    error DealIsCancelled(uint256 dealId);
    error WrongAmount(uint256 dealId, uint256 expected, uint256 amount);
    error TransferFailed();

    constructor(address gateway_) {
        if (gateway_ == address(0)) revert NotGateway();
        gateway = gateway_;
    }

    modifier onlyGateway() {
        if (msg.sender != gateway) revert NotGateway();
        _;
    }

    /// @notice Opens deal `dealId`: `price` base units of the ERC-20 `token`,
    /// paid to `payee`, until the unix time `expiresAt` (exclusive).
    function createDeal(uint256 dealId, address token, uint256 price, address payee, uint64 expiresAt)
        external
        onlyGateway
    {
        if (dealId == 0 || token.code.length == 0 || price == 0 || payee == address(0) || expiresAt <= block.timestamp)
        {
            revert InvalidDeal();
        }
        Deal storage d = deals[dealId];
        if (d.status != Status.None) revert DealAlreadyExists(dealId);
        d.token = token;
        d.expiresAt = expiresAt;
        d.status = Status.Open;
        d.payee = payee;
        d.price = price;
        emit DealCreated(dealId, token, payee, price, expiresAt);
    }

    /// @notice Pays deal `dealId`. The caller must first `approve` this
    /// contract for `amount` on the deal's token; `amount` must equal the price.
    function deposit(uint256 dealId, uint256 amount) external {
        Deal storage d = _open(dealId);
        if (block.timestamp >= d.expiresAt) revert DealExpired(dealId);
        if (amount != d.price) revert WrongAmount(dealId, d.price, amount);
        // Effects before the interaction: a re-entrant call finds the deal paid.
        d.status = Status.Paid;
        d.payer = msg.sender;
        _transferFrom(d.token, msg.sender, d.payee, amount);
        emit Deposited(dealId, msg.sender, amount);
    }

    /// @notice Cancels an open deal, expired or not; a paid deal stays paid.
    function cancelDeal(uint256 dealId) external onlyGateway {
        Deal storage d = _open(dealId);
        d.status = Status.Cancelled;
        emit DealCancelled(dealId);
    }

    function _open(uint256 dealId) private view returns (Deal storage d) {
        d = deals[dealId];
        if (d.status == Status.None) revert UnknownDeal(dealId);
        if (d.status == Status.Paid) revert DealAlreadyPaid(dealId);
        if (d.status == Status.Cancelled) revert DealIsCancelled(dealId);
    }

    /// @dev Accepts tokens that return true and tokens that return nothing
    /// (mainnet USDT); a token's own revert is passed on as it is.
    function _transferFrom(address token, address from, address to, uint256 amount) private {
        (bool ok, bytes memory ret) = token.call(abi.encodeWithSelector(0x23b872dd, from, to, amount));
        if (!ok) {
            if (ret.length == 0) revert TransferFailed();
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        if (ret.length != 0 && !abi.decode(ret, (bool))) revert TransferFailed();
    }
}
