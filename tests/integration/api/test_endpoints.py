"""The endpoints over real databases: scan, ingest, items, decisions, views, metrics, status."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from deepscreen.api.testing import ApiHarness, png_bytes
from deepscreen.core.access import Role
from deepscreen.core.events import ReviewCompleted, Verdict

INGEST, ANALYST, REVIEWER = Role.INGEST, Role.ANALYST, Role.REVIEWER


def _scan(harness: ApiHarness, data: bytes, attributes: dict | None = None, name: str = "a.png"):
    form = {"attributes": json.dumps(attributes)} if attributes else {}
    return harness.client.post(
        "/v1/scan",
        files={"media": (name, data, "image/png")},
        data=form,
        headers=harness.auth(INGEST),
    )


def test_scan_returns_signals_decision_and_explanation(harness: ApiHarness) -> None:
    response = _scan(harness, png_bytes(), {"category": "news"}, name="../../etc/ai.png")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["item_id"].startswith("sha256:") and body["source"] == "ai.png"
    assert not body["already_stored"]
    signals = {s["detector"]: s for s in body["signals"]}
    assert set(signals) == {"c2pa", "hashmatch", "metadata", "watermark", "learned", "faces"}
    assert signals["metadata"]["score"] == 1.0 and "summary" in signals["metadata"]["evidence"]
    assert signals["c2pa"]["abstained"] and signals["c2pa"]["reason"]
    decision = body["decision"]
    assert decision["action"] == "review"
    assert decision["rule_id"] == "review_declared_ai_sensitive"
    explanation = body["explanation"]
    assert explanation["rule"] == decision["rule_id"]
    assert explanation["policy_revision"] == harness.services.bundle.revision
    outcomes = {r["rule"]: r["outcome"] for r in explanation["rules"]}
    assert outcomes["review_declared_ai_sensitive"] == "matched"
    assert explanation["inputs"]["item"]["category"] == "news"


def test_a_new_decisions_explanation_is_its_own_evaluation(harness: ApiHarness, monkeypatch):
    """The policy is evaluated once per new item: the explanation comes from the evaluation
    that decided (re-evaluating is only for a stored decision, whose evaluation is gone)."""
    calls: list[str] = []
    import deepscreen.service.items as items

    real = items.explain
    monkeypatch.setattr(items, "explain", lambda *a: calls.append("again") or real(*a))
    first = _scan(harness, png_bytes()).json()
    assert calls == [] and first["explanation"]["rule"] == first["decision"]["rule_id"]
    again = _scan(harness, png_bytes()).json()
    assert calls == ["again"] and again["explanation"] == first["explanation"]


def test_scanning_the_same_media_again_records_nothing(harness: ApiHarness) -> None:
    first = _scan(harness, png_bytes()).json()
    again = _scan(harness, png_bytes()).json()
    assert again["already_stored"] and again["decision"] == first["decision"]
    scans = [e for e in harness.stores.audit.entries() if e.action == "items.scan"]
    assert len(scans) == 1
    assert scans[0].actor == harness.tokens[INGEST].split("_")[1]
    assert scans[0].details["action"] == "label" and "media" not in scans[0].details


def test_async_ingest_then_job_then_item(harness: ApiHarness) -> None:
    response = harness.client.post(
        "/v1/items",
        files={"media": ("up.png", png_bytes(), "image/png")},
        data={"attributes": json.dumps({"category": "sports"})},
        headers={**harness.auth(INGEST), "Idempotency-Key": "req-1"},
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["kind"] == "job" and job["status"] == "pending" and job["result"] is None
    assert response.headers["location"] == f"/v1/items/{job['job_id']}"
    assert harness.drain() == 1
    done = harness.client.get(response.headers["location"], headers=harness.auth(INGEST)).json()
    assert done["status"] == "done" and done["error"] is None
    assert done["result"]["decision"]["action"] == "label"
    item = harness.client.get(f"/v1/items/{done['item_id']}", headers=harness.auth(REVIEWER))
    assert item.status_code == 200
    summary = item.json()
    assert summary["kind"] == "item" and summary["attributes"] == {"category": "sports"}
    assert summary["decision"]["decision_id"] == done["result"]["decision"]["decision_id"]
    assert summary["media"] == {
        "kind": "image",
        "mime": "image/png",
        "width": 64,
        "height": 48,
        "size_bytes": len(png_bytes()),
    }


def test_item_reviews_never_show_the_reviewer(harness: ApiHarness) -> None:
    item_id = _scan(harness, png_bytes()).json()["item_id"]
    harness.services.store.append(
        [
            ReviewCompleted(
                item_id=item_id,
                occurred_at=datetime.now(UTC),
                verdict=Verdict.VIOLATING,
                reviewer="alice.smith@example.com",
                label="deepfake",
                reason_code="synthetic_person",
            )
        ]
    )
    response = harness.client.get(f"/v1/items/{item_id}", headers=harness.auth(Role.ADMIN))
    assert response.json()["reviews"][0]["verdict"] == "violating"
    assert "alice" not in response.text and "reviewer" not in response.json()["reviews"][0]


def test_decisions_filter_and_page_with_next_links(harness: ApiHarness) -> None:
    colors = [(i * 40 % 256, 10, 10) for i in range(5)]
    for n, color in enumerate(colors):
        _scan(harness, png_bytes(color, ai_metadata=n % 2 == 0))
    headers = harness.auth(ANALYST)
    everything = harness.client.get("/v1/decisions", headers=headers).json()
    assert len(everything["decisions"]) == 5 and everything["next"] is None
    labelled = harness.client.get("/v1/decisions?action=label", headers=headers).json()
    assert [d["action"] for d in labelled["decisions"]] == ["label"] * 3
    seen, url = [], "/v1/decisions?limit=2"
    while url:
        page = harness.client.get(url, headers=headers).json()
        seen += [d["decision_id"] for d in page["decisions"]]
        url = page["next"]
    assert seen == [d["decision_id"] for d in everything["decisions"]]
    revision = everything["decisions"][0]["policy_revision"]
    assert len(_get(harness, f"/v1/decisions?policy_revision={revision}")["decisions"]) == 5
    assert _get(harness, "/v1/decisions?policy_revision=r-other")["decisions"] == []
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert _get(harness, "/v1/decisions", params={"since": later})["decisions"] == []
    assert len(_get(harness, "/v1/decisions", params={"until": later})["decisions"]) == 5
    naive = harness.client.get(
        "/v1/decisions", params={"since": "2025-01-01T00:00:00"}, headers=headers
    )
    assert naive.status_code == 422


def _get(harness: ApiHarness, url: str, **options) -> dict:
    response = harness.client.get(url, headers=harness.auth(ANALYST), **options)
    assert response.status_code == 200, response.text
    return response.json()


def test_views_are_recorded_for_known_items_only(harness: ApiHarness) -> None:
    item_id = _scan(harness, png_bytes()).json()["item_id"]
    body = {
        "observations": [
            {"item_id": item_id, "views": 120, "observed_at": "2025-03-01T12:00:00Z"},
            {"item_id": item_id, "views": 30},
        ]
    }
    response = harness.client.post("/v1/views", json=body, headers=harness.auth(INGEST))
    assert response.status_code == 200 and response.json() == {"recorded": 2}
    unknown = {"observations": [{"item_id": "sha256:nope", "views": 1}, *body["observations"]]}
    refused = harness.client.post("/v1/views", json=unknown, headers=harness.auth(INGEST))
    assert refused.status_code == 422 and "sha256:nope" in refused.json()["error"]["message"]
    item = harness.client.get(f"/v1/items/{item_id}", headers=harness.auth(ANALYST)).json()
    assert item["views"] == {"total": 150, "observations": 2}
    (audit,) = [e for e in harness.stores.audit.entries() if e.action == "views.record"]
    assert audit.details == {"observations": 2, "views": 150}


def test_metrics_are_the_impact_table_as_records(harness: ApiHarness) -> None:
    _scan(harness, png_bytes(), {"category": "news"})
    _scan(harness, png_bytes((1, 2, 3), ai_metadata=False), {"category": "sports"})
    body = _get(
        harness, "/v1/metrics", params={"period": "all", "by": "segment", "bootstrap": False}
    )
    assert body["items"] == 2 and body["period"] == "all"
    rows = {(r["segment"], r["metric"]): r for r in body["rows"]}
    assert rows[("all", "uploads")]["value"] == 2.0
    assert {s for s, _ in rows} == {"all", "news", "sports"}
    assert all(r["policy_revision"] == "all" for r in body["rows"])


def test_status_needs_no_key_and_ready_names_the_policy(harness: ApiHarness) -> None:
    assert harness.client.get("/status/live").json() == {"status": "live"}
    ready = harness.client.get("/status/ready")
    assert ready.status_code == 200
    assert ready.json()["policy_revision"] == harness.services.bundle.revision
    assert ready.json()["pending_jobs"] == 0
    harness.services.store.close()
    down = harness.client.get("/status/ready")
    assert down.status_code == 503
    assert down.json() == {
        "error": {"code": "not_ready", "message": "not ready (event_store: unavailable)"}
    }
