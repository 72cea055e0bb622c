"""The DSA transparency-report CSVs (Implementing Regulation (EU) 2024/2835): inputs, the verbatim
template texts, one module per group of sheets. Rules: docs/internals/compliance.md."""
