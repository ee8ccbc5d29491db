package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The tenant-isolation walk (issue 13): every route of every dialect the
// example server mounts, found in the sources (so that a new route, or a new
// dialect, is walked without a word here), asked by another tenant, with its
// own key, about each of the demo tenant's ids. Each answer must be the one
// the route gives for an id that nobody has, status and body, so the other
// tenant learns nothing, not even that the id exists; no answer may carry the
// demo's data; and none of the demo's rows may change.

// isoRoute is one route of a mounted dialect.
type isoRoute struct {
	ctor    string // the httpapi constructor, NewGigapay
	prefix  string // where the example server mounts it, /gigapay
	method  string
	pattern string // relative to the mount, with {params}
}

// mountedDialects returns the prefix of every dialect the example server's
// sources mount, by constructor: each http.StripPrefix("<prefix>",
// httpapi.New<Name>(...)) in its non-test files.
func mountedDialects(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(af, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !isSelector(call.Fun, "http", "StripPrefix") || len(call.Args) != 2 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			inner, ok2 := call.Args[1].(*ast.CallExpr)
			if !ok || !ok2 {
				return true
			}
			sel, ok := inner.Fun.(*ast.SelectorExpr)
			if x, isIdent := sel.X.(*ast.Ident); !ok || !isIdent || x.Name != "httpapi" {
				return true
			}
			prefix, _ := strconv.Unquote(lit.Value)
			out[sel.Sel.Name] = prefix
			return true
		})
	}
	return out
}

func isSelector(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == pkg
}

// dialectRoutes returns the routes each constructor of the httpapi sources
// registers on its router: a router's handle("METHOD /path", ...) (a
// dialect's own handle wrapper too: the pattern is the call's first string
// argument), and a Gigapay router's route(path, ..., methods{"GET": ...}),
// whose path may come from a table of the constructor's (the sandbox's).
// Routes registered on the mux itself (HandleFunc) skip the router's
// authentication: they are capability links (a payment link's token), which
// anyone holding one may open; they are returned apart.
func dialectRoutes(t *testing.T, dir string) (routes map[string][][2]string, links map[string][]string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	routes, links = map[string][][2]string{}, map[string][]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		for _, decl := range af.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "New") || fn.Body == nil {
				continue
			}
			ctor := fn.Name.Name
			// Paths in a table of the constructor's: string literals that
			// open a composite literal, as {"/employees/{id}/notify/", ...}.
			var tablePaths []string
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if cl, ok := n.(*ast.CompositeLit); ok && len(cl.Elts) > 0 {
					if lit, ok := cl.Elts[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if p, _ := strconv.Unquote(lit.Value); strings.HasPrefix(p, "/") {
							tablePaths = append(tablePaths, p)
						}
					}
				}
				return true
			})
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				where := fset.Position(call.Pos()).String()
				first := ""
				for _, arg := range call.Args {
					switch a := arg.(type) {
					case *ast.BasicLit:
						if a.Kind == token.STRING && first == "" {
							first, _ = strconv.Unquote(a.Value)
						}
					case *ast.BinaryExpr: // m+" /v2/ping", in a loop over methods
						if lit, ok := a.Y.(*ast.BasicLit); ok && first == "" {
							p, _ := strconv.Unquote(lit.Value)
							first = "GET" + p
						}
					}
				}
				switch sel.Sel.Name {
				case "handle":
					if first == "" {
						return true
					}
					method, path, ok := strings.Cut(first, " ")
					require.True(t, ok, "%s: %q has no method", where, first)
					routes[ctor] = append(routes[ctor], [2]string{method, path})
				case "HandleFunc", "Handle":
					if first != "" {
						links[ctor] = append(links[ctor], first)
					}
				case "route":
					lit, ok := call.Args[len(call.Args)-1].(*ast.CompositeLit)
					require.True(t, ok, "%s: a route without its methods literal", where)
					var ms []string
					for _, e := range lit.Elts {
						if k, ok := e.(*ast.KeyValueExpr).Key.(*ast.BasicLit); ok {
							m, _ := strconv.Unquote(k.Value)
							ms = append(ms, m)
						}
					}
					paths := []string{first}
					if first == "" {
						require.NotEmpty(t, tablePaths, "%s: a route whose path is neither a literal nor in a table", where)
						paths = tablePaths
					}
					for _, p := range paths {
						for _, m := range ms {
							routes[ctor] = append(routes[ctor], [2]string{m, p})
						}
					}
				}
				return true
			})
		}
	}
	return routes, links
}

