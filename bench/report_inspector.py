#!/usr/bin/python3
"""Turns bench/inspector.sh's runs.jsonl into the Markdown table and the
kill/join plot (bench/results/inspector.md, inspector-killadd.png)."""
import json
import os
import subprocess
import sys


def main():
    runs_path, out_dir, machine = sys.argv[1:4]
    runs = [json.loads(l) for l in open(runs_path) if l.strip()]
    lines = ["Inspector benchmark — %s. Real Kafka 3.9.1 broker (KRaft, "
             "loopback), 12 partitions, dlp-sim enforcing R requests in any "
             "sliding second. Reproduce: `bench/inspector.sh`." % machine, "",
             "| run | R | events | sustained inspected/s | sustained req/s ÷ R "
             "| whole run: inspected/s, req/s ÷ R | items/request "
             "| most req in any 1 s | rejected | lost | duplicates "
             "| CPU % | peak RSS MiB | late slots, late sends "
             "| dlp-sim receive delay max ms | dry tail: s, req/s ÷ R "
             "| requests per inspector |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in runs:
        cpu = 100.0 * r["cpu_s"] / r["seconds"] if r.get("seconds") else None
        lines.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["run"], "%g" % r["rate"] if "rate" in r else "–", r["events"],
            "%.0f" % r["sustained_events_per_s"] if r.get("sustained_events_per_s") else "–",
            "%.3f" % r["sustained_util"] if r.get("sustained_util") else "–",
            "%.0f, %s" % (r["events_per_s"], "%.3f" % r["utilisation"] if "utilisation" in r else "–"),
            "%.1f" % r["items_per_request"] if "items_per_request" in r else "–",
            r.get("max_1s", "–"), r.get("rejected", "–"), r.get("lost", "–"),
            r.get("duplicates", "–"),
            "%.0f" % cpu if cpu is not None else "–",
            "%.1f" % r["rss_mib"] if r.get("rss_mib") else "–",
            "%d, %d" % (r["late_slots"], r["late_sends"]) if "late_slots" in r else "–",
            "%.1f" % r["max_receive_delay_ms"] if r.get("max_receive_delay_ms") is not None else "–",
            "%d, %s" % (r["tail_seconds"], "%.3f" % r["tail_util"] if r.get("tail_util") is not None else "–")
            if "tail_seconds" in r else "–",
            " / ".join("%s" % n for n in r["member_requests"]) if r.get("member_requests") else "–"))
    lines.append("")
    lines.append("Sustained: the full seconds after the group settled (last "
                 "assignment) while every inspector still had a backlog, i.e. "
                 "before the second in which the first of them sent its last "
                 "request (`dlp_inspector_last_request_timestamp_seconds`); "
                 "req/s ÷ R is the utilisation of the cluster's quota (the "
                 "design uses R·0.97 = 0.97 at most). Dry tail: the seconds "
                 "from there to the last request, where an inspector whose "
                 "partitions ran dry leaves its slots unused while the others "
                 "finish (an inspector sends only in its own partitions' "
                 "slots); requests per inspector shows how uneven their "
                 "backlogs were. Whole run: from the first to the last "
                 "request, start-up rebalances and the dry tail included. "
                 "CPU %: the "
                 "inspectors together over the run; RSS: the largest "
                 "inspector's peak (VmHWM). Late slots: owned slots given up "
                 "because the inspector got to them more than `late` after "
                 "their start; late sends: requests whose first bytes were "
                 "written more than `late` after their slot's start. "
                 "dlp-sim receive delay: the longest a request waited on the "
                 "host before a dlp-sim thread admitted it, which dlp-sim no "
                 "longer counts against the client (DESIGN §4).")

    for r in runs:
        if "t_kill" not in r:
            continue
        t0 = r["t_start"]
        rate = r["rate"]
        data = os.path.join(os.path.dirname(runs_path), "inspector-killadd.dat")
        with open(data, "w") as f:
            for s in r["series"]:
                if s["t"] >= int(t0) - 1:
                    f.write("%d %d\n" % (s["t"] - int(t0), s["n"]))
        kill, join, settle = (r["t_kill"] - t0, r["t_join"] - t0,
                              r["t_settle"] - t0)
        # recovery: seconds after the group settled until a full second
        # reached 0.9 R, and the utilisation over the 15 s after settling
        after = [s for s in r["series"] if s["t"] > r["t_settle"]]
        rec = next((s["t"] - r["t_settle"] for s in after
                    if s["n"] >= 0.9 * rate), None)
        window = [s["n"] for s in after if s["t"] <= r["t_settle"] + 15]
        busy = [n for n in window if n > 0]
        lines.append("")
        lines.append("Kill and join (3 inspectors): SIGKILL at %.1f s, new "
                     "inspector at %.1f s, group settled at %.1f s (last "
                     "assignment; the dead member's session expired after "
                     "DLP_SESSION_TIMEOUT_MS = 10 s). First full second at "
                     "≥ 0.9·R %s after settling; mean utilisation over the "
                     "15 s after settling (seconds with work left): %s. "
                     "Rejected requests: %d." % (
                         kill, join, settle,
                         "%.1f s" % rec if rec is not None else "not reached",
                         "%.3f" % (sum(busy) / len(busy) / rate) if busy else "–",
                         r["rejected"]))
        lines.append("")
        lines.append("![requests per second through a kill and a join]"
                     "(inspector-killadd.png)")
        png = os.path.join(out_dir, "inspector-killadd.png")
        script = """
set terminal pngcairo size 900,420 noenhanced
set output '%s'
set title 'dlp-sim accepted requests per second: 3 inspectors, one killed, one joining (R = %g)'
set xlabel 'seconds since the inspectors started'
set ylabel 'requests / s'
set yrange [0:%g]
set grid
set arrow from %f, graph 0 to %f, graph 1 nohead lc rgb 'red' dt 2
set label 'kill -9' at %f, graph 0.95 tc rgb 'red'
set arrow from %f, graph 0 to %f, graph 1 nohead lc rgb 'blue' dt 2
set label 'join' at %f, graph 0.88 tc rgb 'blue'
set arrow from %f, graph 0 to %f, graph 1 nohead lc rgb 'dark-green' dt 2
set label 'settled' at %f, graph 0.81 tc rgb 'dark-green'
plot '%s' using 1:2 with steps lw 2 title 'requests/s', %g title 'R' lc rgb 'gray'
""" % (png, rate, rate * 1.3, kill, kill, kill + 0.3, join, join, join + 0.3,
       settle, settle, settle + 0.3, data, rate)
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
    scale = [r for r in runs if "latency_ms" in r and r.get("sustained_util")]
    if scale:
        lats = sorted({r["latency_ms"] for r in scale})
        counts = sorted({r["inspectors"] for r in scale})
        util = {(r["inspectors"], r["latency_ms"]): r["sustained_util"]
                for r in scale}
        lines.append("")
        lines.append("Quota used over the steady part (sustained req/s ÷ R, "
                     "R = 10, dlp-sim latency lognormal with that median and "
                     "sigma 0.5), by inspector count and median latency:")
        lines.append("")
        lines.append("| inspectors | " + " | ".join("%d ms" % l for l in lats)
                     + " |")
        lines.append("| --- |" + " --- |" * len(lats))
        for n in counts:
            lines.append("| %d | " % n + " | ".join(
                "%.3f" % util[(n, l)] if (n, l) in util else "–"
                for l in lats) + " |")
        lines.append("")
        lines.append("![quota used vs service latency](inspector-latency.png)")
        data = os.path.join(os.path.dirname(runs_path), "inspector-latency.dat")
        with open(data, "w") as f:
            for n in counts:
                f.write("# %d inspectors\n" % n)
                for l in lats:
                    if (n, l) in util:
                        f.write("%d %f\n" % (l, util[(n, l)]))
                f.write("\n\n")
        png = os.path.join(out_dir, "inspector-latency.png")
        plots = ", ".join(
            "'%s' index %d using 1:2 with linespoints lw 2 title '%d inspector%s'"
            % (data, i, n, "" if n == 1 else "s") for i, n in enumerate(counts))
        script = """
set terminal pngcairo size 900,420 noenhanced
set output '%s'
set title 'quota used (steady part) vs median DLP latency, R = 10 (%s)'
set xlabel 'median service latency, ms (lognormal, sigma 0.5)'
set ylabel 'requests/s / R'
set logscale x
set yrange [0:1.05]
set grid
set key bottom right
plot %s, 0.97 title 'R x DLP_RATE_SAFETY' lc rgb 'gray'
""" % (png, machine, plots)
        subprocess.run(["gnuplot"], input=script.encode(), check=True)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "inspector.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
