package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WriteTable writes the report as Markdown tables: medians of the repetitions, the ratios of
// bucketform to the floor, bucketform's peak RSS over every plan and every apply of the row;
// then, for the rows that were counted, the figures that depend little or not at all on the
// machine's load: requests, bytes read, and CPU time (bucketform's or the floor's, plus the
// server's, medians of the timed runs; the server's includes its background work meanwhile).
func WriteTable(w io.Writer, rep *Report) {
	if len(rep.Rows) > 0 {
		fmt.Fprintln(w, "| N | foreign buckets | plan s | read floor s | plan / read floor | apply s | write floor s | apply / write floor | plan peak RSS MiB | apply peak RSS MiB |")
		fmt.Fprintln(w, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
		for _, r := range rep.Rows {
			plan, rf := median(walls(r.Plan)), median(r.ReadFloor)
			apply, wf := median(walls(r.Apply)), median(r.WriteFloor)
			fmt.Fprintf(w, "| %s | %s | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f | %.1f | %.1f |\n",
				thousands(r.N), thousands(r.Foreign), plan.Seconds(), rf.Seconds(), ratio(plan, rf),
				apply.Seconds(), wf.Seconds(), ratio(apply, wf), mib(peakRSS(r.Plan)), mib(peakRSS(r.Apply)))
		}
		counted := false
		for _, r := range rep.Rows {
			counted = counted || r.Counts != nil
		}
		if counted {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "| N | foreign buckets | plan requests | read floor requests | plan MB read | read floor MB read | plan CPU s | read floor CPU s | plan / read floor CPU | apply writes per bucket | write floor writes per bucket | apply requests | write floor requests | apply / write floor CPU |")
			fmt.Fprintln(w, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
			for _, r := range rep.Rows {
				if r.Counts == nil {
					continue
				}
				c := r.Counts
				pcpu, fcpu := median(sum(cpus(r.Plan), r.PlanServerCPU)), median(sum(r.ReadFloorCPU, r.ReadFloorServerCPU))
				acpu, wcpu := median(sum(cpus(r.Apply), r.ApplyServerCPU)), median(sum(r.WriteFloorCPU, r.WriteFloorServerCPU))
				fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f | %.2f | %.3f | %.3f | %.2f | %.2f | %.2f | %s | %s | %.2f |\n",
					thousands(r.N), thousands(r.Foreign), thousands(c.Plan.Total()), thousands(c.ReadFloor.Total()),
					float64(c.Plan.Bytes)/1e6, float64(c.ReadFloor.Bytes)/1e6, pcpu.Seconds(), fcpu.Seconds(), ratio(pcpu, fcpu),
					float64(c.Apply.Writes())/float64(r.N), float64(c.WriteFloor.Writes())/float64(r.N),
					thousands(c.Apply.Total()), thousands(c.WriteFloor.Total()), ratio(acpu, wcpu))
			}
		}
	}
	if pr := rep.Pair; pr != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "| N | plan s, empty server | plan s, %s foreign buckets | foreign / empty | read floor s, empty server | read floor s, %s foreign buckets | foreign / empty |\n",
			thousands(pr.Foreign), thousands(pr.Foreign))
		fmt.Fprintln(w, "|--:|--:|--:|--:|--:|--:|--:|")
		e, f := median(walls(pr.Empty)), median(walls(pr.Full))
		ef, ff := median(pr.EmptyFloor), median(pr.FullFloor)
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f |\n", thousands(pr.N), e.Seconds(), f.Seconds(), ratio(f, e),
			ef.Seconds(), ff.Seconds(), ratio(ff, ef))
	}
	if len(rep.Validate) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| validate | buckets | seconds | peak RSS MiB |")
		fmt.Fprintln(w, "|---|--:|--:|--:|")
		for _, v := range rep.Validate {
			fmt.Fprintf(w, "| %s | %s | %.3f | %.1f |\n", v.Style, thousands(v.N), median(walls(v.Runs)).Seconds(), mib(peakRSS(v.Runs)))
		}
	}
}

// thousands writes n with a comma every three digits, as the docs' tables do.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// sum adds two lists element by element (the shorter one's length).
func sum(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, min(len(a), len(b)))
	for i := range out {
		out[i] = a[i] + b[i]
	}
	return out
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

// WriteRaw writes every repetition's figures, and the counted requests by kind, for the
// record.
func WriteRaw(w io.Writer, rep *Report) {
	for _, r := range rep.Rows {
		fmt.Fprintf(w, "N=%d foreign=%d (load average %s at the start, %s at the end)\n", r.N, r.Foreign, r.Load[0], r.Load[1])
		fmt.Fprintf(w, "  plan        %s  (cpu %s; server cpu %s; rss MiB %s)\n", secs(walls(r.Plan)), secs(cpus(r.Plan)), secs(r.PlanServerCPU), rssList(r.Plan))
		fmt.Fprintf(w, "  read floor  %s  (cpu %s; server cpu %s)\n", secs(r.ReadFloor), secs(r.ReadFloorCPU), secs(r.ReadFloorServerCPU))
		fmt.Fprintf(w, "  apply       %s  (cpu %s; server cpu %s; rss MiB %s)\n", secs(walls(r.Apply)), secs(cpus(r.Apply)), secs(r.ApplyServerCPU), rssList(r.Apply))
		fmt.Fprintf(w, "  write floor %s  (cpu %s; server cpu %s)\n", secs(r.WriteFloor), secs(r.WriteFloorCPU), secs(r.WriteFloorServerCPU))
		if c := r.Counts; c != nil {
			for _, x := range []struct {
				what string
				c    Count
			}{{"plan", c.Plan}, {"read floor", c.ReadFloor}, {"apply", c.Apply}, {"write floor", c.WriteFloor}} {
				fmt.Fprintf(w, "  counted %s: %d requests, %d bytes answered\n", x.what, x.c.Total(), x.c.Bytes)
				for _, k := range slices.Sorted(maps.Keys(x.c.Requests)) {
					fmt.Fprintf(w, "    %7d %s\n", x.c.Requests[k], k)
				}
			}
		}
	}
	if pr := rep.Pair; pr != nil {
		fmt.Fprintf(w, "pair N=%d: plan on the empty server %s; with %d foreign buckets %s\n", pr.N, secs(walls(pr.Empty)), pr.Foreign, secs(walls(pr.Full)))
		fmt.Fprintf(w, "  read floor on the empty server %s; with the foreign buckets %s\n", secs(pr.EmptyFloor), secs(pr.FullFloor))
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
