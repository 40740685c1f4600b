#!/usr/bin/env python3
"""Turn the JSON lines of one bench/compare.sh run into docs/benchmarks.md-ready markdown and a gnuplot PNG.

    python3 bench/report.py build/bench-results/RUN.jsonl --md OUT.md --png OUT.png

Input: one {"type":"meta"} line (how, when and where the run was made: servers and cases in table order),
then one {"type":"run"} line per (case, repetition, server) holding `sockit bench --json`'s object under
"bench" (null when the run failed) and the server's RSS read from /proc.

Every figure is the median over the repetitions; every ratio is median(server) / median(hand-written epoll
echo) for the same case in the same run. Standard library only (Debian 12's python3).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

REF = "epoll_ref"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_rate(v):
    if v is None:
        return "–"
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def fmt_bytes(v):
    if v is None:
        return "–"
    if v < 1024:
        return f"{v:.0f} B"
    if v < 1024 * 1024:
        return f"{v / 1024:.1f} KiB"
    return f"{v / (1024 * 1024):.1f} MiB"


def fmt_us(v):
    if v is None:
        return "–"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:.0f}"


def fmt_ratio(v):
    return "" if v is None else f" ({v:.2f}×)" if v >= 0.1 else f" ({v:.3f}×)"


def ratio(a, b):
    return a / b if a is not None and b else None


class Cell:
    """The medians for one server on one case, over its repetitions."""

    def __init__(self, runs, conns):
        ok = [r for r in runs if r.get("bench") and r.get("bench_exit") == 0]
        self.runs = len(runs)
        self.failed = len(runs) - len(ok)
        bench = [r["bench"] for r in ok]
        self.errors = sum((b.get("errors") or 0) + (b.get("connect_failures") or 0) for b in bench)
        self.first_errors = sorted({b["first_error"] for b in bench if b.get("first_error")})
        self.rate = median([b.get("msgs_per_s") for b in bench])
        self.cpu = median([b.get("server_cpu_us_per_msg") for b in bench])
        lat = [b.get("latency_us") or {} for b in bench]
        self.p50 = median([l.get("p50") for l in lat])
        self.p99 = median([l.get("p99") for l in lat])
        # Peak RSS per connection: (VmHWM after the run - VmRSS idle before it) / connections.
        per_conn = []
        for r in ok:
            if r.get("rss_hwm_kb") is not None and r.get("rss_idle_kb") is not None:
                per_conn.append(max(0, r["rss_hwm_kb"] - r["rss_idle_kb"]) * 1024 / conns)
        self.rss_per_conn = median(per_conn)
        self.rss_peak_kb = median([r.get("rss_hwm_kb") for r in ok])


def load(path):
    meta, runs = None, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            obj = json.loads(line)
            if obj.get("type") == "meta":
                meta = obj
            elif obj.get("type") == "run":
                runs.append(obj)
    if meta is None:
        sys.exit(f"report: {path} has no meta line")
    return meta, runs


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def render(meta, runs, png_name):
    global REF
    REF = meta.get("reference", REF)  # compare.sh --udp: the recvmmsg loop
    servers = meta["servers"]
    cases = meta["cases"]
    cells = {}
    for c in cases:
        for s in servers:
            rs = [r for r in runs if r["case"] == c["id"] and r["server"] == s["id"]]
            cells[c["id"], s["id"]] = Cell(rs, c["connections"])

    def ref(cid):
        return cells[cid, REF]

    md = ["# Benchmarks", ""]
    if meta.get("fake"):
        md += ["> **FAKE DATA.** `SOCKIT_BENCH_FAKE=1` was set: the numbers below were made up by compare.sh to",
               "> test the plumbing, not measured. Only the RSS figures are real.", ""]
    busy = float(str(meta.get("loadavg", "0")).split()[0] or 0) > 0.5
    if busy:
        md += [f"> **Busy machine:** the 1-minute load average was {meta['loadavg'].split()[0]} before the run "
               "started; other work competed with the servers and the load generator, so treat these figures "
               "with care and rerun on an idle machine.", ""]
    md += [
        "sockit's echo server against reference echo servers on the same machine, in the same run, measured by",
        "`sockit bench` (see [bench/README.md](../bench/README.md) for the method and the fairness rules).",
        "",
        f"- Command: `{meta['command']}`" + (f" with `{meta['env']}`" if meta.get("env") else ""),
        f"- Date: {meta['date']}; sockit {meta['sockit_commit']}",
        f"- Machine: {meta['nproc']} CPUs ({meta['cpu']}), {meta['kernel']}, loopback (127.0.0.1); "
        f"load average {meta.get('loadavg', '?')} before the run",
        f"- Server pinned to CPU {meta['server_cpu']}, load generator to CPU {meta['client_cpu']}; each server "
        f"started fresh for each run; {meta['reps']} repetition(s) of {meta['time_s']} s after "
        f"{meta['warmup_s']} s of warm-up, interleaved across servers; medians shown.",
        f"- Ratios (×) are against the {servers[0]['name']} in the same run.",
        "",
        f"![messages/s and server CPU per message relative to the hand-written epoll echo]({png_name})",
        "",
        "## Messages per second",
        "",
        "Higher is better. On 2 cores the load generator often saturates its own core first; then the server CPU",
        "time per message below is what still tells servers apart.",
        "",
    ]
    header = ["server"] + [c["label"] for c in cases]
    md.append(table(header, [[s["name"]] + [
        fmt_rate(cells[c["id"], s["id"]].rate) + fmt_ratio(ratio(cells[c["id"], s["id"]].rate, ref(c["id"]).rate))
        for c in cases] for s in servers]))
    md += ["", "## Server CPU time per message (µs)", "", "Lower is better (user + system time of the server "
           "process over the measured interval, divided by the messages echoed).", ""]
    md.append(table(header, [[s["name"]] + [
        fmt_us(cells[c["id"], s["id"]].cpu) + fmt_ratio(ratio(cells[c["id"], s["id"]].cpu, ref(c["id"]).cpu))
        for c in cases] for s in servers]))
    md += ["", "## Latency p50 / p99 (µs)", ""]
    md.append(table(header, [[s["name"]] + [
        f"{fmt_us(cells[c['id'], s['id']].p50)} / {fmt_us(cells[c['id'], s['id']].p99)}" for c in cases]
        for s in servers]))

    big = [c for c in cases if c["connections"] >= 1000]
    if big:
        md += ["", "## Memory per connection", "",
               "Peak RSS per connection: (VmHWM after the run − VmRSS of the idle server before it) / connections.",
               ""]
        h = ["server"]
        for c in big:
            h += [f"RSS per conn, {c['label']}", f"peak RSS, {c['label']}"]
        rows = []
        for s in servers:
            row = [s["name"]]
            for c in big:
                cell = cells[c["id"], s["id"]]
                row += [fmt_bytes(cell.rss_per_conn),
                        fmt_bytes(cell.rss_peak_kb * 1024) if cell.rss_peak_kb is not None else "–"]
            rows.append(row)
        md.append(table(h, rows))

    # The targets of issue 3, checked on these figures.
    if any(s["id"] == "sockit" for s in servers):
        others = [s["id"] for s in servers if s["id"] not in (REF, "sockit")]
        md += ["", "## sockit against the targets", "",
               "Targets: messages/s and server CPU per message within 5% of the hand-written epoll echo; less "
               "server CPU per message than " + ", ".join(s["name"] for s in servers if s["id"] in others) +
               "; no errors.", ""]
        rows = []
        for c in cases:
            sk, rf = cells[c["id"], "sockit"], ref(c["id"])
            rr, cr = ratio(sk.rate, rf.rate), ratio(sk.cpu, rf.cpu)
            other_cpu = [cells[c["id"], o].cpu for o in others if cells[c["id"], o].cpu is not None]

            def mark(ok):
                return "–" if ok is None else ("yes" if ok else "**no**")
            rows.append([c["label"],
                         mark(None if rr is None else rr >= 0.95) + fmt_ratio(rr),
                         mark(None if cr is None else cr <= 1.05) + fmt_ratio(cr),
                         mark(None if sk.cpu is None or not other_cpu else sk.cpu < min(other_cpu)),
                         mark(None if sk.runs == 0 else sk.errors == 0 and sk.failed == 0)])
        md.append(table(["case", "msgs/s ≥ 0.95×", "CPU/msg ≤ 1.05×", "CPU/msg below the others", "no errors"],
                        rows))
        one = next((c for c in cases if c["connections"] == 1 and c["depth"] == 1), None)
        if one:
            r = ratio(cells[one["id"], "sockit"].p50, ref(one["id"]).p50)
            if r is not None:
                md += ["", f"Single-connection p50 latency: {r:.2f}× the reference (target ≤ 1.10×)."]
        for c in big:
            v = cells[c["id"], "sockit"].rss_per_conn
            if v is not None:
                md += ["", f"RSS per connection at {c['label']}: {fmt_bytes(v)} (target ≤ 1 KiB)."]

    ids = {s["id"] for s in servers}
    if {"sockit_udp", "udp_mmsg_ref", "udp_recvfrom_ref"} <= ids:
        md += udp_targets(cases, servers, cells, runs)

    problems = []
    for c in cases:
        for s in servers:
            cell = cells[c["id"], s["id"]]
            if cell.failed or cell.errors:
                first = f" (first: {'; '.join(cell.first_errors)})" if cell.first_errors else ""
                problems.append(f"- {s['name']}, {c['label']}: {cell.failed} of {cell.runs} run(s) failed, "
                                f"{cell.errors} error(s) or failed connect(s) reported{first}")
    md += ["", "## Errors", ""] + (problems or ["None: every run finished and verified every echoed byte."])
    md.append("")
    return "\n".join(md), cells


def udp_targets(cases, servers, cells, runs):
    """Issue 9's targets for sockit's UDP echo: at least 0.9x the recvmmsg loop and above the recvfrom loop
    in messages/s (medians), with the ratio in every repetition to show the spread."""
    md = ["", "## sockit's UDP echo against the targets", "",
          "Targets: messages/s at least 0.9× the recvmmsg/sendmmsg loop and above the recvfrom/sendto loop "
          "(medians of the repetitions, interleaved); no errors.", ""]
    rows = []
    for c in cases:
        sk, mm, rf = (cells[c["id"], k] for k in ("sockit_udp", "udp_mmsg_ref", "udp_recvfrom_ref"))
        r_mm, r_rf = ratio(sk.rate, mm.rate), ratio(sk.rate, rf.rate)
        per_rep = []
        for rep in sorted({r["rep"] for r in runs if r["case"] == c["id"]}):
            def rate(server):
                got = [r for r in runs if r["case"] == c["id"] and r["rep"] == rep and r["server"] == server and r.get("bench")]
                return got[0]["bench"].get("msgs_per_s") if got else None
            x = ratio(rate("sockit_udp"), rate("udp_mmsg_ref"))
            per_rep.append("?" if x is None else f"{x:.2f}")

        def mark(ok):
            return "–" if ok is None else ("yes" if ok else "**no**")
        rows.append([c["label"], mark(None if r_mm is None else r_mm >= 0.9) + fmt_ratio(r_mm),
                     mark(None if r_rf is None else r_rf > 1.0) + fmt_ratio(r_rf), " / ".join(per_rep),
                     mark(None if sk.runs == 0 else sk.errors == 0 and sk.failed == 0)])
    md.append(table(["case", "≥ 0.9× recvmmsg loop", "> recvfrom loop", "ratio to recvmmsg loop per rep",
                     "no errors"], rows))
    return md


def plot(meta, cells, png_path):
    """Two clustered bar charts: messages/s and server CPU per message, each relative to the reference."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("report: gnuplot not found, no plot", file=sys.stderr)
        return False
    servers, cases = meta["servers"], meta["cases"]
    base = os.path.splitext(png_path)[0]
    for metric in ("rate", "cpu"):
        with open(f"{base}.{metric}.dat", "w") as f:
            f.write("case " + " ".join(json.dumps(s["name"]) for s in servers) + "\n")
            for c in cases:
                vals = []
                for s in servers:
                    r = ratio(getattr(cells[c["id"], s["id"]], metric), getattr(cells[c["id"], REF], metric))
                    vals.append("?" if r is None else f"{r:.4f}")
                f.write(json.dumps(c["label"]) + " " + " ".join(vals) + "\n")
    n = len(servers) + 1

    def axis(metric):
        """y axis for one panel: linear from 0, or log when the ratios span too much to read (20x or 0.05x
        would flatten every other bar). The range always includes 1, the reference."""
        rs = [ratio(getattr(cells[k], metric), getattr(cells[k[0], REF], metric)) for k in cells]
        rs = [r for r in rs if r] + [1.0]
        lo, hi = min(rs), max(rs)
        if hi / lo > 8:
            return f'set logscale y 10\nset format y "%g"\nset yrange [{lo / 1.5:g}:{hi * 1.5:g}]'
        return f'unset logscale y\nset format y "%g"\nset yrange [0:{hi * 1.15:g}]'

    title = "FAKE DATA - " if meta.get("fake") else ""
    script = f"""
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key outside right top vertical
set xtics nomirror
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 front
set multiplot layout 2,1 title "{title}echo servers on {meta['nproc']} CPUs, {meta['kernel']} ({meta['date']})"
set title "messages/s relative to the hand-written epoll echo (higher is better)"
{axis("rate")}
plot for [i=2:{n}] "{base}.rate.dat" using i:xtic(1) title columnheader(i)
set title "server CPU time per message relative to the hand-written epoll echo (lower is better)"
{axis("cpu")}
plot for [i=2:{n}] "{base}.cpu.dat" using i:xtic(1) title columnheader(i)
unset multiplot
"""
    for terminal in ("pngcairo size 1200,800 font 'sans,10'", "png size 1200,800"):
        r = subprocess.run([gnuplot], input=f"set terminal {terminal}\nset output '{png_path}'\n" + script,
                           text=True, capture_output=True)
        if r.returncode == 0 and os.path.getsize(png_path) > 0:
            return True
    print("report: gnuplot failed:\n" + r.stderr, file=sys.stderr)
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jsonl")
    ap.add_argument("--md", required=True, help="markdown output")
    ap.add_argument("--png", required=True, help="plot output")
    a = ap.parse_args()
    meta, runs = load(a.jsonl)
    md, cells = render(meta, runs, os.path.basename(a.png))
    with open(a.md, "w") as f:
        f.write(md)
    plot(meta, cells, a.png)


if __name__ == "__main__":
    main()
