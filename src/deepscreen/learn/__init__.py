"""Training and honest evaluation of learned detectors. Notes: docs/internals/learn.md."""
