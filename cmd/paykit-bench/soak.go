package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paykit/paykit/httpapi"
)

// soakTokens is how many 1.00 USD tokens the soak's payer is funded for: more
// than a minute of any load this machine makes.
const soakTokens = 10_000_000

// soak creates tokens over HTTP from c callers for d, as overHTTP does, and
// samples the process's resident memory and the SQLite WAL's size every 100 ms.
// The process holds the load generator as well as the server, so its peak RSS
// bounds the server's from above.
func soak(t *target, d time.Duration, c int) (r result, peakRSS, peakWAL int64) {
	b := newBench(t, "soak", soakTokens)
	defer b.close()
	ctx := context.Background()
	key, err := b.svc.CreateAPIKey(ctx, b.tenant.ID, "")
	check(err)
	mux := http.NewServeMux()
	mux.Handle("/gigpay/", http.StripPrefix("/gigpay", httpapi.NewGigPay(b.svc)))
	limits := httpapi.DefaultServerLimits
	limits.MaxConcurrent = max(limits.MaxConcurrent, c)
	srv := httpapi.NewServer(mux, limits)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	go srv.Serve(ln)
	defer srv.Shutdown(ctx)
	cl := &client{base: "http://" + ln.Addr().String() + "/gigpay/api/v1", key: key,
		http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}}}
	wal := ""
	if !t.postgres {
		wal = b.dsn + "-wal"
	}

	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			peakRSS = max(peakRSS, rss())
			if wal != "" {
				if fi, err := os.Stat(wal); err == nil {
					peakWAL = max(peakWAL, fi.Size())
				}
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})

	var errs atomic.Int64
	lats := make([][]time.Duration, c)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i := range c {
		wg.Go(func() {
			body := map[string]any{"assetType": "usd", "sourceAccountId": b.src.ID, "amount": json.Number("1"), "memo": "soak"}
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if err := cl.post("/payment-tokens", body, nil); err != nil {
					errs.Add(1)
				}
				lats[i] = append(lats[i], time.Since(t0))
			}
		})
	}
	wg.Wait()
	r = result{name: "CreateToken (HTTP, soak)", callers: c, elapsed: time.Since(start), errors: errs.Load()}
	for _, l := range lats {
		r.latencies = append(r.latencies, l...)
	}
	slices.Sort(r.latencies)
	close(stop)
	sampler.Wait()
	return r, peakRSS, peakWAL
}

// rss returns the process's resident set size in bytes, or 0 where
// /proc/self/status is not there to say.
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
