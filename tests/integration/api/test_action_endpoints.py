"""``GET /v1/actions`` over SQLite and PostgreSQL: a key of the ingest or analyst role reads
the feed; the pages chained by ``next`` hold every change once, a takedown removal with its
notice; ``next`` is null at the end of the log and ``next_after`` polls on; bad cursors and
limits are 422s."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from deepscreen.api.testing import ApiHarness
from deepscreen.core.access import Role
from deepscreen.settings import Settings


def picture(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    blobs.resize((320, 240), Image.Resampling.BICUBIC).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def harness(make_harness) -> ApiHarness:
    return make_harness(settings=Settings(db_url="memory://", review={"gold_share": 0.0}))


def scan(harness: ApiHarness, seed: int) -> str:
    response = harness.client.post(
        "/v1/scan",
        files={"media": (f"{seed}.png", picture(seed), "image/png")},
        headers=harness.auth(Role.INGEST),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["item_id"])


def remove_on_request(harness: ApiHarness, item_id: str) -> str:
    """A takedown request for the item, decided violating through the review API."""
    notice = harness.client.post(
        "/v1/notices",
        json={
            "type": "ncii",
            "item_id": item_id,
            "statement": "an intimate image of me",
            "contact": "me@example.org",
            "good_faith": True,
        },
        headers=harness.auth(Role.INGEST),
    ).json()
    reviewer = harness.auth(Role.REVIEWER)
    task = harness.client.post("/v1/review/claim", json={}, headers=reviewer).json()["task"]
    decided = harness.client.post(
        f"/v1/review/tasks/{task['task_id']}/decision",
        json={"verdict": "violating", "reason_code": "deepfake_of_real_person"},
        headers=reviewer,
    )
    assert decided.status_code == 200, decided.text
    return str(notice["notice_id"])


def test_pages_chained_by_next_hold_every_change_once(harness: ApiHarness) -> None:
    items = [scan(harness, seed) for seed in (1, 2, 3)]
    notice_id = remove_on_request(harness, items[1])
    ingest = harness.auth(Role.INGEST)
    url: str | None = "/v1/actions?limit=2"
    changes, pages = [], 0
    while url is not None and pages < 20:
        response = harness.client.get(url, headers=ingest)
        assert response.status_code == 200, response.text
        body = response.json()
        changes += body["changes"]
        url, pages = body["next"], pages + 1
        if pages == 1:
            assert body["next_after"] == body["changes"][-1]["seq"]
            assert f"after={body['next_after']}" in body["next"] and "limit=2" in body["next"]
            scan(harness, 4)  # appended while the consumer pages
    assert [(c["item_id"], c["source"], c["action"]) for c in changes] == [
        (items[0], "policy", "allow"),
        (items[1], "policy", "allow"),
        (items[2], "policy", "allow"),
        (items[1], "takedown", "remove"),
        (changes[4]["item_id"], "policy", "allow"),
    ]
    assert changes[4]["item_id"] not in items
    removal = changes[3]
    assert removal["notice_id"] == notice_id and removal["verdict"] == "violating"
    assert removal["reviewer"].startswith("rv-")  # a pseudonym, never the key's name
    assert [c["seq"] for c in changes] == sorted({c["seq"] for c in changes})
    # the end of the log: no next page; polling from next_after finds what came since
    end = harness.client.get(f"/v1/actions?after={changes[-1]['seq']}", headers=ingest).json()
    assert end == {"changes": [], "next_after": changes[-1]["seq"], "next": None}
    newest = scan(harness, 5)
    polled = harness.client.get(f"/v1/actions?after={end['next_after']}", headers=ingest).json()
    assert [c["item_id"] for c in polled["changes"]] == [newest]
    json.dumps(polled)  # plain JSON


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), (Role.REVIEWER, 403), (Role.INGEST, 200), (Role.ANALYST, 200), (Role.ADMIN, 200)],
)
def test_the_feed_needs_a_key_of_a_role_that_applies_actions(
    harness: ApiHarness, role: Role | None, status: int
) -> None:
    headers = {} if role is None else harness.auth(role)
    response = harness.client.get("/v1/actions", headers=headers)
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    "query",
    ["after=-1", "after=x", "after=9007199254740992", "limit=0", "limit=1001", "limit=two"],
)
def test_a_bad_cursor_or_limit_is_a_422(harness: ApiHarness, query: str) -> None:
    response = harness.client.get(f"/v1/actions?{query}", headers=harness.auth(Role.INGEST))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
