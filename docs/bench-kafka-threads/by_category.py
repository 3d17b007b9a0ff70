# Groups the "threads through Kafka" lines of a bench log (bin/fmstream bench --profile-threads)
# by part of the job; prints ms per window through Kafka / in memory for rounds 1-3.
# Usage: python3 by_category.py bench.log
import re,collections,sys
rows=collections.defaultdict(dict)
def cat(n):
    if n.startswith('fmstream-encoder'): return 'encoder thread (ONNX Runtime)'
    if n.startswith('Source Data Fetcher'): return 'Kafka source: fetcher thread'
    if n.startswith('kafka-producer-network'): return 'Kafka sinks: producer I/O threads (4)'
    if n.startswith('Dead letters'): return 'Kafka sinks: dead-letter writer (idle)'
    if n.startswith('kafka-admin'): return 'Kafka admin client'
    if n.startswith('OutputFlusher'): return 'output flushers'
    if n.startswith('Source:') or n.startswith('Decode'): return 'source + decode'
    if n.startswith('Assemble'): return 'window assembler'
    if n.startswith('Embed'): return 'encoder task thread (heads; embeddings sink through Kafka)'
    if n.startswith('Recording'): return 'recording-level (predictions sink through Kafka)'
    return 'Flink runtime (RPC, scheduler, metrics, REST)'
for l in open(sys.argv[1]):
    m=re.match(r'bench: threads through Kafka round (\d): ([0-9.]+) ms per window \(in memory ([0-9.]+)\)  (.*)',l.rstrip())
    if not m: continue
    r,k,mm,name=int(m[1]),float(m[2]),float(m[3]),m[4]
    c=cat(name); rows[c].setdefault(r,[0,0]); rows[c][r][0]+=k; rows[c][r][1]+=mm
for c,v in sorted(rows.items(), key=lambda x:-sum(a[0] for a in x[1].values())):
    print(f"| {c} | "+" | ".join(f"{v.get(r,[0,0])[0]:.3f} / {v.get(r,[0,0])[1]:.3f}" for r in (1,2,3))+" |")
