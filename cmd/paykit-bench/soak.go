package main

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paykit/paykit/internal/cputime"
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
	cl, stopServer := b.serveGigPay(c)
	defer stopServer()
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
	start, cpu := time.Now(), cputime.Process()
	deadline := start.Add(d)
	for i := range c {
		wg.Go(func() {
			body := createTokenBody(b.src.ID)
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
	r = result{name: "CreateToken (HTTP, soak)", callers: c, elapsed: time.Since(start), cpu: cputime.Process() - cpu, errors: errs.Load()}
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