// isoWalk returns every route of every mounted dialect. Only the operators'
// admin API is not a tenant's.
func isoWalk(t *testing.T) []isoRoute {
	t.Helper()
	mounts := mountedDialects(t)
	routes, links := dialectRoutes(t, "../../httpapi")
	var out []isoRoute
	for ctor, prefix := range mounts {
		if ctor == "NewAdmin" {
			continue
		}
		require.NotEmpty(t, append(routes[ctor], make([][2]string, len(links[ctor]))...),
			"%s is mounted at %s, but the walk finds none of its routes", ctor, prefix)
		for _, r := range routes[ctor] {
			out = append(out, isoRoute{ctor: ctor, prefix: prefix, method: r[0], pattern: r[1]})
		}
		for _, l := range links[ctor] {
			t.Logf("not walked: %s %s %s, a capability link", ctor, prefix, l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].prefix+out[i].pattern+out[i].method < out[j].prefix+out[j].pattern+out[j].method
	})
	return out
}

// isoAuth returns the headers that authenticate key (and, for Gigapay, the
// tenant's own integration) on a dialect: Gigapay's Token and
// Integration-ID, Memento's HTTP Basic, and a Bearer key for every other
// (GigPay, gigstack, RudiqPay, the events API and the sandboxes of each).
func isoAuth(ctor, key, integration string) []string {
	switch {
	case strings.HasPrefix(ctor, "NewGigapay"):
		return []string{"Authorization", "Token " + key, "Integration-ID", integration}
	case strings.HasPrefix(ctor, "NewMemento"):
		return []string{"Authorization", "Basic " + basic(key)}
	}
	return []string{"Authorization", "Bearer " + key}
}

// serve answers a request in process.
func (d *demoServer) serve(method, path, body string, headers ...string) response {
	d.tb.Helper()
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	d.mux.ServeHTTP(rec, req)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// isoMark is in the demo's objects' names and descriptions, so that an answer
// that carries them shows.
const isoMark = "DEMO-PRIVATE-7f3a"

// demoIDs collects, from JSON answers of the demo's, the strings its objects
// are named by: values of keys id, token, uuid, invoice, employee and any
// ...Id or ..._id, in objects and lists at any depth.
func demoIDs(into map[string]bool, body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(k, e)
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		case string:
			k := strings.ToLower(key)
			if (k == "id" || k == "token" || k == "uuid" || k == "invoice" || k == "invoices" || k == "employee" ||
				strings.HasSuffix(k, "id")) && len(x) >= 2 && len(x) <= 100 && !strings.ContainsAny(x, " /:@") {
				into[x] = true
			}
		}
	}
	walk("", v)
}

// unknownLike returns an id of id's shape that nobody has: its last six
// letters and digits moved on within their class (hex stays hex), so a
// prefix, a UUID's form and the length are kept.
func unknownLike(id string) string {
	b := []byte(id)
	changed := 0
	for i := len(b) - 1; i >= 0 && changed < 6; i-- {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			b[i] = '0' + (c-'0'+3)%10
		case c >= 'a' && c <= 'f':
			b[i] = 'a' + (c-'a'+3)%6
		case c >= 'g' && c <= 'z':
			b[i] = 'g' + (c-'g'+3)%20
		case c >= 'A' && c <= 'F':
			b[i] = 'A' + (c-'A'+3)%6
		case c >= 'G' && c <= 'Z':
			b[i] = 'G' + (c-'G'+3)%20
		default:
			continue
		}
		changed++
	}
	return string(b)
}

