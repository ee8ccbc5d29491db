package paykit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// EmployeeStatus is where an employee is in onboarding. Gigapay's wire shows
// it as the *_at timestamps, one per step.
type EmployeeStatus string

// Employee statuses, in the only order they can happen.
const (
	EmployeeStatusCreated  EmployeeStatus = "created"  // registered by the client
	EmployeeStatusNotified EmployeeStatus = "notified" // Gigapay sent the invitation (magic link)
	EmployeeStatusClaimed  EmployeeStatus = "claimed"  // the person opened the magic link
	EmployeeStatusVerified EmployeeStatus = "verified" // Gigapay verified identity and work permits
)

// Valid reports whether st is one of the employee statuses.
func (st EmployeeStatus) Valid() bool {
	switch st {
	case EmployeeStatusCreated, EmployeeStatusNotified, EmployeeStatusClaimed, EmployeeStatusVerified:
		return true
	}
	return false
}

// employeeLifecycle is the onboarding lifecycle: strictly created → notified
// → claimed → verified, and verification is never revoked.
var employeeLifecycle = lifecycle[EmployeeStatus]{
	next: map[EmployeeStatus][]EmployeeStatus{
		EmployeeStatusCreated:  {EmployeeStatusNotified},
		EmployeeStatusNotified: {EmployeeStatusClaimed},
		EmployeeStatusClaimed:  {EmployeeStatusVerified},
	},
	cannot:  "Employee %[1]q is %[2]s and cannot become %[3]s.",
	already: "Employee %[1]q is already %[3]s.",
}

// Events of employees, one per onboarding step.
const (
	EventEmployeeCreated  = "employee.created"
	EventEmployeeNotified = "employee.notified"
	EventEmployeeClaimed  = "employee.claimed"
	EventEmployeeVerified = "employee.verified"
)

// employeeEvents are the events of the moves moveEmployee makes.
var employeeEvents = map[EmployeeStatus]string{
	EmployeeStatusNotified: EventEmployeeNotified,
	EmployeeStatusClaimed:  EventEmployeeClaimed,
	EmployeeStatusVerified: EventEmployeeVerified,
}

// Employee is a person who does gigs for an integration's client and is paid
// through Gigapay.
type Employee struct {
	UID             string          `json:"uid"`      // surrogate key: stable when the client changes ID
	TenantID        string          `json:"tenantId"` // the integration
	ID              string          `json:"id"`       // the client's id, unique per integration
	Name            string          `json:"name"`     // full name
	Email           string          `json:"email,omitempty"`
	CellphoneNumber string          `json:"cellphoneNumber,omitempty"` // E.164
	Country         string          `json:"country"`                   // ISO 3166-1 alpha-3, like SWE
	Metadata        json.RawMessage `json:"metadata"`                  // any JSON; {} by default
	Status          EmployeeStatus  `json:"status"`
	CreatedAt       time.Time       `json:"createdAt"`
	NotifiedAt      *time.Time      `json:"notifiedAt,omitempty"`
	ClaimedAt       *time.Time      `json:"claimedAt,omitempty"`
	VerifiedAt      *time.Time      `json:"verifiedAt,omitempty"`
	ResentAt        *time.Time      `json:"resentAt,omitempty"` // the last time the client had the invitation resent
	UpdatedAt       time.Time       `json:"updatedAt"`
}

// EmployeeCreate is the input of CreateEmployee and ReplaceEmployee, and an
// inline employee of PayoutCreate.
type EmployeeCreate struct {
	ID              string          `json:"id"` // optional: a UUID by default
	Name            string          `json:"name"`
	Email           string          `json:"email"`           // email or cellphoneNumber is required
	CellphoneNumber string          `json:"cellphoneNumber"` // with country code: +46703000000
	Country         string          `json:"country"`         // ISO 3166-1 alpha-3
	Metadata        json.RawMessage `json:"metadata"`
}

// EmployeeUpdate is the input of UpdateEmployee; nil fields are left as they
// are, and an empty Email or CellphoneNumber clears it.
type EmployeeUpdate struct {
	ID              *string          `json:"id"`
	Name            *string          `json:"name"`
	Email           *string          `json:"email"`
	CellphoneNumber *string          `json:"cellphoneNumber"`
	Country         *string          `json:"country"`
	Metadata        *json.RawMessage `json:"metadata"`
}

