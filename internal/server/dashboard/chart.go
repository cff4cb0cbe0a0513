package dashboard

import (
	"fmt"
	"slices"
	"time"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/store"
)

// chartDays is how many days the open-findings chart covers, today (UTC)
// included.
const chartDays = 30

// numSeverities sizes per-severity counts, indexed by pipeline.Severity.
const numSeverities = int(pipeline.SeverityCritical) + 1

// dayCounts counts one day's open findings by severity.
type dayCounts struct {
	// Day is the day's start, UTC.
	Day time.Time
	By  [numSeverities]int
	// Known is false for a day that was not computed (the executions it
	// needs were beyond what one page may read).
	Known bool
}

func (c dayCounts) total() int {
	n := 0
	for _, v := range c.By {
		n += v
	}
	return n
}

// dayPlan is what one day of the chart counts: per pipeline, the newest
// execution (by creation) that had finished before the day ended. A
// pipeline's findings are open on a day when that execution reported them
// and no ignore rule or baseline suppressed them.
type dayPlan struct {
	Day        time.Time
	Executions []string
}

// planDays plans the days days ending with now's day (UTC), oldest first,
// over xs, a list of finished executions newest first (as the store lists
// them).
func planDays(xs []store.Execution, now time.Time, days int) []dayPlan {
	today := now.UTC().Truncate(24 * time.Hour)
	plans := make([]dayPlan, days)
	for i := range plans {
		start := today.AddDate(0, 0, i-days+1)
		end := start.AddDate(0, 0, 1)
		seen := map[string]bool{}
		var ids []string
		for _, x := range xs {
			if seen[x.Pipeline] || x.Finished.IsZero() || !x.Finished.Before(end) {
				continue
			}
			seen[x.Pipeline] = true
			ids = append(ids, x.ID)
		}
		plans[i] = dayPlan{Day: start, Executions: ids}
	}
	return plans
}

// Geometry of the chart, in SVG user units.
const (
	chartWidth  = 760
	chartHeight = 240
	chartLeft   = 44
	chartRight  = 8
	chartTop    = 12
	chartBottom = 26
)

// chartView is the open-findings chart as the template draws it: one bar
// per day, stacked by severity (the most severe at the bottom).
type chartView struct {
	Width, Height int
	// The plot's edges and the baseline of the day labels.
	PlotLeft, PlotRight, PlotTop, PlotHeight, LabelY int

	Bars   []barView
	Ticks  []tickView
	Labels []labelView
	// Legend lists the severities, most severe first.
	Legend []string
	Max    int
	// From and To name the first and last day.
	From, To string
	// Empty is set when no day has an open finding.
	Empty bool
}

// barView is one day.
type barView struct {
	Day   string
	Total int
	Known bool
	// X and W place the bar; Title is its tooltip.
	X, W  string
	Title string
	Rects []rectView
}

// rectView is one severity's part of a bar.
type rectView struct {
	Severity string
	Count    int
	X, Y     string
	W, H     string
}

// tickView is a value on the vertical axis.
type tickView struct {
	Y, LabelY string
	Value     int
}

// labelView is a day named under the horizontal axis.
type labelView struct {
	X    string
	Text string
}

// drawChart lays days out as stacked bars.
func drawChart(days []dayCounts) chartView {
	c := chartView{Width: chartWidth, Height: chartHeight, PlotLeft: chartLeft, PlotRight: chartWidth - chartRight,
		PlotTop: chartTop, PlotHeight: chartHeight - chartTop - chartBottom, LabelY: chartHeight - 8, Empty: true}
	for _, s := range slices.Backward(pipeline.Severities()) {
		c.Legend = append(c.Legend, s.String())
	}
	if len(days) == 0 {
		return c
	}
	c.From, c.To = days[0].Day.Format(time.DateOnly), days[len(days)-1].Day.Format(time.DateOnly)
	top := 0
	for _, d := range days {
		top = max(top, d.total())
	}
	c.Max = niceMax(top)
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	base := float64(chartHeight - chartBottom)
	slot := plotW / float64(len(days))
	barW := slot * 0.7
	for _, v := range []int{0, c.Max / 2, c.Max} {
		y := base - float64(v)/float64(c.Max)*plotH
		c.Ticks = append(c.Ticks, tickView{Y: num(y), LabelY: num(y + 4), Value: v})
	}
	for i, d := range days {
		x := float64(chartLeft) + float64(i)*slot + (slot-barW)/2
		b := barView{Day: d.Day.Format(time.DateOnly), Total: d.total(), Known: d.Known, X: num(x), W: num(barW)}
		b.Title = barTitle(d)
		y := base
		for _, s := range slices.Backward(pipeline.Severities()) {
			n := d.By[s]
			if n == 0 || !d.Known {
				continue
			}
			h := float64(n) / float64(c.Max) * plotH
			y -= h
			b.Rects = append(b.Rects, rectView{Severity: s.String(), Count: n, X: num(x), Y: num(y), W: num(barW), H: num(h)})
		}
		if b.Total > 0 {
			c.Empty = false
		}
		c.Bars = append(c.Bars, b)
		if (len(days)-1-i)%7 == 0 {
			c.Labels = append(c.Labels, labelView{X: num(x + barW/2), Text: d.Day.Format("Jan 2")})
		}
	}
	return c
}

// barTitle is a day's tooltip: "2026-03-05: 3 open (1 critical, 2 high)".
func barTitle(d dayCounts) string {
	day := d.Day.Format(time.DateOnly)
	if !d.Known {
		return day + ": not computed"
	}
	t := fmt.Sprintf("%s: %d open", day, d.total())
	sep := " ("
	for _, s := range slices.Backward(pipeline.Severities()) {
		if n := d.By[s]; n > 0 {
			t += fmt.Sprintf("%s%d %s", sep, n, s)
			sep = ", "
		}
	}
	if sep == ", " {
		t += ")"
	}
	return t
}

// niceMax rounds n up to the next of 2, 4, 10, 20, 40, 100, …, so that
// the axis' middle tick is a whole number.
func niceMax(n int) int {
	for m := 1; ; m *= 10 {
		for _, f := range []int{2, 4, 10} {
			if f*m >= n {
				return f * m
			}
		}
	}
}

// num formats a coordinate.
func num(f float64) string { return fmt.Sprintf("%.1f", f) }
