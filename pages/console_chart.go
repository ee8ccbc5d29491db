package pages

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/paykit/paykit"
)

// The console's overview: payment volume and webhook success by day over the
// last chartDays days by the Service's clock, drawn server-side as SVG (the
// template draws the bars this file measures), with no script and no library.
//
// Volume is the sum of the payments that moved money (completed, or a
// charge's succeeded), by the day they were created, in one currency: the
// one asked for (?currency=), else the one with the most such payments.
// Sums are of integer minor units, and bar heights are integer arithmetic
// on them: no float touches an amount. Webhook success is each delivery's
// outcome by the day of its last attempt: succeeded, or not (failed, or
// still retrying).

const (
	chartDays   = 14
	chartWidth  = 700
	chartHeight = 180 // the bars' area
	chartTop    = 16  // room for the maximum's label
	chartBottom = 22  // room for the days' labels
	chartSlot   = (chartWidth - 20) / chartDays
	chartBarW   = chartSlot * 2 / 3
)

// chart is what the template draws.
type chart struct {
	Width, Height int // the SVG's
	Base          int // the y of the bars' base line
	Bars          []chartBar
	Max           string // the top of the scale, written
	Summary       string // the chart as a sentence, for screen readers
}

// chartBar is one day's bar, of one or two stacked segments.
type chartBar struct {
	X, W, LabelX int
	Label        string // the day, under every other bar
	Title        string // the day's numbers, as a tooltip
	Segments     []chartSegment
}

type chartSegment struct {
	Y, H  int
	Class string // bar, ok, bad
}

// overviewView is the overview page.
type overviewView struct {
	Currency   paykit.Currency
	Currencies []paykit.Currency // the others with payments, to switch to
	Volume     chart
	Total      string
	Webhooks   chart
	Succeeded  int
	Failed     int
}

// days returns the starts of the chart's days, oldest first, ending today.
func days(now time.Time) []time.Time {
	today := now.UTC().Truncate(24 * time.Hour)
	out := make([]time.Time, chartDays)
	for i := range out {
		out[i] = today.AddDate(0, 0, i-chartDays+1)
	}
	return out
}

// dayOf returns the index of t's day in ds, or -1.
func dayOf(ds []time.Time, t time.Time) int {
	i := int(t.UTC().Sub(ds[0]) / (24 * time.Hour))
	if t.Before(ds[0]) || i >= len(ds) {
		return -1
	}
	return i
}

