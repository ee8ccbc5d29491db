package paykit

import (
	"slices"
	"strings"
)

// The values of the payment enums, each checked by one Valid and parsed by one
// Parse function, so that no dialect re-declares a list: dialects parse their
// query parameters with them, and the Service checks its filters. (This file
// keeps them apart from payments.go while the lifecycles are reworked; each
// belongs beside its constants.)

var (
	paymentTypes    = []PaymentType{PaymentTypeDeposit, PaymentTypeTransfer, PaymentTypeWithdrawal}
	paymentStatuses = []PaymentStatus{PaymentStatusPending, PaymentStatusProcessing, PaymentStatusCompleted,
		PaymentStatusCanceled, PaymentStatusFailed}
	paymentSorts     = []PaymentSort{PaymentSortCreatedAsc, PaymentSortCreatedDesc, PaymentSortAmountAsc, PaymentSortAmountDesc}
	deliveryStatuses = []DeliveryStatus{DeliveryStatusPending, DeliveryStatusSucceeded, DeliveryStatusFailed}
)

// Valid reports whether t is one of the PaymentType constants.
func (t PaymentType) Valid() bool { return slices.Contains(paymentTypes, t) }

// ParsePaymentType returns the PaymentType s names, exactly. It returns
// EINVALID naming field for any other s.
func ParsePaymentType(field, s string) (PaymentType, error) {
	return parseEnum(field, "Type", s, paymentTypes)
}

// ParsePaymentStatus returns the PaymentStatus s names, exactly. It returns
// EINVALID naming field for any other s.
func ParsePaymentStatus(field, s string) (PaymentStatus, error) {
	return parseEnum(field, "Status", s, paymentStatuses)
}

// Valid reports whether o is one of the PaymentSort constants; the empty sort,
// which lists take as PaymentSortCreatedAsc, is not one.
func (o PaymentSort) Valid() bool { return slices.Contains(paymentSorts, o) }

// ParsePaymentSort returns the PaymentSort s names, exactly. It returns
// EINVALID naming field for any other s.
func ParsePaymentSort(field, s string) (PaymentSort, error) {
	return parseEnum(field, "Sort", s, paymentSorts)
}

// ParseDeliveryStatus returns the DeliveryStatus s names, exactly. It returns
// EINVALID naming field for any other s.
func ParseDeliveryStatus(field, s string) (DeliveryStatus, error) {
	return parseEnum(field, "Status", s, deliveryStatuses)
}

// parseEnum returns s as an E when it is one of values, and otherwise an
// EINVALID for field that lists them: "<noun> must be one of a, b, c.".
func parseEnum[E ~string](field, noun, s string, values []E) (E, error) {
	if e := E(s); slices.Contains(values, e) {
		return e, nil
	}
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	return "", invalid(field, "%s must be one of %s.", noun, strings.Join(names, ", "))
}
