#!/bin/bash
# A/B of the in-memory fan-out part with the real encoder (ecg-fm-v2): the commit before the cuts
# (f015756, a worktree built with `mvn -o package -DskipTests`) against the commit after them,
# alternating, three invocations each. Each runs its own benchmark code (the fan-out part and the
# roof beside each round did not change between them).
#   BASE=/path/to/f015756-worktree NEW=/path/to/checkout OUT=/tmp/ab bash ab.sh
BASE=${BASE:?a built worktree of f015756} NEW=${NEW:?a built checkout} OUT=${OUT:?output folder}
ARGS="bench --tasks 3 --no-naive --no-kafka --rounds 2 --roof-threads 1 --roof-callers 2 --roof-batches 32 --roof-warm-up PT1S --roof-measure PT2S"
mkdir -p "$OUT"
for i in 1 2 3; do
  for v in base new; do
    if [ $v = base ]; then d=$BASE; else d=$NEW; fi
    (cd "$d" && FMSTREAM_SKIP_BUILD=1 bin/fmstream $ARGS > "$OUT/$v-$i.log" 2>&1)
  done
done
