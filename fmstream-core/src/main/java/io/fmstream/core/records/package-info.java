/**
 * Internal records that flow between the job's operators.
 *
 * <p>They are Flink POJOs (public fields, public no-arg constructor, only primitive, String, enum
 * and primitive-array fields) so Flink serialises them with its own POJO serializer, never Kryo,
 * and they can gain fields later without breaking savepoints. Hot data ({@code float[]} windows and
 * embeddings, raw {@code byte[]} samples) is never boxed. The Avro types are only the wire format
 * at the Kafka edges.
 */
package io.fmstream.core.records;
