package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// chartData is what the SVG chart shows: when each handoff's action arrived (since the
// first create) and the handoff latencies.
type chartData struct {
	actionsAt []time.Duration // sorted
	latencies []time.Duration // sorted
}

// chartData collects the chart's data from the tracker: the first action of each
// conversation, relative to start.
func (t *vendorTracker) chartData(start time.Time) chartData {
	latencies, _, _, _ := t.handoffs()
	t.mu.Lock()
	defer t.mu.Unlock()
	var at []time.Duration
	for _, c := range t.convs {
		if !c.created.IsZero() && !c.firstAction.IsZero() {
			at = append(at, c.firstAction.Sub(start))
		}
	}
	sort.Slice(at, func(i, j int) bool { return at[i] < at[j] })
	return chartData{actionsAt: at, latencies: latencies}
}

// Chart geometry: two panels side by side.
const (
	chartPanelW, chartPanelH = 420.0, 260.0
	chartMargin              = 50.0
)

// writeChart writes an SVG with two panels next to the report: handoffs over time (the
// cumulative count of first actions) and the latency distribution (a histogram in 20
// buckets from 0 to the largest latency). It returns the path.
func writeChart(dir string, r *Report, d chartData) (string, error) {
	var b strings.Builder
	width := 2*(chartPanelW+chartMargin) + chartMargin
	height := chartPanelH + 2*chartMargin
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="14">switchboard-operator bench: %d handoffs, commit %.12s, ratio %.2f</text>`+"\n",
		chartMargin, r.Settings.N, r.Revision, r.Results.Ratio)

	// Panel 1: cumulative handoffs over time.
	x0, y0 := chartMargin, chartMargin
	total := time.Duration(r.Results.AllReadySeconds * float64(time.Second))
	if n := len(d.actionsAt); n > 0 {
		total = max(total, d.actionsAt[n-1])
	}
	axes(&b, x0, y0, "seconds since the first create", "handoffs applied", total.Seconds(), float64(len(d.actionsAt)))
	if len(d.actionsAt) > 0 && total > 0 {
		points := make([]string, 0, len(d.actionsAt)+1)
		points = append(points, fmt.Sprintf("%.1f,%.1f", x0, y0+chartPanelH))
		for i, at := range d.actionsAt {
			points = append(points, fmt.Sprintf("%.1f,%.1f", x0+chartPanelW*at.Seconds()/total.Seconds(),
				y0+chartPanelH-chartPanelH*float64(i+1)/float64(len(d.actionsAt))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="%s"/>`+"\n", strings.Join(points, " "))
	}

	// Panel 2: latency histogram.
	x0 = 2*chartMargin + chartPanelW
	const buckets = 20
	counts := make([]int, buckets)
	maxLatency := 0.0
	if n := len(d.latencies); n > 0 {
		maxLatency = math.Max(d.latencies[n-1].Seconds(), 1e-3)
	}
	for _, l := range d.latencies {
		i := min(int(math.Max(l.Seconds(), 0)/maxLatency*buckets), buckets-1)
		counts[i]++
	}
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	axes(&b, x0, y0, "handoff latency, seconds (create to action)", "handoffs", maxLatency, float64(top))
	for i, c := range counts {
		if c == 0 {
			continue
		}
		h := chartPanelH * float64(c) / float64(top)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#ff7f0e"/>`+"\n",
			x0+chartPanelW*float64(i)/buckets+1, y0+chartPanelH-h, chartPanelW/buckets-2, h)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">p50 %s, p99 %s</text>`+"\n", x0+chartPanelW-150, y0+15,
		millis(r.Results.Latency.P50Seconds), millis(r.Results.Latency.P99Seconds))
	b.WriteString("</svg>\n")
	path := filepath.Join(dir, fmt.Sprintf("bench-%d-%s.svg", r.Settings.N, r.StartedAt.Format("20060102-150405")))
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// axes draws a panel's axes at (x0, y0) with labels and the largest values at their ends.
func axes(b *strings.Builder, x0, y0 float64, xLabel, yLabel string, xMax, yMax float64) {
	fmt.Fprintf(b, `<path d="M%.1f %.1f V%.1f H%.1f" fill="none" stroke="black"/>`+"\n", x0, y0, y0+chartPanelH, x0+chartPanelW)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f">0</text><text x="%.1f" y="%.1f" text-anchor="end">%.3g</text>`+"\n",
		x0-4, y0+chartPanelH+14, x0+chartPanelW, y0+chartPanelH+14, xMax)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%.0f</text>`+"\n", x0-4, y0+10, yMax)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x0+chartPanelW/2, y0+chartPanelH+32, xLabel)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" transform="rotate(-90 %.1f %.1f)">%s</text>`+"\n",
		x0-30, y0+chartPanelH/2, x0-30, y0+chartPanelH/2, yLabel)
}
