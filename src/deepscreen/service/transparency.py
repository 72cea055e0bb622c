"""The DSA transparency report's vocabulary: the period it covers and its publication."""

from __future__ import annotations

from deepscreen.report.dsa_transparency import Publication as Publication
from deepscreen.report.dsa_transparency import ReportPeriod as ReportPeriod
