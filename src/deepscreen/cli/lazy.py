"""Subcommands imported when they run: ``deepscreen --help`` lists them from their names and
one-line helps, and only the command a user runs imports its module (and its libraries)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# Click's classes are Typer's own (Typer >= 0.2x vendors Click), hence ``Any`` for contexts.


@dataclass(frozen=True)
class Lazy:
    """A subcommand in ``module:attribute``: a Typer app (a command group) or a command
    function; ``help`` is what the command list shows (a test keeps it equal to the
    command's own)."""

    target: str
    help: str
    epilog: str | None = None


def load_command(name: str, lazy: Lazy, *, markup: Any) -> Any:
    """Import ``lazy.target`` and build its command as ``add_typer``/``command`` would."""
    module_name, attribute = lazy.target.split(":")
    target = getattr(importlib.import_module(module_name), attribute)
    holder = typer.Typer(rich_markup_mode=markup, pretty_exceptions_enable=False)
    holder.callback()(_group)  # a group, so the command keeps its own name
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name, epilog=lazy.epilog)(target)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return group.commands[name]


def _group() -> None:
    """(the holder group's callback; never run)"""


class LazyGroup(TyperGroup):
    """A ``TyperGroup`` whose ``lazy`` subcommands are imported when resolved to run (or for
    their own ``--help``); listing them (``--help``, completion) imports nothing."""

    lazy: Mapping[str, Lazy] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.lazy if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self.lazy:
            return found
        return TyperCommand(cmd_name, help=self.lazy[cmd_name].help)  # listed, not loaded

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name = args[0] if args else ""
        if name in self.lazy and name not in self.commands:
            self.commands[name] = self.load(name)
        elif name and not name.startswith("-") and name not in self.commands:
            if not ctx.resilient_parsing:  # as Typer's message, lazy commands suggested too
                near = get_close_matches(name, self.list_commands(ctx))
                hint = f" Did you mean {near[0]!r}?" if near else ""
                ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def load(self, name: str) -> Any:
        return load_command(name, self.lazy[name], markup=self.rich_markup_mode)
