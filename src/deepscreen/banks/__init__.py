"""Hash-bank exchange files (CSV, ThreatExchange/HMA plain text): pure parsing and writing.
Notes: docs/internals/banks.md."""
