package main

import (
	"cmp"
	"fmt"
	"log"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paykit/paykit/internal/cputime"
)

// result is one measurement: how long its operations took in all, and each
// one's latency.
type result struct {
	name      string
	callers   int
	elapsed   time.Duration
	cpu       time.Duration   // this process's CPU time, user and system, over elapsed
	latencies []time.Duration // sorted
	count     int             // operations, when they have no latencies of their own (deliveries)
	errors    int64
	base      float64 // the ops/s this one is compared with; 0 for none
}

func (r result) ops() int {
	if r.count > 0 {
		return r.count
	}
	return len(r.latencies)
}

func (r result) opsPerSec() float64 { return float64(r.ops()) / r.elapsed.Seconds() }

// cpuPerOp is the process's CPU time per operation: what the operation costs
// the machine, which a slower or faster disk changes far less than it
// changes ops/s.
func (r result) cpuPerOp() time.Duration { return r.cpu / time.Duration(max(r.ops(), 1)) }

func (r result) pct(p int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := (len(r.latencies)*p + 99) / 100
	return r.latencies[max(0, min(i, len(r.latencies))-1)]
}

// median returns the result with the median ops/s (the slower of the middle
// two of an even number).
func median(rs []result) result {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b result) int { return cmp.Compare(a.opsPerSec(), b.opsPerSec()) })
	return rs[(len(rs)-1)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// run calls op(i) for i in [0,n) from c goroutines and times each call.
func run(name string, n, c int, op func(i int) error) result {
	lat := make([]time.Duration, n)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	start, cpu := time.Now(), cputime.Process()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					if errs.Add(1) == 1 {
						log.Printf("%s: %v", name, err)
					}
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	r := result{name: name, elapsed: time.Since(start), cpu: cputime.Process() - cpu, latencies: lat, errors: errs.Load()}
	slices.Sort(r.latencies)
	return r
}
