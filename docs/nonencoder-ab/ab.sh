#!/bin/bash
# A/B of the non-encoder cost with the fixture encoder: the commit before the cuts (built with the
# cuts' bench code) against the commit with them, alternating, three invocations each. Run from
# the repository root:
#   BASE=/path/to/base-worktree NEW=/path/to/checkout bash docs/nonencoder-ab/ab.sh
BASE=${BASE:?a built worktree of the commit before the cuts} NEW=${NEW:?a built checkout}
args="bench --bundle model-artifacts/fixture-ecg-tiny --tasks 3 --no-kafka --profile-threads --rounds 4 --roof-threads 1 --roof-callers 1 --roof-batches 32 --roof-warm-up PT1S --roof-measure PT1S"
out=$(pwd)/docs/nonencoder-ab
for i in 1 2 3; do
  for v in base new; do
    dir=$NEW; [ $v = base ] && dir=$BASE
    (cd "$dir" && FMSTREAM_SKIP_BUILD=1 bin/fmstream $args > "$out/$v-$i.txt" 2>&1)
  done
done
