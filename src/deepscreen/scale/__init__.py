"""Scale-out: batch engines (serial, local process pool, Ray) over backfill manifests, the NATS
JetStream streaming worker and test-upload publisher, and the writer they all end in.
Notes: docs/internals/scale.md."""
