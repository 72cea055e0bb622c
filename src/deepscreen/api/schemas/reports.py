"""The impact metric table and the service's status, as JSON."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class MetricRow(BaseModel):
    period: str
    policy_revision: str = Field(description="A revision, or `all`.")
    segment: str = Field(description="A segment, or `all`.")
    metric: str
    value: float | None = Field(description="Null when there is nothing to estimate from.")
    ci_low: float | None = Field(description="95% interval, where one is meaningful.")
    ci_high: float | None
    n: int = Field(description="How many items the estimate rests on.")
    definition: str


class MetricsOut(BaseModel):
    items: int = Field(description="Items in the event log.")
    period: str
    rows: list[MetricRow]


class Live(BaseModel):
    status: Literal["live"] = "live"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    policy_revision: str
    checks: dict[str, str]
    pending_jobs: int | None = Field(description="Acknowledged ingests not processed yet.")
