"""Rendering of results, never estimating them: the report (Markdown, HTML, PDF) with its SVG
charts, impact statements and the case study; and the EU DSA exports' statements of reasons,
codes, validation and transparency-report sheets. Notes: docs/internals/report.md."""
