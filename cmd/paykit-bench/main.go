// Command paykit-bench measures paykit where users compare it, in one run on
// one machine, and prints a table with ratios (and writes it as JSON with
// -json, which -compare reads back to set two commits side by side):
//
//   - a raw-SQL baseline: the writes a token's creation needs at minimum (a
//     row insert, a balance update and an event insert, in one transaction),
//     on the same database through the same driver: modernc's SQLite with the
//     store's pragmas and one writer connection, or pgx's database/sql driver
//     with as many connections as the store's pool;
//
//   - CreateToken and AcceptToken through the Service, at each number of
//     concurrent callers, against the baseline;
//
//   - the same through the GigPay API over HTTP (an in-process server and a Go
//     load generator on keep-alive connections), against the Service, and
//     beside them net/http's own floor: the same client and requests to a
//     handler that does nothing;
//
//   - a page of the GigPay payments list at a million payments of one tenant,
//     the first and the last, of the whole list and of one account;
//
//   - webhook deliveries per second, signed, to 8 local endpoints;
//
//   - with -soak, a minute (say) of HTTP load at the highest concurrency,
//     with the process's peak memory and the WAL's peak size.
//
//     go run ./cmd/paykit-bench                      # SQLite; 1, 8 and 64 concurrent callers
//     go run ./cmd/paykit-bench -n 5000 -c 1,64 -sync NORMAL -json new.json -compare old.json
//     go run ./cmd/paykit-bench -db "$PAYKIT_POSTGRES_DSN"
//     go run ./cmd/paykit-bench -soak 60s -c 64
//
// On PostgreSQL each measurement runs in a schema of its own, created for it
// and dropped after it, so the database is left as it was.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/paykit/paykit/store"
	_ "modernc.org/sqlite"
)

// pgConns is the size of every PostgreSQL pool here: the store's and the
// baseline's, so that both queue their callers alike.
const pgConns = 32

func main() {
	n := flag.Int("n", 2000, "operations per measurement")
	conc := flag.String("c", "1,8,64", "comma-separated concurrency levels")
	db := flag.String("db", "", "database: empty for SQLite files in -dir, or a postgres:// URL (each measurement in a schema of its own, dropped after)")
	syncMode := flag.String("sync", "FULL", "SQLite synchronous pragma: FULL or NORMAL")
	group := flag.Bool("group-commit", true, "let the SQLite store commit concurrent operations together")
	dir := flag.String("dir", "", "directory for the SQLite database files (default: a temporary one)")
	overHTTPToo := flag.Bool("http", true, "also measure the same operations through the GigPay API over HTTP")
	events := flag.Int("events", 2000, "events whose webhook deliveries are timed (each to 8 endpoints); 0 skips")
	soakFor := flag.Duration("soak", 0, "also run HTTP CreateToken at the highest -c for this long, with peak memory and WAL size")
	jsonOut := flag.String("json", "", "write the results to this file as JSON")
	compare := flag.String("compare", "", "a -json file of an earlier run, to print each ops/s beside its own")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	listRows := flag.Int("list-rows", 1_000_000, "payments of the GigPay list whose pages are timed; 0 skips")
	pages := flag.Int("pages", 200, "operations whose WAL pages per commit are counted, on SQLite at one caller; 0 skips")
	rounds := flag.Int("rounds", 3, "rounds of each concurrency level, the baseline and paykit taking turns; each operation reports its median round")
	flag.Parse()

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}

	var levels []int
	for _, s := range strings.Split(*conc, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		levels = append(levels, c)
	}
	var t *target
	switch {
	case store.IsPostgres(*db):
		t = postgresTarget(*db)
	case *db == "":
		t = sqliteTarget(*dir, *syncMode, *group)
	default:
		log.Fatalf("-db %q: give a postgres:// URL, or nothing for SQLite files in -dir", *db)
	}
	defer t.close()

	rep := report{Conditions: conditions(t, *n, *rounds)}
	fmt.Printf("paykit-bench: %s\n\n", rep.Conditions)
	for i, c := range levels {
		// The machine's speed drifts from second to second; rounds that take
		// turns, and the median of each, keep the drift out of the ratios.
		var bases, creates, accepts, hcreates, haccepts, floors []result
		for r := range max(*rounds, 1) {
			name := func(what string) string { return fmt.Sprintf("%s-%d-%d", what, i, r) }
			bases = append(bases, baseline(t, name("baseline"), *n, c))
			create, accept := service(t, name("service"), *n, c)
			creates, accepts = append(creates, create), append(accepts, accept)
			if *overHTTPToo {
				hc, ha := overHTTP(t, name("http"), *n, c)
				hcreates, haccepts = append(hcreates, hc), append(haccepts, ha)
				floors = append(floors, httpFloor(*n, c))
			}
		}
		base, create, accept := median(bases), median(creates), median(accepts)
		base.callers, create.callers, accept.callers = c, c, c
		create.base, accept.base = base.opsPerSec(), base.opsPerSec()
		rep.add(base, create, accept)
		if *overHTTPToo {
			hc, ha, floor := median(hcreates), median(haccepts), median(floors)
			hc.callers, ha.callers, floor.callers = c, c, c
			hc.base, ha.base = create.opsPerSec(), accept.opsPerSec()
			rep.add(hc, ha, floor)
		}
	}
	if *pages > 0 && !t.postgres {
		var p walPagesPerCommit
		p.Baseline, p.CreateToken, p.AcceptToken = walPages(t, *pages)
		rep.WALPages = &p
	}
	if *listRows > 0 {
		rep.add(listPages(t, *listRows, 200)...)
	}
	if *events > 0 {
		rep.add(deliveries(t, "webhooks", *events))
	}
	if *soakFor > 0 {
		r, peakRSS, peakWAL := soak(t, *soakFor, slices.Max(levels))
		rep.add(r)
		rep.PeakRSS, rep.PeakWAL = peakRSS, peakWAL
	}
	var old *report
	if *compare != "" {
		old = readReport(*compare)
	}
	rep.print(os.Stdout, old)
	if *jsonOut != "" {
		rep.write(*jsonOut)
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
