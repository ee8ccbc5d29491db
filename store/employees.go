package store

import (
	"context"
	"fmt"

	"github.com/paykit/paykit"
)

const employeeColumns = `uid, tenant_id, id, name, email, cellphone_number, country, metadata, status, created_at,
	notified_at, claimed_at, verified_at, resent_at, updated_at`

type employeeRow struct {
	UID             string `db:"uid"`
	TenantID        string `db:"tenant_id"`
	ID              string `db:"id"`
	Name            string `db:"name"`
	Email           string `db:"email"`
	CellphoneNumber string `db:"cellphone_number"`
	Country         string `db:"country"`
	Metadata        string `db:"metadata"`
	Status          string `db:"status"`
	CreatedAt       int64  `db:"created_at"`
	NotifiedAt      *int64 `db:"notified_at"`
	ClaimedAt       *int64 `db:"claimed_at"`
	VerifiedAt      *int64 `db:"verified_at"`
	ResentAt        *int64 `db:"resent_at"`
	UpdatedAt       int64  `db:"updated_at"`
}

func (r *employeeRow) employee() *paykit.Employee {
	return &paykit.Employee{
		UID: r.UID, TenantID: r.TenantID, ID: r.ID, Name: r.Name, Email: r.Email, CellphoneNumber: r.CellphoneNumber,
		Country: r.Country, Metadata: []byte(r.Metadata), Status: paykit.EmployeeStatus(r.Status),
		CreatedAt: fromMicros(r.CreatedAt), NotifiedAt: fromMicrosPtr(r.NotifiedAt), ClaimedAt: fromMicrosPtr(r.ClaimedAt),
		VerifiedAt: fromMicrosPtr(r.VerifiedAt), ResentAt: fromMicrosPtr(r.ResentAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}
}

// employeeSearch is the search text of e: what FindEmployees' Search matches,
// and FindPayouts' with its payouts' descriptions.
func employeeSearch(e *paykit.Employee) string {
	return searchText(e.Name, e.Email, e.CellphoneNumber)
}

func (t *tx) CreateEmployee(ctx context.Context, e *paykit.Employee) error {
	return t.insert(ctx, "An employee with this ID already exists.", "create employee "+e.UID,
		`INSERT INTO employees (`+employeeColumns+`, search, email_fold)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.UID, e.TenantID, e.ID, e.Name, e.Email, e.CellphoneNumber, e.Country, metadataText(e.Metadata),
		string(e.Status), micros(e.CreatedAt), microsPtr(e.NotifiedAt), microsPtr(e.ClaimedAt),
		microsPtr(e.VerifiedAt), microsPtr(e.ResentAt), micros(e.UpdatedAt), employeeSearch(e), fold(e.Email))
}

func (t *view) FindEmployeeByUID(ctx context.Context, tenantID, uid string) (*paykit.Employee, error) {
	var r employeeRow
	if err := t.get(ctx, &r, `SELECT `+employeeColumns+` FROM employees WHERE tenant_id = ? AND uid = ?`, tenantID, uid); err != nil {
		return nil, notFound(err, "Employee not found.", "find employee "+uid)
	}
	return r.employee(), nil
}

func (t *view) FindEmployeeByID(ctx context.Context, tenantID, id string) (*paykit.Employee, error) {
	var r employeeRow
	if err := t.get(ctx, &r, `SELECT `+employeeColumns+` FROM employees WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, notFound(err, "Employee not found.", "find employee by id "+id)
	}
	return r.employee(), nil
}

func (t *view) FindEmployees(ctx context.Context, tenantID string, f paykit.EmployeeFilter) ([]*paykit.Employee, int, error) {
	rows, n, err := list[employeeRow](ctx, t, employeeList, employeesQuery(tenantID, f), f.ListPage)
	if err != nil {
		return nil, 0, fmt.Errorf("find employees: %w", err)
	}
	out := make([]*paykit.Employee, len(rows))
	for i := range rows {
		out[i] = rows[i].employee()
	}
	return out, n, nil
}

// employeeList is the Gigapay list of employees.
var employeeList = listSpec{columns: employeeColumns, from: "employees", created: "created_at", uid: "uid",
	counted: "employees"}

// employeesQuery returns the conditions of f. An email or a cellphone number
// selects its employees by its index; every other filter is checked on the
// rows employees_created yields, newest first (see plans_test.go).
func employeesQuery(tenantID string, f paykit.EmployeeFilter) *query {
	q := newQuery("tenant_id = ?", tenantID)
	q.search(f.Search, "search")
	if f.Email != nil {
		q.add("email <> '' AND email_fold = ?", fold(*f.Email))
	}
	if f.CellphoneNumber != nil {
		q.add("cellphone_number <> '' AND cellphone_number = ?", *f.CellphoneNumber)
	}
	q.timeFilter("created_at", f.CreatedAt)
	q.timeFilter("notified_at", f.NotifiedAt)
	q.timeFilter("claimed_at", f.ClaimedAt)
	q.timeFilter("verified_at", f.VerifiedAt)
	return q
}

func (t *tx) UpdateEmployee(ctx context.Context, e *paykit.Employee) error {
	search := employeeSearch(e)
	res, err := t.exec(ctx, `UPDATE employees SET id = ?, name = ?, email = ?, cellphone_number = ?, country = ?,
		metadata = ?, status = ?, notified_at = ?, claimed_at = ?, verified_at = ?, resent_at = ?, updated_at = ?,
		search = ?, email_fold = ? WHERE tenant_id = ? AND uid = ?`,
		e.ID, e.Name, e.Email, e.CellphoneNumber, e.Country, metadataText(e.Metadata), string(e.Status),
		microsPtr(e.NotifiedAt), microsPtr(e.ClaimedAt), microsPtr(e.VerifiedAt), microsPtr(e.ResentAt),
		micros(e.UpdatedAt), search, fold(e.Email), e.TenantID, e.UID)
	if err != nil {
		return conflict(err, "An employee with this ID already exists.", "update employee "+e.UID)
	}
	if err := affected(res, "Employee not found."); err != nil {
		return err
	}
	// Their payouts keep a copy of the search text (see CreatePayout).
	_, err = t.exec(ctx, `UPDATE payouts SET employee_search = ? WHERE employee_uid = ? AND employee_search <> ?`,
		search, e.UID, search)
	if err != nil {
		return fmt.Errorf("update employee %s: payouts: %w", e.UID, err)
	}
	return nil
}

func (t *tx) DeleteEmployee(ctx context.Context, tenantID, uid string) error {
	res, err := t.exec(ctx, `DELETE FROM employees WHERE tenant_id = ? AND uid = ?`, tenantID, uid)
	if err != nil {
		return foreignKey(err, "Employee has payouts.", "delete employee "+uid)
	}
	return affected(res, "Employee not found.")
}
