"""Load a policy bundle directory whole, or refuse it listing every error (validate-on-load)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from deepscreen.core.decisions import Action
from deepscreen.core.errors import BundleInvalid
from deepscreen.policy.cel_runtime import cel
from deepscreen.policy.model import ActionSpec, ParamSpec, ParamValue, PolicyFile, Rule
from deepscreen.policy.shipped import SHIPPED, resolve_bundle_dir
from deepscreen.policy.strict_yaml import YamlUnreadable, read_strict

TEST_SUFFIX = "_test.yaml"
ROOT_VARIABLES = frozenset({"signals", "item", "params", "derived"})
_SIGNAL_REF = re.compile(r"\bsignals\.([A-Za-z_]\w*)")
_PARAM_REF = re.compile(r"\bparams\.([A-Za-z_]\w*)")
_DERIVED_REF = re.compile(r"\bderived\.([A-Za-z_]\w*)")
DEFAULT_ON_ERROR = ActionSpec(type=Action.REVIEW, queue="policy_errors")


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    program: Any  # cel.Program, compiled once per revision
    file: str


@dataclass(frozen=True)
class CompiledDerived:
    """A named helper expression (``derived.<name>``), evaluated in order before the rules."""

    name: str
    program: Any
    file: str


@dataclass(frozen=True)
class Bundle:
    """A validated policy bundle. ``revision`` is a hash of its policy files' contents."""

    name: str
    directory: str
    revision: str
    params: Mapping[str, ParamValue]
    rules: tuple[CompiledRule, ...]
    default: ActionSpec
    derived: tuple[CompiledDerived, ...] = ()
    on_error: ActionSpec = DEFAULT_ON_ERROR
    signal_names: frozenset[str] = field(default_factory=frozenset)
    description: str = ""
    """What the bundle does, in its authors' words (the first file that describes it)."""
    optional_signals: frozenset[str] = field(default_factory=frozenset)
    """Detectors read if enabled; absent ones are given as abstentions at evaluation."""

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.rule.id for r in self.rules)

    @property
    def referenced_signals(self) -> frozenset[str]:
        """Detector names any derived value or rule reads (``signals.<name>``)."""
        sources = [d.program.source for d in self.derived] + [r.rule.when for r in self.rules]
        return frozenset(name for text in sources for name in _SIGNAL_REF.findall(text))


def policy_files(directory: Path) -> list[Path]:
    """The bundle's policy files (``*.yaml``/``*.yml`` that are not ``*_test.yaml``), by name."""
    files = [*directory.glob("*.yaml"), *directory.glob("*.yml")]
    return sorted(p for p in files if not p.name.endswith(TEST_SUFFIX))


def compute_revision(contents: Mapping[str, bytes]) -> str:
    """``r-`` + 12 hex of SHA-256 over (file name, bytes) pairs in name order."""
    digest = hashlib.sha256()
    for name in sorted(contents):
        digest.update(name.encode() + b"\0" + contents[name] + b"\0")
    return "r-" + digest.hexdigest()[:12]


def load_bundle(directory: str | Path, *, known_signals: Collection[str] | None = None) -> Bundle:
    """Load and validate a bundle; raise ``BundleInvalid`` listing every problem found.

    ``directory`` may also name a shipped bundle (``default``, ``thresholds``, ``label-first``:
    ``policy.shipped``) when no such directory exists here.

    ``known_signals`` are the detector names that will be enabled; a rule reading any other
    ``signals.<name>`` is an error. ``None`` skips that check.
    """
    root = resolve_bundle_dir(directory)
    if not root.is_dir():
        shipped = ", ".join(SHIPPED)
        raise BundleInvalid(
            str(root), [f"{root}: not a directory, nor a shipped bundle name ({shipped})"]
        )
    files = policy_files(root)
    if not files:
        raise BundleInvalid(str(root), [f"{root}: no policy files (*.yaml) found"])
    errors: list[str] = []
    contents = {p.name: p.read_bytes() for p in files}
    parsed = [(name, _parse_file(name, data, errors)) for name, data in contents.items()]
    merged = _merge([(n, f) for n, f in parsed if f is not None], errors)
    known = None if known_signals is None else {*known_signals, *merged.optional_signals}
    checker = _References(merged.params, known)
    derived = _compile_derived(merged.derived, checker, errors)
    compiled = _compile_rules(merged.rules, checker, errors)
    if errors:
        raise BundleInvalid(str(root), errors)
    assert merged.default is not None  # _merge reported it otherwise
    return Bundle(
        name=merged.name or root.name,
        directory=str(root),
        revision=compute_revision(contents),
        params=merged.params,
        rules=tuple(compiled),
        default=merged.default,
        derived=tuple(derived),
        on_error=merged.on_error or DEFAULT_ON_ERROR,
        signal_names=frozenset(known_signals or ()),
        description=merged.description,
        optional_signals=frozenset(merged.optional_signals),
    )


