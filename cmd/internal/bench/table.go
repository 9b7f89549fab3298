package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteTable writes the report as Markdown tables: medians of the repetitions, the ratios of
// bucketform to the floor, and bucketform's peak RSS over every plan and apply of the row.
func WriteTable(w io.Writer, rep *Report) {
	if len(rep.Rows) > 0 {
		fmt.Fprintln(w, "| N | foreign buckets | plan s | read floor s | ratio | apply s | write floor s | ratio | peak RSS MiB |")
		fmt.Fprintln(w, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
		for _, r := range rep.Rows {
			plan, rf := median(walls(r.Plan)), median(r.ReadFloor)
			apply, wf := median(walls(r.Apply)), median(r.WriteFloor)
			fmt.Fprintf(w, "| %d | %d | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f | %.1f |\n",
				r.N, r.Foreign, plan.Seconds(), rf.Seconds(), ratio(plan, rf),
				apply.Seconds(), wf.Seconds(), ratio(apply, wf), mib(peakRSS(r.Plan, r.Apply)))
		}
	}
	if len(rep.Validate) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| validate | buckets | seconds | peak RSS MiB |")
		fmt.Fprintln(w, "|---|--:|--:|--:|")
		for _, v := range rep.Validate {
			fmt.Fprintf(w, "| %s | %d | %.3f | %.1f |\n", v.Style, v.N, median(walls(v.Runs)).Seconds(), mib(peakRSS(v.Runs)))
		}
	}
}

// WriteSweep writes a parallelism sweep as a Markdown table.
func WriteSweep(w io.Writer, n int, rows []SweepRow) {
	fmt.Fprintf(w, "Parallelism sweep at N = %d (medians, seconds):\n\n", n)
	fmt.Fprintln(w, "| parallelism | plan s | read floor s | apply s | write floor s |")
	fmt.Fprintln(w, "|--:|--:|--:|--:|--:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %d | %.3f | %.3f | %.3f | %.3f |\n", r.Parallelism,
			median(walls(r.Plan)).Seconds(), median(r.ReadFloor).Seconds(),
			median(walls(r.Apply)).Seconds(), median(r.WriteFloor).Seconds())
	}
}

// WriteRaw writes every repetition's figures, for the record.
func WriteRaw(w io.Writer, rep *Report) {
	for _, r := range rep.Rows {
		fmt.Fprintf(w, "N=%d foreign=%d\n", r.N, r.Foreign)
		fmt.Fprintf(w, "  plan        %s  (cpu %s; rss MiB %s)\n", secs(walls(r.Plan)), secs(cpus(r.Plan)), rssList(r.Plan))
		fmt.Fprintf(w, "  read floor  %s  (cpu %s)\n", secs(r.ReadFloor), secs(r.ReadFloorCPU))
		fmt.Fprintf(w, "  apply       %s  (cpu %s; rss MiB %s)\n", secs(walls(r.Apply)), secs(cpus(r.Apply)), rssList(r.Apply))
		fmt.Fprintf(w, "  write floor %s  (cpu %s)\n", secs(r.WriteFloor), secs(r.WriteFloorCPU))
	}
	for _, v := range rep.Validate {
		fmt.Fprintf(w, "validate %s N=%d  %s  (rss MiB %s)\n", v.Style, v.N, secs(walls(v.Runs)), rssList(v.Runs))
	}
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func cpus(ps []Proc) []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = p.CPU
	}
	return out
}

func secs(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.3f", d.Seconds())
	}
	return strings.Join(parts, " ")
}

func rssList(ps []Proc) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%.1f", mib(p.MaxRSS))
	}
	return strings.Join(parts, " ")
}
