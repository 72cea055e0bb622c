"""The demo's synthetic platform: every parameter of the generated sample, with a seed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class DemoScenario:
    """Parameters of the synthetic sample. All data generated from them is synthetic.

    ``marker_mix`` is the share of AI-generated items carrying each kind of generator
    metadata (the rest carry none, as after a re-upload that strips metadata).
    ``false_marker_share`` is the share of real photos that carry AI-tool metadata anyway
    (e.g. a camera photo upscaled or restored with a Stable Diffusion tool and judged authentic
    by reviewers): they are the false positives a metadata policy makes.
    """

    seed: int = 20261125
    n_items: int = 2000
    ai_share: float = 0.25
    marker_mix: dict[str, float] = field(
        default_factory=lambda: {"a1111": 0.25, "comfyui": 0.15, "iptc_xmp": 0.2}
    )
    false_marker_share: float = 0.01
    sensitive_share: float = 0.12
    categories: tuple[str, ...] = ("pets", "food", "travel", "art", "sports", "memes")
    sensitive_categories: tuple[str, ...] = ("news", "politics")
    uploaders: int = 250
    start: datetime = datetime(2026, 10, 1, tzinfo=UTC)
    days: int = 30
    views_log_mean: float = 3.0
    views_log_sigma: float = 1.6

    def __post_init__(self) -> None:
        if self.n_items < 1:
            raise ValueError(f"n_items must be >= 1, got {self.n_items!r}")
        for name in ("ai_share", "false_marker_share", "sensitive_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")
        if sum(self.marker_mix.values()) > 1.0:
            raise ValueError("marker_mix shares add up to more than 1")
