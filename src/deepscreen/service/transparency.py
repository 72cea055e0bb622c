"""The DSA transparency report's vocabulary: the period it covers and its publication."""

from __future__ import annotations

from deepscreen.compliance.transparency.inputs import Publication as Publication
from deepscreen.impact.dsa_estimates import ReportPeriod as ReportPeriod
