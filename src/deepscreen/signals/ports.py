"""The Detector protocol every signal plug-in satisfies (duck-typed; no base class needed)."""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.core.signals import SignalResult


@runtime_checkable
class Detector(Protocol):
    """A signal source.

    Obligations:
    - ``name`` is lower_snake, stable, and equal to the entry-point name; renaming the class
      must not change it. ``version`` changes whenever the meaning of the score changes.
    - ``__init__`` only stores parameters; heavy work (models, sessions) happens in ``load()``,
      which the registry calls lazily, once, before the first ``detect``.
    - ``detect`` returns ``SignalResult.abstain(...)`` when it cannot tell; it raises only for
      bugs. It is deterministic for the same item, does no network I/O, and is safe to call
      concurrently after ``load()``. (The ``vendor`` detector is the one exception to "no
      network I/O": it exists to call an external API, with a timeout and a circuit breaker.)
    - ``evidence`` is JSON-compatible and bounded in size; when the detector found something,
      ``evidence["summary"]`` is one line (at most ~160 characters) that a reviewer understands
      at a glance — what declared it, how, and with what validity. Shells show it as is.
    - ``get_examples()`` returns small items (made in memory, no downloads) covering every
      declared media kind, for the conformance kit.
    """

    name: ClassVar[str]
    media_kinds: ClassVar[frozenset[MediaKind]]

    @property
    def version(self) -> str:
        """A class attribute for most detectors; an instance's own once it depends on what
        ``load()`` read (the ``learned`` detector's head)."""
        ...

    def load(self) -> None: ...

    def detect(self, item: MediaItem) -> SignalResult: ...

    def get_examples(self) -> list[MediaItem]: ...
