package store

import (
	"database/sql"
	"time"

	"github.com/paykit/paykit"
)

// QueueLen returns how many InTx calls wait for a leader to take them.
func (d *DB) QueueLen() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queue)
}

// Batches returns how many write transactions d has run.
func (d *DB) Batches() uint64 { return d.batches.Load() }

// PoolStats returns the statistics of the read pool and the stream pool.
func (d *DB) PoolStats() (reader, streams sql.DBStats) { return d.reader.Stats(), d.streams.Stats() }

// Statement is a query of a list and its arguments, as the Store runs it, for
// plans_test.go to read its plan.
type Statement struct {
	SQL  string
	Args []any
}

func statements(sts ...statement) []Statement {
	out := make([]Statement, len(sts))
	for i, st := range sts {
		out[i] = Statement{st.query, st.args}
	}
	return out
}

// PaymentStatements returns the statements of FindPayments (FindAllPayments
// runs it without its LIMIT) and of FindPaymentPage's count.
func PaymentStatements(tenantID string, f paykit.PaymentFilter) ([]Statement, error) {
	page, err := paymentsSelect(tenantID, f, limit(f.Limit), false)
	if err != nil {
		return nil, err
	}
	return statements(page, paymentsCount(tenantID, f)), nil
}

// FewAccountPaymentStatements returns the statements of FindPayments for an
// account with few payments under an amount sort: the probe that counts
// them, and the page.
func FewAccountPaymentStatements(tenantID string, f paykit.PaymentFilter) ([]Statement, error) {
	page, err := paymentsSelect(tenantID, f, limit(f.Limit), true)
	if err != nil {
		return nil, err
	}
	return statements(accountPaymentsProbe(tenantID, *f.AccountID), page), nil
}

// PayoutStatements returns the count and the page statements of FindPayouts,
// for a list of n payouts.
func PayoutStatements(tenantID string, f paykit.PayoutFilter, n int) []Statement {
	l, q := payoutsQuery(tenantID, f)
	page, _ := l.page(q, f.ListPage, n)
	return statements(l.count(q), page)
}

// EmployeeStatements returns the count and the page statements of
// FindEmployees, for a list of n employees.
func EmployeeStatements(tenantID string, f paykit.EmployeeFilter, n int) []Statement {
	q := employeesQuery(tenantID, f)
	page, _ := employeeList.page(q, f.ListPage, n)
	return statements(employeeList.count(q), page)
}

// EventStatements returns the statement of FindEvents.
func EventStatements(tenantID string, f paykit.EventFilter) []Statement {
	return statements(eventsSelect(tenantID, f))
}

// DeliveryStatements returns the statement of FindDeliveries.
func DeliveryStatements(tenantID string, f paykit.DeliveryFilter) []Statement {
	return statements(deliveriesSelect(tenantID, f))
}

// DeliveryOutcomeStatements returns the statement of FindDeliveryOutcomes.
func DeliveryOutcomeStatements(tenantID string, from, to time.Time) []Statement {
	return statements(deliveryOutcomesSelect(tenantID, from, to))
}

// RequestStatements returns the statement of FindRequests.
func RequestStatements(tenantID string, f paykit.RequestFilter) []Statement {
	return statements(requestsSelect(tenantID, f))
}

// OnPostgres returns st as the Store runs it on PostgreSQL (see dialect).
func OnPostgres(st Statement) Statement {
	d := &dialect{postgres: true}
	return Statement{d.statement(st.SQL, false), d.args(st.Args)}
}