def _parse_file(name: str, data: bytes, errors: list[str]) -> PolicyFile | None:
    if len(data) > MAX_POLICY_FILE_BYTES:
        errors.append(f"{name}: {len(data):,} bytes, over the {MAX_POLICY_FILE_BYTES:,} allowed")
        return None
    try:
        parsed = read_strict(data)
    except YamlUnreadable as exc:
        errors.append(f"{name}: {exc}")
        return None
    raw = {} if parsed.value is None else parsed.value
    if not isinstance(raw, dict):
        errors.append(f"{name}: top level must be a mapping, got {type(raw).__name__}")
        return None
    if parsed.duplicates:
        errors.extend(f"{name}: {problem}" for problem in parsed.duplicates)
        return None
    try:
        return PolicyFile.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            errors.append(f"{name}: {_where(raw, err['loc'])}: {err['msg']}")
        return None


def _where(raw: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """Name the rule (by id) an error is in, else the dotted location."""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = raw.get("rules") or []
        rule = rules[loc[1]] if loc[1] < len(rules) else {}
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        rest = ".".join(str(p) for p in loc[2:])
        return f"rule {rule_id or '#' + str(loc[1])}" + (f": {rest}" if rest else "")
    return ".".join(str(p) for p in loc) or "(file)"


@dataclass
class _Merged:
    name: str | None = None
    description: str = ""
    params: dict[str, ParamValue] = field(default_factory=dict)
    derived: list[tuple[str, str, str]] = field(default_factory=list)  # (file, name, expression)
    rules: list[tuple[str, Rule]] = field(default_factory=list)
    default: ActionSpec | None = None
    on_error: ActionSpec | None = None
    optional_signals: set[str] = field(default_factory=set)


def _merge(files: list[tuple[str, PolicyFile]], errors: list[str]) -> _Merged:
    merged = _Merged()
    seen_rules: dict[str, str] = {}
    default_from: list[str] = []
    for name, pf in files:
        merged.name = merged.name or pf.name
        merged.description = merged.description or " ".join(pf.description.split())
        for key, spec in pf.params.items():
            if key in merged.params:
                errors.append(f"{name}: param {key!r} is defined twice")
            merged.params[key] = spec.value if isinstance(spec, ParamSpec) else spec
        for key, expression in pf.derived.items():
            if any(key == d[1] for d in merged.derived):
                errors.append(f"{name}: derived {key!r} is defined twice")
            merged.derived.append((name, key, expression))
        for rule in pf.rules:
            if rule.id in seen_rules:
                errors.append(
                    f"{name}: rule {rule.id}: duplicate id (first in {seen_rules[rule.id]})"
                )
            seen_rules.setdefault(rule.id, name)
            merged.rules.append((name, rule))
        if pf.default is not None:
            default_from.append(name)
            merged.default = pf.default
        merged.on_error = pf.on_error or merged.on_error
        merged.optional_signals.update(pf.optional_signals)
    if len(default_from) > 1:
        errors.append(f"'default' is set in more than one file: {', '.join(default_from)}")
    if files and not default_from:
        errors.append("no file sets 'default' (the action when no rule matches)")
    return merged


@dataclass
class _References:
    """What an expression may read: params, enabled signals and earlier derived values."""

    params: Mapping[str, ParamValue]
    known_signals: Collection[str] | None
    derived: list[str] = field(default_factory=list)

    def problems(self, expression: str, program: Any) -> list[str]:
        found = []
        roots = set(program.variables()) - ROOT_VARIABLES - _bound_names(expression)
        if roots:
            found.append(f"unknown variables {sorted(roots)}; use signals, item, params, derived")
        for ref in sorted(set(_PARAM_REF.findall(expression)) - set(self.params)):
            found.append(f"unknown param {ref!r}")
        for ref in sorted(set(_DERIVED_REF.findall(expression)) - set(self.derived)):
            found.append(f"unknown derived value {ref!r} (defined so far: {self.derived})")
        if self.known_signals is not None:
            for ref in sorted(set(_SIGNAL_REF.findall(expression)) - set(self.known_signals)):
                found.append(
                    f"unknown signal {ref!r} (enabled detectors: {sorted(self.known_signals)})"
                )
        return found


def _compile(expression: str, where: str, errors: list[str]) -> Any | None:
    problem = expression_limits(expression)
    if problem:
        errors.append(f"{where}: {problem}")
        return None
    try:
        return cel.compile(expression)
    except (ValueError, RuntimeError) as exc:
        errors.append(f"{where}: CEL does not compile: {exc}".replace("\n", " "))
        return None


def _compile_derived(
    derived: list[tuple[str, str, str]], refs: _References, errors: list[str]
) -> list[CompiledDerived]:
    compiled = []
    for file, name, expression in derived:
        where = f"{file}: derived {name}"
        program = _compile(expression, where, errors)
        if program is not None:
            errors.extend(f"{where}: {p}" for p in refs.problems(expression, program))
            compiled.append(CompiledDerived(name=name, program=program, file=file))
        refs.derived.append(name)  # later expressions may read it
    return compiled


def _compile_rules(
    rules: list[tuple[str, Rule]], refs: _References, errors: list[str]
) -> list[CompiledRule]:
    compiled = []
    for file, rule in rules:
        where = f"{file}: rule {rule.id}"
        program = _compile(rule.when, where, errors)
        if program is not None:
            errors.extend(f"{where}: {p}" for p in refs.problems(rule.when, program))
            compiled.append(CompiledRule(rule=rule, program=program, file=file))
    return compiled


MAX_POLICY_FILE_BYTES = 1024 * 1024
MAX_COMPREHENSION_DEPTH = 2
_MACRO = re.compile(r"\.(?:all|exists|exists_one|map|filter)\s*\(")


def expression_limits(expression: str) -> str | None:
    """Why ``expression`` is refused before it is compiled, or None.

    CEL cannot be interrupted once it runs, so the cost of an expression is bounded by its
    shape: at most 4,000 characters (the policy model's limit), and comprehension macros (``all``,
    ``exists``, ``exists_one``, ``map``, ``filter``) nested at most ``MAX_COMPREHENSION_DEPTH``
    deep — four nested comprehensions over 100-element lists ran past 90 s; two cost
    milliseconds on the lists a policy sees (detector evidence is bounded)."""
    depth = comprehension_depth(expression)
    if depth > MAX_COMPREHENSION_DEPTH:
        return (
            f"comprehensions (all/exists/map/filter) nested {depth} deep, over the "
            f"{MAX_COMPREHENSION_DEPTH} allowed: the cost grows as the product of the lists"
        )
    return None


def comprehension_depth(expression: str) -> int:
    """How deeply comprehension macros nest in ``expression`` (string literals included:
    an over-estimate is safe)."""
    macro_at = {m.end() - 1 for m in _MACRO.finditer(expression)}  # their opening "("
    stack: list[bool] = []
    deepest = 0
    for index, char in enumerate(expression):
        if char in "([{":
            stack.append(index in macro_at)
            deepest = max(deepest, sum(stack))
        elif char in ")]}" and stack:
            stack.pop()
    return deepest


def _bound_names(expression: str) -> set[str]:
    """Names bound by CEL comprehension macros (``list.exists(x, ...)``), which are not roots."""
    return set(
        re.findall(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,", expression)
    )
