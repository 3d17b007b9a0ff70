#!/bin/bash
# A/B of the non-encoder cost with the fixture encoder: HEAD's job (/tmp/base, with this change's bench code) vs this change (/work/main), alternating
args="bench --bundle model-artifacts/fixture-ecg-tiny --tasks 3 --no-kafka --profile-threads --rounds 4 --roof-threads 1 --roof-callers 1 --roof-batches 32 --roof-warm-up PT1S --roof-measure PT1S"
out=$(pwd)/docs/nonencoder-ab  # run from the repository root
for i in 1 2 3; do
  for v in base new; do
    dir=/work/main; [ $v = base ] && dir=/tmp/base
    (cd $dir && FMSTREAM_SKIP_BUILD=1 bin/fmstream $args > $out/$v-$i.txt 2>&1)
  done
done