// EmployeeFilter selects employees; nil fields match all. Lists are newest
// first.
type EmployeeFilter struct {
	Search          *string // part of the name, email or cellphone number, any case
	Email           *string // exactly this email, any case
	CellphoneNumber *string // exactly this number
	CreatedAt       TimeFilter
	NotifiedAt      TimeFilter
	ClaimedAt       TimeFilter
	VerifiedAt      TimeFilter
	ListPage
}

// ResendInterval is how often an invitation or a payout notification may be
// resent.
const ResendInterval = 24 * time.Hour

// maxName bounds names and descriptions, in characters.
const maxName = 255

// msgMaxName is the message of a name or description over maxName.
var msgMaxName = fmt.Sprintf("At most %d characters.", maxName)

// CreateEmployee registers an employee, which Gigapay then invites, and fires
// employee.created. Returns EINVALID (fields named as EmployeeCreate's JSON; an
// id in use is one, on "id") and ENOTFOUND for an unknown integration.
func (s *Service) CreateEmployee(ctx context.Context, tenantID string, in EmployeeCreate) (*Employee, error) {
	return write(ctx, s, tenantID, "employee.create", in, func(tx Tx, now time.Time) (*Employee, error) {
		var v Validation
		e := s.checkEmployeeCreate(ctx, tx, tenantID, in, "", &v)
		if err := v.Err(); err != nil {
			return nil, err
		}
		return e, s.createEmployee(ctx, tx, now, e)
	})
}

// checkEmployeeCreate validates in into v, with fields prefixed, and returns
// the employee it would create.
func (s *Service) checkEmployeeCreate(ctx context.Context, tx Store, tenantID string, in EmployeeCreate, prefix string, v *Validation) *Employee {
	e := &Employee{UID: newID(), TenantID: tenantID, ID: in.ID, Name: in.Name, Email: in.Email,
		CellphoneNumber: in.CellphoneNumber, Country: in.Country, Metadata: in.Metadata, Status: EmployeeStatusCreated}
	if e.ID == "" {
		e.ID = newID()
	}
	checkEmployee(v, prefix, e)
	if in.ID != "" && !v.Has(prefix+"id") {
		checkIDFree(ctx, v, prefix+"id", "employee", func() error { _, err := tx.FindEmployeeByID(ctx, tenantID, in.ID); return err })
	}
	return e
}

func (s *Service) createEmployee(ctx context.Context, tx Tx, now time.Time, e *Employee) error {
	e.CreatedAt, e.UpdatedAt = now, now
	if err := tx.CreateEmployee(ctx, e); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, e.TenantID, EventEmployeeCreated, e.UID, e)
}

// checkEmployee validates and normalizes e's client-set fields into v.
func checkEmployee(v *Validation, prefix string, e *Employee) {
	if err := checkClientID(prefix+"id", e.ID); err != nil {
		v.Add(prefix+"id", ErrorMessage(err))
	}
	e.Name = strings.TrimSpace(e.Name)
	switch {
	case e.Name == "":
		v.Add(prefix+"name", msgRequired)
	case utf8.RuneCountInString(e.Name) > maxName:
		v.Add(prefix+"name", msgMaxName)
	}
	e.Email = strings.TrimSpace(e.Email)
	if e.Email != "" && !validEmail(e.Email) {
		v.Add(prefix+"email", msgBadEmail)
	}
	if e.CellphoneNumber != "" {
		n, ok := normalizePhone(e.CellphoneNumber)
		if !ok {
			v.Add(prefix+"cellphoneNumber", "Not a phone number: give it with its country code, like +46703000000.")
		}
		e.CellphoneNumber = n
	}
	if e.Email == "" && e.CellphoneNumber == "" && !v.Has(prefix+"email") && !v.Has(prefix+"cellphoneNumber") {
		v.Add(prefix+FieldInput, "Either email or cellphoneNumber is required.")
	}
	e.Country = strings.ToUpper(strings.TrimSpace(e.Country))
	switch {
	case e.Country == "":
		v.Add(prefix+"country", msgRequired)
	case !isAlpha3(e.Country):
		v.Add(prefix+"country", strconv.Quote(e.Country)+" is not an ISO 3166-1 alpha-3 country code like SWE.")
	}
	e.Metadata = checkMetadata(v, prefix+"metadata", e.Metadata)
}

