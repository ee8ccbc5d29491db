package paykit

import (
	"context"
	"fmt"
)

// checkWeb3Payments records the breaches of the tenant's web3 payments (see
// CheckInvariants): a payment's status, method and group are known; a web3
// payment has a deal on a contract and no other has one; a completed payment
// has its deposit's transaction hash and a posted transfer of its paid price
// from the tenant's world account to its node's account, and no other has a
// transfer; a cancelled one has its cancellation time, a completed one its
// completion time; only a pending one has a creation failure; every payment
// has an access token.
func (s *Service) checkWeb3Payments(ctx context.Context, tenantID string, b *breaches) error {
	for offset := 0; ; offset += MaxLimit {
		ps, _, err := s.store.FindWeb3Payments(ctx, tenantID, Web3PaymentFilter{Offset: offset, Limit: MaxLimit})
		if err != nil {
			return err
		}
		for _, p := range ps {
			if err := s.checkWeb3Payment(ctx, b, p); err != nil {
				return err
			}
		}
		if len(ps) < MaxLimit {
			return nil
		}
	}
}

func (s *Service) checkWeb3Payment(ctx context.Context, b *breaches, p *Web3Payment) error {
	of := fmt.Sprintf("web3 payment %s (%s)", p.ID, p.Status)
	if !p.Status.Valid() {
		b.add("%s has an unknown status", of)
	}
	if !p.Method.Valid() || !p.Group.Valid() {
		b.add("%s has the unknown method %q or group %q", of, p.Method, p.Group)
	}
	if (p.Method == Web3PaymentMethodWeb3) != (p.DealID > 0 && p.ContractID != "") {
		b.add("%s paid by %s has the deal %d on contract %q", of, p.Method, p.DealID, p.ContractID)
	}
	if p.Method != Web3PaymentMethodWeb3 {
		switch p.Status {
		case Web3PaymentStatusPending, Web3PaymentStatusCancelled, Web3PaymentStatusExpired:
		default:
			b.add("%s is not paid on a chain, so it cannot be %s", of, p.Status)
		}
	}
	if len(p.AccessTokenHash) == 0 || p.AccessTokenSealed == "" {
		b.add("%s has no access token", of)
	}
	if p.DealError != "" && p.Status != Web3PaymentStatusPending {
		b.add("%s has a failed creation but is not pending", of)
	}
	if (p.Status == Web3PaymentStatusCancelled) != (p.CancelledAt != nil) {
		b.add("%s: cancellation time %v", of, p.CancelledAt)
	}
	if p.Status != Web3PaymentStatusCompleted {
		if p.TransferID != "" || p.CompletedAt != nil || p.TransactionHash != "" {
			b.add("%s has the transfer %q, a completion time or the deposit %q", of, p.TransferID, p.TransactionHash)
		}
		return nil
	}
	if p.TransactionHash == "" || p.CompletedAt == nil {
		b.add("%s has no deposit transaction hash or completion time", of)
	}
	t, err := s.findTransfer(ctx, p.TenantID, p.TransferID, of, b)
	if err != nil || t == nil {
		return err
	}
	world, err := s.store.FindAccountByCode(ctx, p.TenantID, accountCodeWorld, p.PaidPrice.Currency)
	if err != nil {
		return fmt.Errorf("%s: world account: %w", of, err)
	}
	node, err := s.store.FindAccountByCode(ctx, p.TenantID, accountCodeNode+p.NodeID, p.PaidPrice.Currency)
	if err != nil {
		return fmt.Errorf("%s: node account: %w", of, err)
	}
	checkTransfer(b, of, t, transferKindWeb3Payment, p.ID, p.PaidPrice, TransferStatusPosted, world.ID, node.ID)
	return nil
}
