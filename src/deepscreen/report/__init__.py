"""Rendering of results, never estimating them: the report (Markdown, HTML, PDF) in neutral
blocks with its SVG charts, impact statements and the case study. The EU DSA content is in
``deepscreen.compliance``. Notes: docs/internals/report.md."""
