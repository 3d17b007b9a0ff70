#!/bin/bash
# The quick fan-out + Kafka bench, with the broker's threads' CPU ticks sampled every second from
# /proc while it runs (the bench itself now reads the JIT compilers' share per Kafka run).
# Usage: docs/bench-broker-jit/sample-broker-threads.sh OUT_DIR [extra bench options]
set -e
out=$(mkdir -p "$1" && cd "$1" && pwd); shift
cd "$(dirname "$0")/../.."
FMSTREAM_SKIP_BUILD=1 bin/fmstream bench --tasks 3 --no-naive --rounds 6 --roof-threads 1 \
  --roof-callers 2 --roof-batches 32 --roof-warm-up PT1S --roof-measure PT2S --warm-up-pairs 1 \
  "$@" --out "$out" > "$out/bench.log" 2>&1 &
bench=$!
pid=""
: > "$out/threads.txt"
while kill -0 $bench 2>/dev/null; do
  [ -z "$pid" ] && pid=$(pgrep -f "kafka.Kafka " | head -1 || true)
  if [ -n "$pid" ] && [ -d /proc/$pid ]; then
    t=$(date +%T.%N | cut -c1-10)
    # time|thread name|utime+stime ticks, one line per thread
    awk -v t="$t" '{l=$0; sub(/^[0-9]+ \(/,"",l); c=l; sub(/\) .*/,"",c); r=l; sub(/^.*\) /,"",r);
      split(r,a," "); print t"|"c"|"(a[12]+a[13])}' /proc/$pid/task/*/stat 2>/dev/null \
      >> "$out/threads.txt" || true
  fi
  sleep 1
done