// normalizePhone returns n in E.164 (+ and 7 to 15 digits), dropping spaces,
// dashes, dots and parentheses and reading a leading 00 as +.
func normalizePhone(n string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(n) {
		switch {
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if strings.HasPrefix(out, "00") {
		out = "+" + out[2:]
	}
	if len(out) < 8 || len(out) > 16 || out[0] != '+' || out[1] == '0' {
		return n, false
	}
	for _, r := range out[1:] {
		if r < '0' || r > '9' {
			return n, false
		}
	}
	return out, true
}

// msgBadEmail is the message of an email that is not a bare address.
const msgBadEmail = "Not an email address."

// validEmail reports whether s is a bare email address.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254 && strings.Contains(s[strings.LastIndex(s, "@"):], ".")
}

func isAlpha3(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// checkIDFree adds "This id is taken by another <noun>." to field unless find
// reports ENOTFOUND.
func checkIDFree(ctx context.Context, v *Validation, field, noun string, find func() error) {
	err := find()
	switch ErrorCode(err) {
	case ENOTFOUND:
	case "":
		v.Add(field, "This id is taken by another "+noun+".")
	default:
		v.Add(field, "This id could not be checked.")
	}
}

// FindEmployeeByID returns the integration's employee with the client id id.
// Returns ENOTFOUND.
func (s *Service) FindEmployeeByID(ctx context.Context, tenantID, id string) (*Employee, error) {
	return s.store.FindEmployeeByID(ctx, tenantID, id)
}

// FindEmployees returns a page of the integration's employees, newest first,
// and how many f selects in all.
func (s *Service) FindEmployees(ctx context.Context, tenantID string, f EmployeeFilter) ([]*Employee, int, error) {
	f.Limit = clampLimit(f.Limit)
	return s.store.FindEmployees(ctx, tenantID, f)
}

// UpdateEmployee changes the fields of upd that are set, the id included.
// Returns ENOTFOUND and EINVALID.
func (s *Service) UpdateEmployee(ctx context.Context, tenantID, id string, upd EmployeeUpdate) (*Employee, error) {
	in := struct {
		ID  string
		Upd EmployeeUpdate
	}{id, upd}
	return write(ctx, s, tenantID, "employee.update", in, func(tx Tx, now time.Time) (*Employee, error) {
		e, err := tx.FindEmployeeByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if upd.ID != nil {
			e.ID = *upd.ID
		}
		if upd.Name != nil {
			e.Name = *upd.Name
		}
		if upd.Email != nil {
			e.Email = *upd.Email
		}
		if upd.CellphoneNumber != nil {
			e.CellphoneNumber = *upd.CellphoneNumber
		}
		if upd.Country != nil {
			e.Country = *upd.Country
		}
		if upd.Metadata != nil {
			e.Metadata = *upd.Metadata
		}
		return e, s.saveEmployee(ctx, tx, now, e, id)
	})
}

// ReplaceEmployee replaces every client-set field of an employee, as Gigapay's
// PUT does: the same required fields as CreateEmployee, and the id changed
// when in.ID is set. Returns ENOTFOUND and EINVALID.
func (s *Service) ReplaceEmployee(ctx context.Context, tenantID, id string, in EmployeeCreate) (*Employee, error) {
	args := struct {
		ID string
		In EmployeeCreate
	}{id, in}
	return write(ctx, s, tenantID, "employee.replace", args, func(tx Tx, now time.Time) (*Employee, error) {
		e, err := tx.FindEmployeeByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if in.ID != "" {
			e.ID = in.ID
		}
		e.Name, e.Email, e.CellphoneNumber, e.Country, e.Metadata = in.Name, in.Email, in.CellphoneNumber, in.Country, in.Metadata
		return e, s.saveEmployee(ctx, tx, now, e, id)
	})
}

// saveEmployee validates e, whose client id was oldID, and writes it.
func (s *Service) saveEmployee(ctx context.Context, tx Tx, now time.Time, e *Employee, oldID string) error {
	var v Validation
	checkEmployee(&v, "", e)
	if e.ID != oldID && !v.Has("id") {
		checkIDFree(ctx, &v, "id", "employee", func() error { _, err := tx.FindEmployeeByID(ctx, e.TenantID, e.ID); return err })
	}
	if err := v.Err(); err != nil {
		return err
	}
	e.UpdatedAt = now
	return tx.UpdateEmployee(ctx, e)
}

// DeleteEmployee deletes an employee to whom no payout was ever registered.
// Returns ENOTFOUND, and EFORBIDDEN once the employee has a payout.
func (s *Service) DeleteEmployee(ctx context.Context, tenantID, id string) error {
	_, err := write(ctx, s, tenantID, "employee.delete", id, func(tx Tx, now time.Time) (struct{}, error) {
		e, err := tx.FindEmployeeByID(ctx, tenantID, id)
		if err != nil {
			return struct{}{}, err
		}
		_, n, err := tx.FindPayouts(ctx, tenantID, PayoutFilter{EmployeeUID: &e.UID, ListPage: ListPage{Limit: 1}})
		if err != nil {
			return struct{}{}, err
		} else if n > 0 {
			return struct{}{}, Errorf(EFORBIDDEN, "Employee %q cannot be deleted: payouts have been registered to them.", e.ID)
		}
		return struct{}{}, tx.DeleteEmployee(ctx, tenantID, e.UID)
	})
	return err
}

// ResendEmployee has Gigapay send the invitation again, at most once per
// ResendInterval by the Clock, counted from the last invitation (the first
// notification or the last resend). It fires no event: none is documented.
// Returns ENOTFOUND, ECONFLICT once the invitation was claimed, and ELIMIT
// within the interval.
func (s *Service) ResendEmployee(ctx context.Context, tenantID, id string) error {
	_, err := write(ctx, s, tenantID, "employee.resend", id, func(tx Tx, now time.Time) (struct{}, error) {
		e, err := tx.FindEmployeeByID(ctx, tenantID, id)
		if err != nil {
			return struct{}{}, err
		}
		if e.Status != EmployeeStatusCreated && e.Status != EmployeeStatusNotified {
			return struct{}{}, Errorf(ECONFLICT, "Employee %q has already claimed the invitation.", e.ID)
		}
		if err := checkResend("invitation", now, e.NotifiedAt, e.ResentAt); err != nil {
			return struct{}{}, err
		}
		e.ResentAt, e.UpdatedAt = &now, now
		return struct{}{}, tx.UpdateEmployee(ctx, e)
	})
	return err
}

// checkResend returns ELIMIT when the latest of the given times is less than
// ResendInterval before now, with the time a resend can succeed as its
// RetryAt.
func checkResend(what string, now time.Time, times ...*time.Time) error {
	var last time.Time
	for _, t := range times {
		if t != nil && t.After(last) {
			last = *t
		}
	}
	if next := last.Add(ResendInterval); !last.IsZero() && now.Before(next) {
		wait := int64((next.Sub(now) + time.Second - 1) / time.Second)
		err := Errorf(ELIMIT, "The %s can be resent once every 24 hours. Expected available in %d seconds.", what, wait)
		err.RetryAt = next
		return err
	}
	return nil
}

// NotifyEmployee records that Gigapay sent the employee the invitation, and
// fires employee.notified. Returns ENOTFOUND and ECONFLICT.
func (s *Service) NotifyEmployee(ctx context.Context, tenantID, id string) (*Employee, error) {
	return s.moveEmployeeByID(ctx, tenantID, id, EmployeeStatusNotified)
}

// ClaimEmployee records that the employee opened the invitation's magic link,
// and fires employee.claimed. Returns ENOTFOUND and ECONFLICT.
func (s *Service) ClaimEmployee(ctx context.Context, tenantID, id string) (*Employee, error) {
	return s.moveEmployeeByID(ctx, tenantID, id, EmployeeStatusClaimed)
}

// VerifyEmployee records that Gigapay verified the employee's identity and
// work permits, and fires employee.verified. The employee's payouts whose
// invoices are paid are then notified (payout.notified): Gigapay tells an
// employee of a payout only once they are verified. Returns ENOTFOUND and
// ECONFLICT.
func (s *Service) VerifyEmployee(ctx context.Context, tenantID, id string) (*Employee, error) {
	return s.moveEmployeeByID(ctx, tenantID, id, EmployeeStatusVerified)
}

func (s *Service) moveEmployeeByID(ctx context.Context, tenantID, id string, to EmployeeStatus) (*Employee, error) {
	in := struct{ ID, To string }{id, string(to)}
	return write(ctx, s, tenantID, "employee."+string(to), in, func(tx Tx, now time.Time) (*Employee, error) {
		e, err := tx.FindEmployeeByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if err := s.moveEmployee(ctx, tx, now, e, to); err != nil {
			return nil, err
		}
		if to == EmployeeStatusVerified {
			if err := s.notifyPayouts(ctx, tx, now, tenantID, PayoutFilter{EmployeeUID: &e.UID}); err != nil {
				return nil, err
			}
		}
		return e, nil
	})
}

// moveEmployee moves e to `to`, sets the step's timestamp, writes e and fires
// its event (employeeEvents).
func (s *Service) moveEmployee(ctx context.Context, tx Tx, now time.Time, e *Employee, to EmployeeStatus) error {
	if err := employeeLifecycle.check(e.ID, e.Status, to); err != nil {
		return err
	}
	typ, err := eventOf(employeeEvents, "employee "+e.ID, to)
	if err != nil {
		return err
	}
	switch to {
	case EmployeeStatusNotified:
		e.NotifiedAt = &now
	case EmployeeStatusClaimed:
		e.ClaimedAt = &now
	case EmployeeStatusVerified:
		e.VerifiedAt = &now
	}
	e.Status, e.UpdatedAt = to, now
	if err := tx.UpdateEmployee(ctx, e); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, now, e.TenantID, typ, e.UID, e)
}

// matchEmployee returns the existing employee an inline employee stands for:
// the one with its id when it has one, or else the one with its email, or else
// with its cellphone number. It returns nil when none matches.
func (s *Service) matchEmployee(ctx context.Context, tx Store, tenantID string, in EmployeeCreate) (*Employee, error) {
	if in.ID != "" {
		e, err := tx.FindEmployeeByID(ctx, tenantID, in.ID)
		if ErrorCode(err) == ENOTFOUND {
			return nil, nil
		}
		return e, err
	}
	var fs []EmployeeFilter
	if email := strings.TrimSpace(in.Email); email != "" {
		fs = append(fs, EmployeeFilter{Email: &email})
	}
	if phone, ok := normalizePhone(in.CellphoneNumber); ok {
		fs = append(fs, EmployeeFilter{CellphoneNumber: &phone})
	}
	for _, f := range fs {
		f.Limit = 1
		es, _, err := tx.FindEmployees(ctx, tenantID, f)
		if err != nil {
			return nil, err
		}
		if len(es) > 0 {
			return es[0], nil
		}
	}
	return nil, nil
}

// EmployeeStore reads employees (see PayoutStore for their keys and lists).
type EmployeeStore interface {
	FindEmployeeByUID(ctx context.Context, tenantID, uid string) (*Employee, error)
	FindEmployeeByID(ctx context.Context, tenantID, id string) (*Employee, error)
	FindEmployees(ctx context.Context, tenantID string, f EmployeeFilter) ([]*Employee, int, error)
}

// EmployeeTx writes employees.
type EmployeeTx interface {
	// CreateEmployee inserts e; ECONFLICT when its UID, or its ID in its
	// tenant, is taken.
	CreateEmployee(ctx context.Context, e *Employee) error
	// UpdateEmployee writes every field of e but UID, TenantID and CreatedAt;
	// ECONFLICT when a new ID is taken.
	UpdateEmployee(ctx context.Context, e *Employee) error
	DeleteEmployee(ctx context.Context, tenantID, uid string) error
}
