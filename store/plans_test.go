package store_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
	"github.com/paykit/paykit/store"
	"github.com/paykit/paykit/store/pgtest"
)

// The query plans of every list route's statements, with each filter and
// sort the routes offer, read from SQLite's EXPLAIN QUERY PLAN on a migrated
// database: each reads an index in its order and stops at its page. A plan
// may not scan a table without an index, nor sort with a temporary B-tree,
// and each names the index it must read. The statements are the Store's own
// (export_test.go builds them with the functions its Find methods use).
//
// A filter that no index serves (a status, a type, a time other than
// created_at, a search: a substring LIKE over folded text) is checked on the
// rows the sort's index yields, in order, until the page is full: its cost
// is the number of rows read per row kept, 1/density (BenchmarkLists
// measures it).

// planCase is a list statement and what its plan must read.
type planCase struct {
	name string
	st   store.Statement
	want []string // what the plan must say: the indexes it reads
	// sorts allows a temporary B-tree for the ORDER BY, for a statement that
	// sorts rows it has bounded.
	sorts bool
}

// plan returns the lines of st's query plan.
func plan(t *testing.T, db *sqlx.DB, st store.Statement) []string {
	t.Helper()
	rows, err := db.Queryx("EXPLAIN QUERY PLAN "+st.SQL, st.Args...)
	require.NoError(t, err, st.SQL)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &notUsed, &detail))
		out = append(out, detail)
	}
	require.NoError(t, rows.Err())
	return out
}

// fullScan is a plan line that reads a table without an index. A SCAN of
// page, the subquery of a Gigapay page's rows, reads only those rows; of
// sent or received, an account's payments up to 2,000 (fewPayments).
var fullScan = regexp.MustCompile(`^SCAN (\w+)$`)

// boundedScans are the subqueries whose SCAN reads a bounded number of rows.
var boundedScans = []string{"page", "sent", "received"}

// checkPlans checks each case's plan.
func checkPlans(t *testing.T, db *sqlx.DB, cases []planCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := plan(t, db, c.st)
			text := strings.Join(lines, "\n")
			msg := fmt.Sprintf("plan:\n%s\nof %s %v", text, c.st.SQL, c.st.Args)
			require.Regexp(t, `USING (COVERING INDEX|INDEX|PRIMARY KEY|INTEGER PRIMARY KEY)`, text, msg)
			for _, l := range lines {
				if m := fullScan.FindStringSubmatch(l); m != nil && !slices.Contains(boundedScans, m[1]) {
					t.Errorf("full scan of %s in %s", m[1], msg)
				}
				if !c.sorts || l != "USE TEMP B-TREE FOR ORDER BY" {
					require.NotContains(t, l, "TEMP B-TREE", msg)
				}
			}
			for _, w := range c.want {
				require.Contains(t, text, w, msg)
			}
		})
	}
}

