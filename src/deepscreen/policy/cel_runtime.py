"""The CEL runtime (common-expression-language) without its interactive shell.

The package's ``__init__`` imports ``cel.cli``, a REPL built on prompt_toolkit and pygments
that deepscreen never runs and that costs about a third of a second on every start
(docs/performance.md, "Start-up"); an empty ``cel.cli`` is registered first, unless something
imported the real one already. Import ``cel`` from here, not directly.
"""

from __future__ import annotations

import sys
import types

if "cel" not in sys.modules:
    sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli", "(not loaded by deepscreen)"))

import cel  # noqa: E402 - after the stand-in above

__all__ = ["cel"]
