"""The Typer command-line shell: the ``deepscreen`` app (``app``, commands imported lazily), one
module per command group, and the shared options, exit codes, progress bar and row output.
Notes: docs/internals/cli.md."""
