"""The streaming worker's decisions that need no broker: reading a message, what a failure
leads to, header values, and deciding + storing a batch."""

from __future__ import annotations

import base64
import json

import pytest

from deepscreen.api.testing import png_bytes
from deepscreen.bootstrap import build
from deepscreen.core.errors import StoreUnavailable
from deepscreen.scale.jetstream import header_value
from deepscreen.scale.publish import generated_png, is_ai
from deepscreen.scale.records import BadRecord, UploadRecord
from deepscreen.scale.stream_messages import (
    Disposition,
    disposition,
    handle_batch,
    output_message,
    read_message,
)
from deepscreen.scale.writer import Status
from deepscreen.settings import load_settings


def test_a_message_is_a_json_upload_record() -> None:
    data = base64.b64encode(b"bytes").decode()
    message = json.dumps({"id": "u1", "data_b64": data, "category": "news"}).encode()
    record = read_message(message, where="uploads.new #1")
    assert record.item_id == "u1" and record.data == b"bytes"
    assert record.attributes == {"category": "news"}


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"uri": 5}', b'{"id": "x"}', b"[" * 100_000],
)
def test_a_message_that_is_no_upload_record_is_a_bad_record(payload: bytes) -> None:
    with pytest.raises(BadRecord, match="uploads.new #7"):
        read_message(payload, where="uploads.new #7")


@pytest.mark.parametrize("code", ["bad_record", "unsupported_media", "corrupt_media"])
def test_permanent_failures_are_dead_lettered_at_once(code: str) -> None:
    assert disposition(code, deliveries=1, max_deliver=5) is Disposition.DEAD_LETTER


@pytest.mark.parametrize("code", ["invalid_input", "internal_error", "store_refused"])
def test_other_failures_are_retried_until_max_deliver(code: str) -> None:
    assert disposition(code, deliveries=4, max_deliver=5) is Disposition.RETRY
    assert disposition(code, deliveries=5, max_deliver=5) is Disposition.DEAD_LETTER


def test_header_values_are_one_ascii_line_of_bounded_length() -> None:
    assert header_value("a\nb\r\n\tc é") == "a b c \\xe9"
    long = header_value("x" * 5000, limit=100)
    assert len(long) == 100 and long.endswith("...")


def test_generated_uploads_are_distinct_and_a_share_declares_ai() -> None:
    assert generated_png(0, 1) != generated_png(0, 2) != generated_png(1, 1)
    assert [i for i in range(8) if is_ai(i, 0.25)] == [3, 7]
    assert b"parameters" in generated_png(0, 3, ai=True)


def test_a_batch_is_decided_and_stored_once_and_redeliveries_are_not_decided_again() -> None:
    services = build(load_settings(db_url="memory://"))
    ai = UploadRecord(None, png_bytes(ai_metadata=True), item_id="ai")
    text = UploadRecord(None, b"not an image", item_id="text")
    first = handle_batch(services, [ai, text], want_decisions=True)
    assert [r.status for r in first] == [Status.STORED, Status.FAILED]
    assert first[0].decision is not None and first[0].decision.action == "label"
    assert first[1].error_code == "unsupported_media" and first[1].decision is None
    assert first[0].stored_ns > 0
    again = handle_batch(services, [ai], redelivered=[True], want_decisions=True)
    assert again[0].status is Status.ALREADY_STORED
    assert again[0].decision == first[0].decision  # the stored one, for the output subject
    body = json.loads(output_message(first[0].decision))
    assert body["item_id"] == "ai" and body["action"] == "label"
    assert set(body) == {"item_id", "decision_id", "action", "rule_id", "policy_revision"}


def test_a_store_outage_fails_the_whole_batch() -> None:
    services = build(load_settings(db_url="memory://"))
    services.store.close()
    record = UploadRecord(None, png_bytes(), item_id="x")
    with pytest.raises(StoreUnavailable):
        handle_batch(services, [record])
