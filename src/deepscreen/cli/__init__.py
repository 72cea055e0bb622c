"""The Typer command-line shell; each command group in its own module."""
