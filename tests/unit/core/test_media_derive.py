"""``MediaItem.derive``: a value computed once per item and key, not copied by ``replace``."""

from __future__ import annotations

import dataclasses

from deepscreen.core.media import MediaItem, MediaKind


def item() -> MediaItem:
    return MediaItem("sha256:x", MediaKind.IMAGE, "image/png", 1, 1, b"x")


def test_derive_computes_once_per_key():
    media, calls = item(), []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert [media.derive("a", compute) for _ in range(3)] == [1, 1, 1]
    assert media.derive("b", compute) == 2
    assert len(calls) == 2


def test_derive_caches_falsy_values_too():
    media, calls = item(), []
    for _ in range(2):
        media.derive("none", lambda: calls.append(1))
    assert calls == [1]


def test_derived_is_not_an_init_argument_and_not_copied():
    media = item()
    media.derive("a", lambda: 1)
    assert "derived" not in {f.name for f in dataclasses.fields(media) if f.init}
    assert dataclasses.replace(media).derived == {}