// fill puts id in every parameter of pattern; a {status} gets a status the
// sandboxes move to, so that the route looks the id up.
func fill(pattern, id string) string {
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllStringFunc(pattern, func(p string) string {
		if p == "{status}" {
			return "succeeded"
		}
		return url.PathEscape(id)
	})
}

// tenantRows returns every row of every table with a tenant_id, except the
// tenant other's, as text: what must not change when other asks.
func (d *demoServer) tenantRows(other string) []string {
	d.tb.Helper()
	db, err := sql.Open("sqlite", "file:"+d.path+"?mode=ro")
	require.NoError(d.tb, err)
	defer db.Close()
	tables, err := db.Query(`SELECT m.name FROM sqlite_schema m JOIN pragma_table_info(m.name) c
		WHERE m.type = 'table' AND c.name = 'tenant_id'`)
	require.NoError(d.tb, err)
	var names []string
	for tables.Next() {
		var n string
		require.NoError(d.tb, tables.Scan(&n))
		names = append(names, n)
	}
	tables.Close()
	var out []string
	for _, name := range names {
		rows, err := db.Query(`SELECT * FROM "`+name+`" WHERE tenant_id <> ?`, other)
		require.NoError(d.tb, err)
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(d.tb, rows.Scan(ptrs...))
			out = append(out, fmt.Sprintf("%s %v", name, vals))
		}
		require.NoError(d.tb, rows.Err())
		rows.Close()
	}
	sort.Strings(out)
	return out
}

// storedIDs returns up to n ids of each table's rows of tenant, for every
// table with a tenant_id and an id.
func (d *demoServer) storedIDs(tenant string, n int) map[string]bool {
	d.tb.Helper()
	db, err := sql.Open("sqlite", "file:"+d.path+"?mode=ro")
	require.NoError(d.tb, err)
	defer db.Close()
	tables, err := db.Query(`SELECT m.name FROM sqlite_schema m WHERE m.type = 'table'
		AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'tenant_id')
		AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'id')`)
	require.NoError(d.tb, err)
	var names []string
	for tables.Next() {
		var name string
		require.NoError(d.tb, tables.Scan(&name))
		names = append(names, name)
	}
	tables.Close()
	out := map[string]bool{}
	for _, name := range names {
		rows, err := db.Query(`SELECT id FROM "`+name+`" WHERE tenant_id = ? ORDER BY id LIMIT ?`, tenant, n)
		require.NoError(d.tb, err)
		for rows.Next() {
			var id string
			require.NoError(d.tb, rows.Scan(&id))
			out[id] = true
		}
		require.NoError(d.tb, rows.Err())
		rows.Close()
	}
	return out
}

