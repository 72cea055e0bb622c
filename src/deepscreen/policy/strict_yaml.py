"""YAML for files people write (policies, their tests, scenarios): parsed once, keys given
twice reported with their lines (YAML would silently keep the last), lines found by path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class YamlUnreadable(ValueError):
    """Not YAML at all: a syntax error (with its line and column), or nested too deeply."""


@dataclass(frozen=True)
class StrictYaml:
    value: Any
    root: yaml.Node | None
    duplicates: tuple[str, ...]
    """One problem per key given twice in one mapping: ``rules.0.when (line 7): …``."""

    def line_of(self, loc: tuple[int | str, ...]) -> int | None:
        """1-based line of the deepest node on ``loc`` (keys and list indices) that exists."""
        node, line = self.root, None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                        node, line = value, key.start_mark.line + 1
                        break
                else:
                    break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line


def read_strict(text: str | bytes) -> StrictYaml:
    """Parse one YAML document (safe types only) and find its duplicate keys."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        value = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise YamlUnreadable(f"YAML syntax error: {_problem(exc)}") from exc
    except RecursionError as exc:
        raise YamlUnreadable("YAML nested too deeply to read (a pathological file)") from exc
    finally:
        loader.dispose()
    return StrictYaml(value, root, tuple(_duplicate_keys(root)) if root is not None else ())


def _problem(exc: yaml.YAMLError) -> str:
    """``line L, column C: <problem> (<context> on line L')`` from a PyYAML error."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        text = f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
        if exc.context and exc.context_mark is not None:
            text += f" ({exc.context} on line {exc.context_mark.line + 1})"
        return text
    return " ".join(str(exc).split())


def _duplicate_keys(root: yaml.Node) -> list[str]:
    problems: list[str] = []
    seen_nodes: set[int] = set()  # an alias points at a node already walked

    def walk(node: yaml.Node, path: str) -> None:
        if id(node) in seen_nodes:
            return
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                line = key.start_mark.line + 1
                where = f"{path}.{key.value}" if path else key.value
                if key.value in first:
                    problems.append(
                        f"{where} (line {line}): key given twice (first on line "
                        f"{first[key.value]}); YAML would keep only the last"
                    )
                first.setdefault(key.value, line)
                walk(value, where)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, f"{path}.{index}")

    walk(root, "")
    return problems
