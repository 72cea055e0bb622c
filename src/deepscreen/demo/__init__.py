"""Seeded synthetic data: the platform sample, scenario and timeline of ``deepscreen demo`` (with
its settings and candidate policy), and a labelled image set for ``train`` / ``eval``. Everything
here is synthetic. Notes: docs/internals/demo.md."""