// TestIsolation_EveryRoute walks every route of every dialect as another
// tenant, with each of the demo tenant's ids.
func TestIsolation_EveryRoute(t *testing.T) {
	d := mustDemo(t)
	bearer := []string{"Authorization", "Bearer demo"}
	ids := map[string]bool{}
	keep := func(r response) response { demoIDs(ids, r.Body); return r }

	// The demo tenant's objects, on every dialect, with the mark.
	tok := keep(d.mustDo(201, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+
		`","amount":5,"memo":"`+isoMark+`"}`, bearer...)).object(t)
	keep(d.mustDo(200, "POST", "/gigpay/api/v1/payment-tokens/"+tok["token"].(string)+"/accept",
		`{"destinationAccountId":"`+demoPayeeAccount+`"}`, bearer...))
	keep(d.mustDo(201, "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"`+demoBusinessAccount+`","amount":1}`, bearer...))
	keep(d.mustDo(201, "POST", "/gigpay/api/v1/deposits", `{"destinationAccountId":"`+demoBusinessAccount+`","amount":7,"assetType":"usd"}`, bearer...))
	keep(d.gigapay(201, "POST", "/v2/integrations/", `{"id":"integ-`+isoMark+`","name":"`+isoMark+`","email":"x@example.com",
		"recipient":"X","address_line_1":"Street 1","zip_code":"11111","city":"Town"}`))
	keep(d.gigapay(201, "POST", "/v2/employees/", `{"id":"emp-`+isoMark+`","name":"`+isoMark+`","email":"e@example.com","country":"SWE"}`))
	keep(d.gigapay(201, "POST", "/v2/payouts/", `{"id":"payout-`+isoMark+`","amount":"10.00","currency":"SEK","description":"`+isoMark+`",
		"employee":"emp-`+isoMark+`"}`))
	keep(d.gigapay(201, "POST", "/v2/webhooks/", `{"id":"hook-`+isoMark+`","url":"https://example.com/`+isoMark+`","events":["Invoice.paid"]}`))
	req, _ := d.memento("demo", "POST", "/memento/v1/requests", `{"amount":3,"currency":"USD","recipient":"demopayer","description":"`+isoMark+`"}`)
	ids[req.ID] = true
	keep(d.mustDo(200, "POST", "/gigstack/v2/payments", strings.Replace(seedPaid, "Completed Project", isoMark, 1), bearer...))
	keep(d.mustDo(200, "POST", "/gigstack/v2/payments", `{"email":"iso@example.com","items":[{"name":"`+isoMark+`","quantity":1,"total":100,
		"product_key":"84111506","unit_key":"E48"}]}`, bearer...))
	keep(d.mustDo(200, "POST", "/gigstack/v2/services", `{"name":"`+isoMark+`","total":100,"product_key":"43232408","unit_key":"E48"}`, bearer...))
	keep(d.mustDo(200, "POST", "/gigstack/v2/webhooks", `{"url":"https://example.com/`+isoMark+`","events":["payment.succeeded"]}`, bearer...))
	keep(d.mustDo(200, "POST", "/gigstack/v2/receipts", `{"clientId":"client_customer123","paymentMethod":"01",
		"items":[{"name":"`+isoMark+`","quantity":1,"total":100,"product_key":"84111506","unit_key":"E48"}]}`, bearer...))
	keep(d.mustDo(201, "POST", "/webhooks/webhook-endpoints", `{"id":"ep-`+isoMark+`","url":"https://example.com/`+isoMark+`"}`, bearer...))
	// What the lists show: every object the demo has, seeded ones included.
	for _, get := range []struct{ path string }{
		{"/gigpay/api/v1/payments"}, {"/gigpay/api/v1/accounts/" + demoBusinessAccount}, {"/gigpay/api/v1/accounts/" + demoPayeeAccount},
		{"/gigstack/v2/payments"}, {"/gigstack/v2/clients"}, {"/gigstack/v2/services"}, {"/gigstack/v2/webhooks"},
		{"/gigstack/v2/invoices/income"}, {"/gigstack/v2/receipts"}, {"/gigstack/v2/teams"},
		{"/webhooks/events?limit=1000"}, {"/webhooks/webhook-endpoints"},
	} {
		keep(d.mustDo(200, "GET", get.path, "", bearer...))
	}
	for _, get := range []string{"/v2/integrations/", "/v2/employees/", "/v2/payouts/", "/v2/invoices/", "/v2/webhooks/"} {
		keep(d.gigapay(200, "GET", get, ""))
	}
	d.runDue() // deliveries, fanned out
	keep(d.mustDo(200, "GET", "/webhooks/webhook-deliveries?limit=1000", "", bearer...))
	ids["demo"] = true // the tenant, its integration and its team
	// And a few ids of each of the demo's tables, as stored: the nouns of a
	// dialect this test has not heard of are there too.
	for id := range d.storedIDs("demo", 3) {
		ids[id] = true
	}
	require.Greater(t, len(ids), 40)

	other := d.mustOtherTenant("Other")
	walk := isoWalk(t)
	before := d.tenantRows(other.id)
	sorted := slices.Sorted(func(yield func(string) bool) {
		for id := range ids {
			if !yield(id) {
				return
			}
		}
	})
	// The long ids, which no answer of the other tenant may hold but as the
	// id it asked about.
	var secrets []string
	for _, id := range sorted {
		if len(id) >= 8 {
			secrets = append(secrets, id)
		}
	}
	secrets = append(secrets, isoMark)
	leak := func(r isoRoute, asked string, body []byte) {
		s := strings.ReplaceAll(string(body), asked, "{ID}")
		s = strings.ReplaceAll(s, url.PathEscape(asked), "{ID}")
		for _, sec := range secrets {
			if sec != asked && strings.Contains(s, sec) {
				t.Errorf("%s %s%s as the other tenant: the answer holds the demo's %q: %.300s", r.method, r.prefix, r.pattern, sec, body)
			}
		}
	}
	requests := 0
	for _, r := range walk {
		auth := isoAuth(r.ctor, other.key, other.id)
		body := ""
		if r.method != "GET" && r.method != "DELETE" {
			body = "{}"
		}
		if !strings.Contains(r.pattern, "{") {
			got := d.serve(r.method, r.prefix+r.pattern, body, auth...)
			requests++
			leak(r, "", got.Body)
			// A team of the demo's named as the team to act for.
			for _, team := range []string{"demo", "team_vendor456"} {
				a := d.serve(r.method, r.prefix+r.pattern+"?team="+team, body, auth...)
				n := d.serve(r.method, r.prefix+r.pattern+"?team="+unknownLike(team), body, auth...)
				requests += 2
				leak(r, team, a.Body)
				require.Equal(t, n.Status, a.Status, "%s %s%s?team=%s", r.method, r.prefix, r.pattern, team)
			}
			continue
		}
		for _, id := range sorted {
			nobody := unknownLike(id)
			got := d.serve(r.method, r.prefix+fill(r.pattern, id), body, auth...)
			want := d.serve(r.method, r.prefix+fill(r.pattern, nobody), body, auth...)
			requests += 2
			leak(r, id, got.Body)
			norm := func(b []byte, id string) string {
				s := strings.ReplaceAll(string(b), id, "{ID}")
				return strings.ReplaceAll(s, url.PathEscape(id), "{ID}")
			}
			if got.Status != want.Status || norm(got.Body, id) != norm(want.Body, nobody) {
				t.Errorf("%s %s%s as the other tenant: the demo's %q answers %d %.300s, an unknown id %d %.300s",
					r.method, r.prefix, r.pattern, id, got.Status, got.Body, want.Status, want.Body)
			}
			if got.Status >= 200 && got.Status < 300 && r.ctor != "NewMemento" && r.ctor != "NewMementoSandbox" {
				t.Errorf("%s %s%s as the other tenant with the demo's %q: %d %.300s", r.method, r.prefix, r.pattern, id, got.Status, got.Body)
			}
		}
	}
	// The demo's own integrations, named by the other tenant's key.
	for _, integ := range []string{"demo", "integ-" + isoMark} {
		a := d.serve("GET", "/gigapay/v2/employees/", "", isoAuth("NewGigapay", other.key, integ)...)
		n := d.serve("GET", "/gigapay/v2/employees/", "", isoAuth("NewGigapay", other.key, unknownLike(integ))...)
		require.Equal(t, 403, a.Status)
		require.Equal(t, strings.ReplaceAll(string(n.Body), unknownLike(integ), integ), string(a.Body))
	}
	require.Equal(t, before, d.tenantRows(other.id), "none of the demo's rows changed")
	t.Logf("%d routes of %d dialects, %d ids, %d requests", len(walk), len(mountedDialects(t))-1, len(sorted), requests)

	// Every route walked is served: the demo's own key on it finds a route.
	for _, r := range walk {
		got := d.serve(r.method, r.prefix+fill(r.pattern, "x"), "", isoAuth(r.ctor, "demo", "demo")...)
		require.NotContains(t, string(got.Body), "No route for", "%s %s%s is not served", r.method, r.prefix, r.pattern)
		require.NotEqual(t, http.StatusMethodNotAllowed, got.Status, "%s %s%s is not served", r.method, r.prefix, r.pattern)
	}
}
