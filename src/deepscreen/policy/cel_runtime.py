"""The CEL runtime without its interactive shell: import ``cel`` from here, never directly.
``cel`` imports its REPL ``cel.cli`` (prompt_toolkit, pygments: ~0.3 s of every start,
docs/performance.md "Start-up"); a stand-in is registered first unless ``cel`` is loaded."""

from __future__ import annotations

import sys
import types

if "cel" not in sys.modules:
    sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli", "(not loaded by deepscreen)"))

import cel  # noqa: E402 - after the stand-in above

__all__ = ["cel"]
