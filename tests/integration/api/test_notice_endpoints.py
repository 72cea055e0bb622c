"""``POST /v1/notices`` and ``GET /v1/notices/{id}`` over SQLite and PostgreSQL: clear 422s for
incomplete or oversized notices, one notice and one task for the same request sent twice, an
unmatched notice recorded (not refused), the takedown task claimed first and decided through
the review API (item removed, its copy removed at upload), the audit trail and the logs free
of the requester's statement and contact, and the compliance page for analysts."""

from __future__ import annotations

import io
import json
import logging

import numpy as np
import pytest
from PIL import Image

from deepscreen.api.testing import ApiHarness, png_bytes
from deepscreen.api.web.testing import sign_in
from deepscreen.core.access import Role
from deepscreen.core.events import NoticeReceived
from deepscreen.settings import Settings

CONTACT = "victim.contact@example.org"
STATEMENT = "This intimate picture of me was posted without my consent."


def picture(seed: int, size: tuple[int, int] = (320, 240), fmt: str = "PNG") -> bytes:
    rng = np.random.default_rng(seed)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    blobs.resize(size, Image.Resampling.BICUBIC).save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def harness(make_harness) -> ApiHarness:
    return make_harness(settings=Settings(db_url="memory://", review={"gold_share": 0.0}))


def scan(
    harness: ApiHarness, data: bytes, name: str = "post.png", attributes: dict | None = None
) -> dict:
    response = harness.client.post(
        "/v1/scan",
        files={"media": (name, data, "image/png")},
        data={"attributes": json.dumps(attributes or {})},
        headers=harness.auth(Role.INGEST),
    )
    assert response.status_code == 200, response.text
    return response.json()


def notice(**changes) -> dict:
    return {
        "type": "ncii",
        "statement": STATEMENT,
        "contact": CONTACT,
        "good_faith": True,
        **changes,
    }


def post(harness: ApiHarness, body: dict, role: Role = Role.INGEST):
    return harness.client.post("/v1/notices", json=body, headers=harness.auth(role))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (notice(item_id="x", good_faith=False), "ncii notices need good_faith: true"),
        (notice(type="dsa_illegal_content", item_id="x", contact=""), "requester's contact"),
        (notice(), "exactly one of item_id, sha256 or url"),
        (notice(item_id="x", sha256="a" * 64), "exactly one of item_id, sha256 or url"),
        (notice(sha256="not-a-hash"), "sha256: String should match pattern"),
        (notice(url="javascript:alert(1)"), "url: String should match pattern"),
        (notice(item_id="x", statement=""), "statement: String should have at least 1"),
        (notice(item_id="x", statement="x" * 5001), "statement: String should have at most 5000"),
        (notice(item_id="x", contact="c" * 321), "contact: String should have at most 320"),
        (notice(item_id="x", type="revenge"), "type: Input should be"),
        (notice(item_id="x", email="x@y"), "email: Extra inputs are not permitted"),
        (notice(item_id="x", external_id="a b"), "external_id: String should match pattern"),
    ],
)
def test_incomplete_or_oversized_notices_are_422_naming_the_problem(
    harness: ApiHarness, body: dict, message: str
) -> None:
    response = post(harness, body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and message in error["message"]
    assert CONTACT not in response.text  # no input is echoed back
    assert list(harness.services.store.read(kinds=["notice_received"])) == []


def test_only_ingest_and_admin_keys_submit_notices(harness: ApiHarness) -> None:
    body = notice(sha256="b" * 64)
    assert post(harness, body, Role.REVIEWER).status_code == 403
    assert post(harness, body, Role.ANALYST).status_code == 403
    assert post(harness, body, Role.ADMIN).status_code == 201


def test_the_same_notice_twice_is_one_notice_and_one_task(harness: ApiHarness) -> None:
    item = scan(harness, picture(1))["item_id"]
    first = post(harness, notice(item_id=item))
    again = post(harness, notice(item_id=item))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "duplicate": True}
    body = first.json()
    assert body["matched"] and body["item_id"] == item and body["queue"] == "takedown"
    assert body["task_id"] == f"takedown:{body['notice_id']}"
    stored = [e for e in harness.services.store.for_item(item) if isinstance(e, NoticeReceived)]
    assert len(stored) == 1
    queues = harness.client.get("/v1/review/queues", headers=harness.auth(Role.ANALYST)).json()
    assert [c["tasks"] for c in queues["counts"] if c["queue"] == "takedown"] == [1]


