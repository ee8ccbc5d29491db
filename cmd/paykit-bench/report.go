package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// report is a run's results, as printed and as written with -json.
type report struct {
	Conditions string `json:"conditions"`
	Results    []row  `json:"results"`
	PeakRSS    int64  `json:"peakRSSBytes,omitempty"` // with -soak: the process's, server and load generator together
	PeakWAL    int64  `json:"peakWALBytes,omitempty"` // with -soak, on SQLite
	// WALPages is, on SQLite, the mean number of pages one commit writes to
	// the WAL at one caller (see walPages).
	WALPages *walPagesPerCommit `json:"walPagesPerCommit,omitempty"`
}

type walPagesPerCommit struct {
	Baseline    float64 `json:"baseline"`
	CreateToken float64 `json:"createToken"`
	AcceptToken float64 `json:"acceptToken"`
}

// row is one measurement. Ratio is its ops/s over what it is compared with:
// the raw baseline for the Service, the Service for HTTP.
type row struct {
	Name      string  `json:"name"`
	Callers   int     `json:"callers,omitempty"`
	Ops       int     `json:"ops"`
	OpsPerSec float64 `json:"opsPerSec"`
	P50ms     float64 `json:"p50ms,omitempty"`
	P99ms     float64 `json:"p99ms,omitempty"`
	MaxMs     float64 `json:"maxMs,omitempty"`
	// CPUus is the process's CPU time per operation, in microseconds: with
	// HTTP, the server's and the load generator's; on PostgreSQL, not the
	// server's.
	CPUus  float64 `json:"cpuMicros,omitempty"`
	Errors int64   `json:"errors"`
	Ratio  float64 `json:"ratio,omitempty"`
}

func (rep *report) add(rs ...result) {
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, r := range rs {
		w := row{Name: r.name, Callers: r.callers, Ops: r.ops(), OpsPerSec: r.opsPerSec(), Errors: r.errors,
			CPUus: float64(r.cpuPerOp()) / float64(time.Microsecond)}
		if len(r.latencies) > 0 {
			w.P50ms, w.P99ms, w.MaxMs = msOf(r.pct(50)), msOf(r.pct(99)), msOf(r.pct(100))
		}
		if r.base > 0 {
			w.Ratio = w.OpsPerSec / r.base
		}
		rep.Results = append(rep.Results, w)
	}
}

// print writes the table; with old, each ops/s beside old's for the same
// measurement.
func (rep *report) print(out io.Writer, old *report) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "operation\tcallers\tops/s\tp50\tp99\tmax\tcpu/op\terrors\tratio\t"
	if old != nil {
		head += "before\tchange\t"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rep.Results {
		ratio := ""
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.0f%%", 100*r.Ratio)
		}
		line := fmt.Sprintf("%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t%s\t", r.Name, callers(r.Callers), r.OpsPerSec,
			msCell(r.P50ms), msCell(r.P99ms), msCell(r.MaxMs), usCell(r.CPUus), r.Errors, ratio)
		if old != nil {
			if o, ok := old.find(r); ok && o.OpsPerSec > 0 {
				line += fmt.Sprintf("%.0f\t%+.0f%%\t", o.OpsPerSec, 100*(r.OpsPerSec/o.OpsPerSec-1))
			} else {
				line += "\t\t"
			}
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	fmt.Fprintln(out, "\nratio: the Service's ops/s over the raw baseline's at the same callers; HTTP's over the Service's.")
	fmt.Fprintln(out, "cpu/op: this process's CPU time (user and system) per operation; over HTTP, the server's and the load generator's.")
	if p := rep.WALPages; p != nil {
		fmt.Fprintf(out, "WAL pages per commit at one caller: baseline %.1f, CreateToken %.1f, AcceptToken %.1f\n",
			p.Baseline, p.CreateToken, p.AcceptToken)
	}
	if rep.PeakRSS > 0 {
		fmt.Fprintf(out, "soak: peak RSS %.1f MB (server and load generator in one process)", float64(rep.PeakRSS)/(1<<20))
		if rep.PeakWAL > 0 {
			fmt.Fprintf(out, ", peak WAL %.1f MB", float64(rep.PeakWAL)/(1<<20))
		}
		fmt.Fprintln(out)
	}
}

func (rep *report) find(r row) (row, bool) {
	for _, o := range rep.Results {
		if o.Name == r.Name && o.Callers == r.Callers {
			return o, true
		}
	}
	return row{}, false
}

func (rep *report) write(path string) {
	b, err := json.MarshalIndent(rep, "", "  ")
	check(err)
	check(os.WriteFile(path, append(b, '\n'), 0o644))
}

func readReport(path string) *report {
	b, err := os.ReadFile(path)
	check(err)
	var rep report
	check(json.Unmarshal(b, &rep))
	return &rep
}

func callers(c int) string {
	if c == 0 {
		return ""
	}
	return fmt.Sprint(c)
}

func usCell(v float64) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%.0fµs", v)
}

func msCell(v float64) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%.2fms", v)
}

// conditions says what the numbers were measured on.
func conditions(t *target, n, rounds int) string {
	cpu := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("n=%d, median of %d rounds, %s; %d CPUs (%s), %s", n, max(rounds, 1), t.conditions, runtime.NumCPU(), cpu, runtime.Version())
}
