"""Metric definitions of the takedown compliance figures (data)."""

from __future__ import annotations

from deepscreen.core.metric_types import QUANTILE_CI, WILSON, Metric


def _takedown() -> list[Metric]:
    """Takedown requests (NCII under the TAKE IT DOWN Act, DSA notices): ``impact.takedown``."""
    requests = "takedown requests received in the window (notices with a type; not swept copies)"
    return [
        Metric(
            "takedown_requests",
            "Takedown requests received",
            "count",
            requests,
            "takedown requests",
            "",
            "Count; one notice id per request (the same request sent twice is one).",
            "none",
            "Takedown requests (NoticeReceived with a notice_type, not a swept copy) received in "
            "the window; the same request sent twice is one. No interval. n = requests.",
        ),
        Metric(
            "takedown_requests_unmatched",
            "Takedown requests naming no stored item",
            "count",
            requests,
            "requests whose item id, SHA-256 or URL matched no stored item",
            "",
            "Count.",
            "none",
            "Takedown requests whose item id, SHA-256 or URL named no stored item (recorded, no "
            "task). No interval. n = requests.",
        ),
        Metric(
            "takedown_requests_overdue",
            "Takedown requests past their deadline, not answered",
            "count",
            requests,
            "matched requests with neither a removal nor a review answer, past deadline_at",
            "",
            "Count at the report time.",
            "none",
            "Matched takedown requests with neither a removal nor a review answer whose deadline "
            "(deadline_at) has passed at the report time. No interval. n = requests.",
        ),
        Metric(
            "takedown_time_to_removal_median_hours",
            "Median time to removal of a takedown request (hours)",
            "hours",
            "takedown requests removed",
            "removed_at − received_at",
            "",
            "Median, linear interpolation; 0 for an item already removed when the request came.",
            QUANTILE_CI,
            "Median (linear interpolation) of removed_at − received_at in hours over takedown "
            "requests whose item was removed (0 when it was already removed when the request "
            f"came). {QUANTILE_CI} n = requests removed.",
        ),
        Metric(
            "takedown_removed_within_deadline",
            "Takedown requests removed within the deadline",
            "share",
            "matched requests not rejected whose outcome at the deadline is known",
            "requests removed at or before deadline_at",
            "matched requests not rejected, removed or past their deadline",
            "k ÷ n; a request answered by another restricting action than removal counts as "
            "not removed.",
            WILSON,
            "Matched takedown requests removed at or before their deadline_at ÷ matched requests "
            "not rejected that were removed or whose deadline has passed (a request still within "
            "its deadline is left out; one restricted otherwise than by removal counts as not "
            f"removed). {WILSON} n = those requests.",
        ),
        Metric(
            "takedown_copies_removed",
            "Copies of removed takedown items removed",
            "count",
            "items other than the requests' own matching the takedown bank",
            "copies removed in a sweep of stored items + copies removed at upload",
            "",
            "Count.",
            "none",
            "Items other than the requests' own removed as copies of a removed takedown item: "
            "found by a sweep of stored items (NoticeReceived with copy_of, removal recorded by "
            "deepscreen:takedown-sweep), or removed at upload (automated decision remove on a "
            "takedown bank match). No interval. n = copies.",
        ),
    ]