// openPlans opens a migrated database and a raw connection to its file.
func openPlans(t *testing.T) *sqlx.DB {
	path := filepath.Join(t.TempDir(), "plans.db")
	db, err := store.Open(path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	raw, err := sqlx.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	require.NoError(t, err)
	t.Cleanup(func() { raw.Close() })
	return raw
}

func TestPlans_GigPayPayments(t *testing.T) {
	db := openPlans(t)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	later := at.Add(time.Hour)
	transfer, failed := paykit.PaymentTypeTransfer, paykit.PaymentStatusFailed
	token, account := "tk1", "a1"
	created := []string{"INDEX payments_created (tenant_id=?"}
	amount := []string{"INDEX payments_amount (tenant_id=?"}
	// A token's payment is one row of a unique index: no order to keep.
	byToken := []string{"INDEX payments_token (tenant_id=? AND payment_token_id=?)"}
	// An account's payments merge the payments it sends and receives.
	accountCreated := []string{"MERGE (UNION ALL)", "INDEX payments_source (tenant_id=? AND source_account_id=?",
		"INDEX payments_destination (tenant_id=? AND destination_account_id=?"}
	// By amount, the account is checked on payments_amount's rows.
	accountAmount := amount
	gigPay := []paykit.PaymentType{paykit.PaymentTypeDeposit, paykit.PaymentTypeTransfer, paykit.PaymentTypeWithdrawal}
	filters := []struct {
		name            string
		f               paykit.PaymentFilter
		created, amount []string // what each sort reads
	}{
		{"all", paykit.PaymentFilter{}, created, amount},
		{"type", paykit.PaymentFilter{Type: &transfer}, created, amount},
		{"status", paykit.PaymentFilter{Status: &failed}, created, amount},
		{"paymentTokenId", paykit.PaymentFilter{PaymentTokenID: &token}, byToken, byToken},
		{"accountId", paykit.PaymentFilter{AccountID: &account}, accountCreated, accountAmount},
		{"createdFrom", paykit.PaymentFilter{CreatedFrom: &at}, created, amount},
		{"createdUntil", paykit.PaymentFilter{CreatedUntil: &later}, created, amount},
		{"created", paykit.PaymentFilter{CreatedFrom: &at, CreatedUntil: &later}, created, amount},
		{"every", paykit.PaymentFilter{Type: &transfer, Status: &failed, AccountID: &account, CreatedFrom: &at, CreatedUntil: &later},
			accountCreated, accountAmount},
	}
	var cases []planCase
	for _, fc := range filters {
		for _, sort := range []paykit.PaymentSort{paykit.PaymentSortCreatedAsc, paykit.PaymentSortCreatedDesc,
			paykit.PaymentSortAmountAsc, paykit.PaymentSortAmountDesc} {
			want := fc.created
			if sort == paykit.PaymentSortAmountAsc || sort == paykit.PaymentSortAmountDesc {
				want = fc.amount
			}
			for _, after := range []string{"", "p1"} {
				f := fc.f
				f.Types, f.Sort, f.After, f.Limit = gigPay, sort, after, 26
				sts, err := store.PaymentStatements("t", f)
				require.NoError(t, err)
				name := fmt.Sprintf("%s/sort=%s/after=%q", fc.name, sort, after)
				cases = append(cases, planCase{name: name, st: sts[0], want: want})
				if after == "" && sort == paykit.PaymentSortCreatedAsc {
					// FindPaymentPage's count.
					cases = append(cases, planCase{name: fc.name + "/count", st: sts[1]})
				}
			}
		}
	}
	checkPlans(t, db, cases)
}

// pages are the pages of a Gigapay list: the first, after and before a
// cursor, and by offset before and past the middle of a list of 1,000 rows.
var pages = []struct {
	name string
	p    paykit.ListPage
}{
	{"first", paykit.ListPage{Limit: 26}},
	{"after", paykit.ListPage{After: &paykit.Cursor{CreatedAt: time.Unix(1, 0), UID: "u"}, Limit: 26}},
	{"before", paykit.ListPage{Before: &paykit.Cursor{CreatedAt: time.Unix(1, 0), UID: "u"}, Limit: 26}},
	{"offset", paykit.ListPage{Offset: 250, Limit: 26}},
	{"offset=last", paykit.ListPage{Offset: 975, Limit: 26}},
}

// countPlan is what the count of a Gigapay list with the filter name reads:
// a list without filters is counted in list_counts, one row per tenant (and
// PostgreSQL shard), else the filter's index.
func countPlan(name string, filter []string) []string {
	if name == "all" {
		return []string{"SEARCH list_counts USING PRIMARY KEY (tenant_id=? AND list=?)"}
	}
	return filter
}

// timeFilters are the filters of a Gigapay time field: _null, _after and
// _before.
func timeFilters() map[string]paykit.TimeFilter {
	yes, at := true, time.Unix(1, 0)
	return map[string]paykit.TimeFilter{"null": {Null: &yes}, "after": {After: &at}, "before": {Before: &at},
		"range": {After: &at, Before: &at}}
}

// filterPlan is a Gigapay list's filter and what its plan must read.
type filterPlan[F any] struct {
	f    F
	want []string
}

// gigapayCases returns the cases of a Gigapay list's filters on each of
// pages: the count, once per filter, and each page, whose plan reads what the
// filter's does and then pageWant. statements returns a filter's count and
// page on p.
func gigapayCases[F any](filters map[string]filterPlan[F], statements func(f F, p paykit.ListPage) []store.Statement, pageWant ...string) []planCase {
	var cases []planCase
	for name, fc := range filters {
		for _, p := range pages {
			sts := statements(fc.f, p.p)
			if p.name == "first" {
				cases = append(cases, planCase{name: name + "/count", st: sts[0], want: countPlan(name, fc.want)})
			}
			cases = append(cases, planCase{name: name + "/" + p.name, st: sts[1], want: append(slices.Clone(fc.want), pageWant...)})
		}
	}
	return cases
}

func TestPlans_GigapayPayouts(t *testing.T) {
	db := openPlans(t)
	employee, invoice, search := "emp1", "inv1", "anna"
	created := []string{"INDEX payouts_created (tenant_id=?"}
	filters := map[string]filterPlan[paykit.PayoutFilter]{
		"all":      {paykit.PayoutFilter{}, created},
		"employee": {paykit.PayoutFilter{EmployeeID: &employee}, []string{"INDEX payouts_employee (employee_uid=? AND tenant_id=?"}},
		"invoice":  {paykit.PayoutFilter{InvoiceID: &invoice}, []string{"INDEX payouts_invoice (invoice_uid=? AND tenant_id=?"}},
		"search":   {paykit.PayoutFilter{Search: &search}, created},
	}
	for name, tf := range timeFilters() {
		for field, f := range map[string]paykit.PayoutFilter{"start_at": {StartAt: tf}, "end_at": {EndAt: tf},
			"created_at": {CreatedAt: tf}, "notified_at": {NotifiedAt: tf}, "accepted_at": {AcceptedAt: tf}} {
			filters[field+"_"+name] = filterPlan[paykit.PayoutFilter]{f, created}
		}
	}
	// A window and a cursor bound the walk once: by the cursor within the
	// window, by the window when the cursor is past it.
	late, early := time.Unix(2, 0), time.Unix(0, 0)
	window := paykit.TimeFilter{After: &early, Before: &late}
	cursor := &paykit.Cursor{CreatedAt: time.Unix(1, 0), UID: "u"}
	cases := []planCase{
		{name: "created_at_range/after=within", st: store.PayoutStatements("t",
			paykit.PayoutFilter{CreatedAt: window, ListPage: paykit.ListPage{After: cursor, Limit: 26}}, 1000)[1],
			want: []string{"INDEX payouts_created (tenant_id=? AND created_at>? AND (created_at,uid)<(?,?))"}},
		{name: "created_at_range/before=within", st: store.PayoutStatements("t",
			paykit.PayoutFilter{CreatedAt: window, ListPage: paykit.ListPage{Before: cursor, Limit: 26}}, 1000)[1],
			want: []string{"INDEX payouts_created (tenant_id=? AND (created_at,uid)>(?,?) AND created_at<?)"}},
		{name: "created_at_range/after=later", st: store.PayoutStatements("t",
			paykit.PayoutFilter{CreatedAt: paykit.TimeFilter{Before: &early}, ListPage: paykit.ListPage{After: cursor, Limit: 26}}, 1000)[1],
			want: []string{"INDEX payouts_created (tenant_id=? AND created_at<?)"}},
	}
	// The page's rows look their employee's and invoice's ids up.
	cases = append(cases, gigapayCases(filters, func(f paykit.PayoutFilter, p paykit.ListPage) []store.Statement {
		f.ListPage = p
		return store.PayoutStatements("t", f, 1000)
	}, "SEARCH pe USING INDEX sqlite_autoindex_employees_1 (uid=?)", "SEARCH pi USING INDEX sqlite_autoindex_invoices_1 (uid=?)")...)
	checkPlans(t, db, cases)
}

// TestPlans_GigPayPayments_FewAccount: an account with fewer than 2,000
// payments (fewPayments), under an amount sort, is counted up to that many on
// its two indexes, then its payments' IDs are read from them, the rows by
// primary key, and sorted: the sort holds fewer than 2,000 rows.
func TestPlans_GigPayPayments_FewAccount(t *testing.T) {
	db := openPlans(t)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	transfer, account := paykit.PaymentTypeTransfer, "a1"
	accountIndexes := []string{"INDEX payments_source (tenant_id=? AND source_account_id=?)",
		"INDEX payments_destination (tenant_id=? AND destination_account_id=?)"}
	var cases []planCase
	for _, f := range []paykit.PaymentFilter{
		{AccountID: &account},
		{AccountID: &account, Type: &transfer, CreatedFrom: &at},
	} {
		for _, sort := range []paykit.PaymentSort{paykit.PaymentSortAmountAsc, paykit.PaymentSortAmountDesc} {
			for _, after := range []string{"", "p1"} {
				f.Sort, f.After, f.Limit = sort, after, 26
				sts, err := store.FewAccountPaymentStatements("t", f)
				require.NoError(t, err)
				name := fmt.Sprintf("type=%v/sort=%s/after=%q", f.Type != nil, sort, after)
				cases = append(cases, planCase{name: name + "/probe", st: sts[0], want: accountIndexes},
					planCase{name: name, st: sts[1], sorts: true, want: append([]string{"LIST SUBQUERY",
						"SEARCH payments USING PRIMARY KEY (tenant_id=? AND id=?)"}, accountIndexes...)})
			}
		}
	}
	checkPlans(t, db, cases)
}

func TestPlans_GigapayEmployees(t *testing.T) {
	db := openPlans(t)
	search, email, phone := "anna", "Anna@example.com", "+46701234567"
	created := []string{"INDEX employees_created (tenant_id=?"}
	filters := map[string]filterPlan[paykit.EmployeeFilter]{
		"all":    {paykit.EmployeeFilter{}, created},
		"search": {paykit.EmployeeFilter{Search: &search}, created},
		// The Service's lookups of an email or a number (not a route's
		// filters, but a list all the same).
		"email":     {paykit.EmployeeFilter{Email: &email}, []string{"INDEX employees_email (tenant_id=? AND email_fold=?"}},
		"cellphone": {paykit.EmployeeFilter{CellphoneNumber: &phone}, []string{"INDEX employees_cellphone (tenant_id=? AND cellphone_number=?"}},
	}
	for name, tf := range timeFilters() {
		for field, f := range map[string]paykit.EmployeeFilter{"created_at": {CreatedAt: tf}, "notified_at": {NotifiedAt: tf},
			"claimed_at": {ClaimedAt: tf}, "verified_at": {VerifiedAt: tf}} {
			filters[field+"_"+name] = filterPlan[paykit.EmployeeFilter]{f, created}
		}
	}
	checkPlans(t, db, gigapayCases(filters, func(f paykit.EmployeeFilter, p paykit.ListPage) []store.Statement {
		f.ListPage = p
		return store.EmployeeStatements("t", f, 1000)
	}))
}

func TestPlans_Events(t *testing.T) {
	db := openPlans(t)
	typ, subject := "payment.completed", "p1"
	var cases []planCase
	for name, fc := range map[string]struct {
		f    paykit.EventFilter
		want string
	}{
		"all":          {paykit.EventFilter{}, "INDEX events_tenant (tenant_id=?"},
		"type":         {paykit.EventFilter{Type: &typ}, "INDEX events_tenant (tenant_id=?"},
		"subject":      {paykit.EventFilter{SubjectID: &subject}, "INDEX events_subject (tenant_id=? AND subject_id=?"},
		"type+subject": {paykit.EventFilter{Type: &typ, SubjectID: &subject}, "INDEX events_subject (tenant_id=? AND subject_id=?"},
	} {
		for _, after := range []int64{0, 1000} {
			f := fc.f
			f.AfterSeq, f.Limit = after, 26
			cases = append(cases, planCase{name: fmt.Sprintf("%s/after=%d", name, after), st: store.EventStatements("t", f)[0],
				want: []string{fc.want}})
		}
	}
	checkPlans(t, db, cases)
}

func TestPlans_Deliveries(t *testing.T) {
	db := openPlans(t)
	endpoint, event, failed := "we1", "ev1", paykit.DeliveryStatusFailed
	var cases []planCase
	for name, fc := range map[string]struct {
		f    paykit.DeliveryFilter
		want string
	}{
		"all":      {paykit.DeliveryFilter{}, "INDEX webhook_deliveries_tenant (tenant_id=?"},
		"endpoint": {paykit.DeliveryFilter{EndpointID: &endpoint}, "INDEX webhook_deliveries_endpoint (tenant_id=? AND endpoint_id=?"},
		"event":    {paykit.DeliveryFilter{EventID: &event}, "INDEX webhook_deliveries_event (tenant_id=? AND event_id=?"},
		"status":   {paykit.DeliveryFilter{Status: &failed}, "INDEX webhook_deliveries_status (tenant_id=? AND status=?"},
	} {
		for _, after := range []string{"", "d1"} {
			f := fc.f
			f.After, f.Limit = after, 26
			cases = append(cases, planCase{name: fmt.Sprintf("%s/after=%q", name, after), st: store.DeliveryStatements("t", f)[0],
				want: []string{fc.want}})
		}
	}
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cases = append(cases, planCase{name: "outcomes", st: store.DeliveryOutcomeStatements("t", day, day.AddDate(0, 0, 1))[0],
		want: []string{"COVERING INDEX webhook_deliveries_attempted (tenant_id=? AND last_attempt_at>? AND last_attempt_at<?)"}})
	checkPlans(t, db, cases)
}

// TestPlans_MementoRequests: Memento has no list route; FindRequests walks a
// tenant's requests for CheckInvariants.
func TestPlans_MementoRequests(t *testing.T) {
	db := openPlans(t)
	var cases []planCase
	for _, after := range []string{"", "r1"} {
		cases = append(cases, planCase{name: fmt.Sprintf("after=%q", after),
			st:   store.RequestStatements("t", paykit.RequestFilter{After: after, Limit: 1000})[0],
			want: []string{"INDEX requests_tenant (tenant_id=? AND id>?)"}})
	}
	checkPlans(t, db, cases)
}

// TestPlans_Postgres checks that PostgreSQL, whose schema has the same
// indexes (pgmigrations), can read a few of the lists from them in order,
// with no Sort. Its planner weighs a table's size (on a small table a
// sequential scan and a sort are cheaper), so the check turns sequential
// scans and sorts off, which makes them a last resort rather than
// impossible: a Sort left in the plan is an order no index serves.
func TestPlans_Postgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	s, err := store.Open(dsn)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	db, err := sqlx.Open("pgx", dsn)
	require.NoError(t, err)
	defer db.Close()

	account, email := "a1", "anna@example.com"
	gigPay := []paykit.PaymentType{paykit.PaymentTypeDeposit, paykit.PaymentTypeTransfer, paykit.PaymentTypeWithdrawal}
	payments, err := store.PaymentStatements("t", paykit.PaymentFilter{AccountID: &account, Types: gigPay,
		Sort: paykit.PaymentSortCreatedDesc, After: "p1", Limit: 26})
	require.NoError(t, err)
	for _, c := range []struct {
		name string
		st   store.Statement
		want []string // the indexes the plan reads
	}{
		{"GigPayPayments/accountId/sort=-createdAt", payments[0], []string{"payments_source", "payments_destination"}},
		{"GigapayPayouts/first", store.PayoutStatements("t", paykit.PayoutFilter{ListPage: pages[0].p}, 1000)[1],
			[]string{"payouts_created"}},
		{"DeliveryOutcomes", store.DeliveryOutcomeStatements("t", time.Unix(0, 0), time.Unix(86400, 0))[0],
			[]string{"webhook_deliveries_attempted"}},
		{"GigapayEmployees/email", store.EmployeeStatements("t", paykit.EmployeeFilter{Email: &email, ListPage: pages[1].p}, 1000)[1],
			[]string{"employees_email"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := store.OnPostgres(c.st)
			tx, err := db.Beginx()
			require.NoError(t, err)
			defer tx.Rollback()
			_, err = tx.Exec("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
			require.NoError(t, err)
			var out string
			require.NoError(t, tx.Get(&out, "EXPLAIN (FORMAT JSON) "+st.SQL, st.Args...))
			var plans []struct{ Plan pgPlan }
			require.NoError(t, json.Unmarshal([]byte(out), &plans))
			var nodes []string
			var indexes []string
			plans[0].Plan.walk(func(n *pgPlan) {
				nodes = append(nodes, n.NodeType)
				if n.IndexName != "" {
					indexes = append(indexes, n.IndexName)
				}
			})
			require.NotContains(t, nodes, "Sort", out)
			require.NotContains(t, nodes, "Seq Scan", out)
			for _, w := range c.want {
				require.Contains(t, indexes, w, out)
			}
		})
	}
}

// pgPlan is a node of PostgreSQL's EXPLAIN (FORMAT JSON).
type pgPlan struct {
	NodeType  string   `json:"Node Type"`
	IndexName string   `json:"Index Name"`
	Plans     []pgPlan `json:"Plans"`
}

func (p *pgPlan) walk(fn func(*pgPlan)) {
	fn(p)
	for i := range p.Plans {
		p.Plans[i].walk(fn)
	}
}
