"""The per-item work budget: work past its deadline is abandoned with a typed error."""

from __future__ import annotations

import threading

import pytest

from deepscreen.core.errors import ProcessingTimeout
from deepscreen.service.budget import within_budget


def test_work_within_the_budget_returns_its_value_and_raises_its_errors() -> None:
    assert within_budget(30, "a.png", lambda: 42) == 42
    assert within_budget(None, "a.png", lambda: "no deadline") == "no deadline"

    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        within_budget(30, "a.png", fails)


def test_work_past_the_budget_is_abandoned_with_processing_timeout() -> None:
    release = threading.Event()
    try:
        with pytest.raises(ProcessingTimeout) as caught:
            within_budget(0.05, "slow.png", lambda: release.wait(60))
        assert caught.value.code == "processing_timeout"
        assert "slow.png" in str(caught.value) and "0.05 s per-item budget" in str(caught.value)
    finally:
        release.set()  # let the abandoned thread end
