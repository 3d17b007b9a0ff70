#!/usr/bin/python3
"""Reads fmstream's output topics with nothing but the published .avsc files.

Debian packages only: python3-confluent-kafka and python3-avro. Every record value is Avro
single-object encoding: C3 01, the writer schema's CRC-64-AVRO fingerprint (8 bytes, little
endian), then the Avro binary body. This script fingerprints every schema file under --schemas,
resolves each message's writer schema by fingerprint, decodes it, and prints one JSON line per
message. A WindowEmbedding's embedding (float32 little-endian bytes) is also printed as numbers.

    python3 examples/python/fmstream_consumer.py --bootstrap-servers localhost:9092 \
        --topic fmstream.predictions.v1 --from-beginning --exit-at-end

Reads with isolation.level=read_committed: the job's sinks are Kafka transactions.
"""
import argparse
import base64
import glob
import io
import json
import os
import struct
import sys

import avro.io
import avro.schema
from confluent_kafka import Consumer, KafkaError, TopicPartition

MAGIC = b"\xc3\x01"
DEFAULT_SCHEMAS = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "..", "schemas", "src", "main", "resources", "io", "fmstream", "schemas", "history")

# CRC-64-AVRO (the Avro specification's "Rabin" fingerprint), table-driven.
_EMPTY = 0xC15D213AA4D7A795
_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (_EMPTY if _fp & 1 else 0)
    _TABLE.append(_fp)


def crc64_avro(data):
    fp = _EMPTY
    for b in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ b) & 0xFF]
    return fp


def load_schemas(folder):
    """Fingerprint -> (file name, parsed schema) for every .avsc file in folder."""
    schemas = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.avsc"))):
        with open(path, encoding="utf-8") as f:
            schema = avro.schema.parse(f.read())
        schemas[crc64_avro(schema.canonical_form.encode("utf-8"))] = (os.path.basename(path), schema)
    if not schemas:
        raise SystemExit("no .avsc files in " + folder)
    return schemas


def to_json(value):
    """Avro's Python values as JSON: bytes as base64, records and arrays recursively."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def decode(value, schemas):
    if value is None or len(value) < 10 or value[:2] != MAGIC:
        raise ValueError("not Avro single-object encoding")
    fingerprint = struct.unpack("<Q", value[2:10])[0]
    if fingerprint not in schemas:
        raise ValueError("unknown writer schema %016x (newer schema files needed)" % fingerprint)
    name, schema = schemas[fingerprint]
    body = io.BytesIO(value[10:])
    record = avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(body))
    if body.tell() != len(value) - 10:
        # Bytes after the record: not written with this fingerprint's schema (the job
        # dead-letters such a message); refuse it rather than print its prefix.
        raise ValueError("bytes left after the record")
    out = {"schema": schema.fullname, "file": name, "fingerprint": "%016x" % fingerprint,
           "value": to_json(record)}
    if schema.name == "WindowEmbedding":
        embedding = record["embedding"]
        out["embeddingFloats"] = list(struct.unpack("<%df" % (len(embedding) // 4), embedding))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bootstrap-servers", required=True)
    p.add_argument("--topic", action="append", required=True, help="repeat for several topics")
    p.add_argument("--schemas", default=DEFAULT_SCHEMAS, help="folder of published .avsc files")
    p.add_argument("--group", default="fmstream-python-example")
    p.add_argument("--from-beginning", action="store_true")
    p.add_argument("--exit-at-end", action="store_true",
                   help="stop when every partition is read to its end (last stable offset)")
    p.add_argument("-X", dest="props", action="append", default=[], metavar="KEY=VALUE",
                   help="librdkafka client property, e.g. -X security.protocol=SASL_SSL")
    args = p.parse_args(argv)

    schemas = load_schemas(args.schemas)
    conf = {
        "bootstrap.servers": args.bootstrap_servers,
        "group.id": args.group,
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest" if args.from_beginning else "latest",
        "enable.partition.eof": True,
    }
    for prop in args.props:
        key, _, val = prop.partition("=")
        conf[key] = val
    consumer = Consumer(conf)
    partitions = []
    for topic in args.topic:
        meta = consumer.list_topics(topic, timeout=30).topics[topic]
        if meta.error is not None:
            raise SystemExit("topic %s: %s" % (topic, meta.error))
        offset = -2 if args.from_beginning else -1  # OFFSET_BEGINNING / OFFSET_END
        partitions += [TopicPartition(topic, p, offset) for p in sorted(meta.partitions)]
    consumer.assign(partitions)
    remaining = {(tp.topic, tp.partition) for tp in partitions}
    failures = 0
    try:
        while remaining or not args.exit_at_end:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    remaining.discard((msg.topic(), msg.partition()))
                    continue
                raise SystemExit("consumer error: %s" % msg.error())
            line = {"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
                    "key": key_text(msg.key())}
            try:
                line.update(decode(msg.value(), schemas))
            except Exception as e:  # python3-avro's errors are AvroException, not ValueError
                line["error"] = "%s: %s" % (type(e).__name__, e)
                failures += 1
            print(json.dumps(line, separators=(",", ":")))
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return 1 if failures else 0


def key_text(key):
    """The record key as text; a key that is not UTF-8 (dead letters keep the original key as it
    came) as base64 under a prefix, instead of a UnicodeDecodeError that stopped the consumer."""
    if key is None:
        return None
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(key).decode("ascii")


if __name__ == "__main__":
    sys.exit(main())
