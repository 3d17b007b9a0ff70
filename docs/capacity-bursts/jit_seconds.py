#!/usr/bin/env python3
"""JIT compilations around a capacity run's bursts, from a JFR recording of the run.

Usage (Debian's python3; `jfr` comes with the JDK):
  FMSTREAM_JAVA_OPTS="-XX:StartFlightRecording=filename=run.jfr,settings=jit.jfc" \
      bin/fmstream capacity ... --out DIR
  jfr print --events jdk.Compilation,jdk.Deoptimization --json run.jfr > run.json
  python3 docs/capacity-bursts/jit_seconds.py DIR/capacity.json run.json [FROM TO]

jit.jfc is the JDK's lib/jfr/default.jfc with jdk.Compilation's threshold set to 0 ms (the
default records only compilations over 1 s). Prints, for each second from two before the first
burst second to one after the last, the compiler time started in it, the compilations and the
deoptimizations, beside the means over the measured run, then the longest compilations in that
span. The burst seconds are capacity.json's writtenTail.bursts.epochSeconds of the first run,
the measured span its fromEpochSecond..toEpochSecond (FROM TO, epoch seconds, for a capacity.json
written before those two fields).
"""
import collections
import datetime
import json
import statistics
import sys


def instant(s):
    s = s.replace("Z", "+00:00")
    if "." in s:
        head, rest = s.split(".", 1)
        digits = "".join(c for c in rest if c.isdigit())
        s = head + "." + digits[:6] + rest[len(digits):]
    return datetime.datetime.fromisoformat(s).timestamp()


def seconds(d):
    if isinstance(d, (int, float)):
        return d / 1e9
    d = d.replace("PT", "").replace("S", "")
    if "M" in d:
        m, s = d.split("M")
        return int(m) * 60 + float(s or 0)
    return float(d)


def main(capacity_json, jfr_json, span_from=None, span_to=None):
    run = json.load(open(capacity_json))["runs"][0]["result"]
    found = run["writtenTail"]["bursts"]
    bursts = found["epochSeconds"]
    span = range(int(span_from or found["fromEpochSecond"]),
                 int(span_to or found["toEpochSecond"]) + 1)
    events = json.load(open(jfr_json))["recording"]["events"]
    compile_s = collections.defaultdict(float)
    compiles = collections.Counter()
    deopts = collections.Counter()
    longest = []
    for e in events:
        v = e["values"]
        t = instant(v["startTime"])
        if e["type"] == "jdk.Compilation":
            d = seconds(v["duration"])
            compile_s[int(t)] += d
            compiles[int(t)] += 1
            m = v["method"]
            longest.append((t, d, m["type"]["name"] + "." + m["name"], v.get("compileLevel")))
        elif e["type"] == "jdk.Deoptimization":
            deopts[int(t)] += 1
    print("Measured run, mean per second: compiler %.3f s, %.2f compilations, %.2f deopts" % (
        statistics.mean(compile_s.get(s, 0) for s in span),
        statistics.mean(compiles.get(s, 0) for s in span),
        statistics.mean(deopts.get(s, 0) for s in span)))
    print()
    lo, hi = min(bursts) - 2, max(bursts) + 1
    print("| second | burst | compiler time started (s) | compilations | deoptimizations |")
    print("|---|---|---|---|---|")
    for s in range(lo, hi + 1):
        print("| %+d | %s | %.3f | %d | %d |" % (
            s - min(bursts), "yes" if s in bursts else "", compile_s.get(s, 0),
            compiles.get(s, 0), deopts.get(s, 0)))
    print("\nLongest compilations started in that span (second, seconds, method, tier):\n")
    for t, d, m, level in sorted(
            (x for x in longest if lo <= x[0] < hi + 1), key=lambda x: -x[1])[:12]:
        print("  %+.2f  %.3f  %s  C%s" % (t - min(bursts), d, m.replace("/", "."),
                                          "2" if level == 4 else "1"))


if __name__ == "__main__":
    main(*sys.argv[1:5])