func (c *consolePages) overview(w http.ResponseWriter, r *http.Request, sess *session) {
	ctx := r.Context()
	ds := days(c.svc.Clock().Now())
	v, err := c.volume(ctx, sess.tenant.ID, ds, r.URL.Query().Get("currency"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if err := c.webhookSuccess(ctx, sess.tenant.ID, ds, &v); err != nil {
		c.fail(w, r, err)
		return
	}
	c.show(w, r, sess, http.StatusOK, "overview", "Overview", consoleView{Page: v})
}

// volume measures the payment volume chart.
func (c *consolePages) volume(ctx context.Context, tenantID string, ds []time.Time, want string) (overviewView, error) {
	from := ds[0]
	sums := map[paykit.Currency][]int64{}
	counts := map[paykit.Currency][]int{}
	for p, err := range c.svc.FindAllPayments(ctx, tenantID, paykit.PaymentFilter{CreatedFrom: &from}) {
		if err != nil {
			return overviewView{}, err
		}
		if p.Status != paykit.PaymentStatusCompleted && p.Status != paykit.PaymentStatusSucceeded {
			continue
		}
		i := dayOf(ds, p.CreatedAt)
		if i < 0 {
			continue
		}
		cur := p.Amount.Currency
		if sums[cur] == nil {
			sums[cur], counts[cur] = make([]int64, len(ds)), make([]int, len(ds))
		}
		sums[cur][i] += p.Amount.Minor()
		counts[cur][i]++
	}
	var v overviewView
	for cur := range sums {
		v.Currencies = append(v.Currencies, cur)
	}
	slices.Sort(v.Currencies)
	total := func(cur paykit.Currency) (n int) {
		for _, k := range counts[cur] {
			n += k
		}
		return n
	}
	v.Currency = paykit.Currency(want)
	if _, ok := sums[v.Currency]; !ok {
		v.Currency = ""
		for _, cur := range v.Currencies {
			if v.Currency == "" || total(cur) > total(v.Currency) {
				v.Currency = cur
			}
		}
	}
	if v.Currency == "" {
		v.Currency = "USD"
		sums[v.Currency], counts[v.Currency] = make([]int64, len(ds)), make([]int, len(ds))
	}
	v.Currencies = slices.DeleteFunc(v.Currencies, func(cur paykit.Currency) bool { return cur == v.Currency })
	var sum int64
	for _, s := range sums[v.Currency] {
		sum += s
	}
	v.Total = formatMoney(paykit.MoneyFromMinor(sum, v.Currency))
	v.Volume = measure(ds, func(i int) []int64 { return []int64{sums[v.Currency][i]} }, []string{"bar"},
		func(n int64) string { return formatMoney(paykit.MoneyFromMinor(n, v.Currency)) },
		func(i int) string {
			return fmt.Sprintf("%s: %s in %d %s", ds[i].Format("2 Jan"),
				formatMoney(paykit.MoneyFromMinor(sums[v.Currency][i], v.Currency)), counts[v.Currency][i], plural(counts[v.Currency][i], "payment"))
		})
	v.Volume.Summary = fmt.Sprintf("Payment volume in %s by day over the last %d days: %s in all.", v.Currency, chartDays, v.Total)
	return v, nil
}

// webhookSuccess measures the webhook success chart into v: a count of a
// day's outcomes reads that day's part of an index, so a tenant with
// millions of deliveries gets its last days counted, all of them.
func (c *consolePages) webhookSuccess(ctx context.Context, tenantID string, ds []time.Time, v *overviewView) error {
	ok, bad := make([]int64, len(ds)), make([]int64, len(ds))
	for i, day := range ds {
		n, err := c.svc.FindDeliveryOutcomes(ctx, tenantID, day, day.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		ok[i], bad[i] = int64(n.Succeeded), int64(n.Failed)
		v.Succeeded += n.Succeeded
		v.Failed += n.Failed
	}
	v.Webhooks = measure(ds, func(i int) []int64 { return []int64{ok[i], bad[i]} }, []string{"ok", "bad"},
		func(n int64) string { return fmt.Sprint(n) },
		func(i int) string {
			return fmt.Sprintf("%s: %d succeeded, %d failed or retrying", ds[i].Format("2 Jan"), ok[i], bad[i])
		})
	v.Webhooks.Summary = fmt.Sprintf("Webhook deliveries by the day of their last attempt over the last %d days: %d succeeded, %d failed or retrying.",
		chartDays, v.Succeeded, v.Failed)
	return nil
}

// measure lays out a bar chart of the days ds: values(i) are day i's stacked
// segments, drawn with classes; scale writes the scale's top, and title a
// day's tooltip.
func measure(ds []time.Time, values func(int) []int64, classes []string, scale func(int64) string, title func(int) string) chart {
	var top int64
	for i := range ds {
		var sum int64
		for _, n := range values(i) {
			sum += n
		}
		top = max(top, sum)
	}
	ch := chart{Width: chartWidth, Height: chartTop + chartHeight + chartBottom, Base: chartTop + chartHeight, Max: scale(top)}
	for i, d := range ds {
		x := 10 + i*chartSlot + (chartSlot-chartBarW)/2
		b := chartBar{X: x, W: chartBarW, LabelX: x + chartBarW/2, Title: title(i)}
		if i%2 == len(ds)%2 || i == len(ds)-1 {
			b.Label = d.Format("2 Jan")
		}
		y := chartTop + chartHeight
		for k, n := range values(i) {
			if n <= 0 || top <= 0 {
				continue
			}
			// Integer arithmetic: n ≤ top ≤ 9e14 minor units, times the
			// height stays far inside int64.
			h := max(int(n*chartHeight/top), 1) // a non-empty segment stays visible
			y -= h
			b.Segments = append(b.Segments, chartSegment{Y: y, H: h, Class: classes[k]})
		}
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}