def test_a_notice_for_an_item_we_do_not_have_is_recorded_unmatched(harness: ApiHarness) -> None:
    response = post(harness, notice(url="https://elsewhere.example/img/9.png"))
    assert response.status_code == 201
    body = response.json()
    assert (body["matched"], body["item_id"], body["task_id"]) == (False, None, None)
    status = harness.client.get(
        f"/v1/notices/{body['notice_id']}", headers=harness.auth(Role.ANALYST)
    )
    assert status.status_code == 200 and status.json()["outcome"] == "unmatched"
    missing = harness.client.get("/v1/notices/ntc-none", headers=harness.auth(Role.INGEST))
    assert missing.status_code == 404


def test_notice_to_removal_through_the_api_without_leaking_the_requester(
    harness: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    review_item = scan(harness, png_bytes((9, 200, 9)), "news.png", {"category": "news"})
    assert review_item["decision"]["action"] == "review"  # an ordinary task, waiting first
    item = scan(harness, picture(2))["item_id"]
    submitted = post(harness, notice(item_id=item)).json()
    claimed = harness.client.post(
        "/v1/review/claim", json={}, headers=harness.auth(Role.REVIEWER)
    ).json()["task"]
    assert claimed["task_id"] == submitted["task_id"]  # the takedown comes first
    assert claimed["due_at"] == submitted["deadline_at"]
    assert claimed["context"]["takedown"]["notice_type"] == "ncii"
    assert claimed["context"]["statement"] == STATEMENT
    assert CONTACT not in json.dumps(claimed)
    decided = harness.client.post(
        f"/v1/review/tasks/{claimed['task_id']}/decision",
        json={"verdict": "violating", "reason_code": "deepfake_of_real_person"},
        headers=harness.auth(Role.REVIEWER),
    )
    assert decided.status_code == 200, decided.text
    status = harness.client.get(
        f"/v1/notices/{submitted['notice_id']}", headers=harness.auth(Role.INGEST)
    ).json()
    assert status["outcome"] == "removed" and status["removed_within_deadline"] is True
    copy = scan(harness, picture(2, (200, 150), "JPEG"), "copy.jpg")
    assert (copy["decision"]["action"], copy["decision"]["rule_id"]) == (
        "remove",
        "remove_takedown_copy",
    )
    entries = harness.stores.audit.entries(limit=1000)
    [submit] = [e for e in entries if e.action == "notice.submit"]
    assert submit.target == submitted["notice_id"] and submit.details["matched"] is True
    trail = json.dumps([e.details for e in entries])
    assert CONTACT not in trail and STATEMENT not in trail
    assert CONTACT not in caplog.text and STATEMENT not in caplog.text

    sign_in(harness.client, harness.tokens[Role.ANALYST])
    page = harness.client.get("/ui/compliance")
    assert page.status_code == 200
    assert submitted["notice_id"] in page.text and "Copies removed" in page.text
    assert CONTACT not in page.text and STATEMENT not in page.text
    assert 'data-metric="takedown_removed_within_deadline"' in page.text


def test_reviewers_do_not_see_the_compliance_page(harness: ApiHarness) -> None:
    sign_in(harness.client, harness.tokens[Role.REVIEWER])
    assert harness.client.get("/ui/compliance").status_code == 403
    assert "Compliance</a>" not in harness.client.get("/ui/dashboard").text
