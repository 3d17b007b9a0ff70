#!/bin/bash
cd "$(dirname "$0")/../.."
export FMSTREAM_SKIP_BUILD=1
Q="--tasks 3 --roof-threads 1 --roof-callers 2 --roof-batches 32,64 --roof-warm-up PT1S --roof-measure PT2S --no-naive --rounds 3"
for i in 1 2; do
  echo "== base-$i"; bin/fmstream bench $Q 2>&1 | grep "^bench:"
  echo "== linger-$i"; bin/fmstream bench $Q --job-option fmstream.kafka.properties.linger.ms=50 --job-option fmstream.kafka.properties.batch.size=131072 2>&1 | grep "^bench:"
done
echo DONE
