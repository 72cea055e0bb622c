"""NATS JetStream plumbing shared by the streaming worker and the test-upload publisher:
connecting (reconnecting forever), creating a stream only if it is missing, header values.
nats-py is optional (``deepscreen[stream]``): imported here, only by the commands that need it."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from deepscreen.core.errors import BackendError, ConfigError

try:
    import nats
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.js import JetStreamContext
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
    from nats.js.errors import BadRequestError, NotFoundError
except ImportError as exc:  # pragma: no cover - the extra is installed in dev and CI
    raise ConfigError("NATS support needs nats-py: pip install 'deepscreen[stream]'") from exc

__all__ = [
    "BrokerUnavailable",
    "Client",
    "JetStreamContext",
    "connect",
    "dead_letter_headers",
    "ensure_consumer",
    "ensure_dead_letter_stream",
    "ensure_stream",
    "header_value",
    "stream_for_subject",
]

log = logging.getLogger(__name__)

INITIAL_ATTEMPTS = 2  # retries of the first connection, a second apart

_STREAM_NAME = re.compile(r"[A-Za-z0-9_-]{1,200}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class BrokerUnavailable(BackendError):
    """The NATS server could not be reached, or refused a JetStream request."""

    code = "broker_unavailable"


def check_stream_name(name: str) -> str:
    if not _STREAM_NAME.fullmatch(name):
        raise ConfigError(f"stream name {name!r}: use letters, digits, '-' and '_' only")
    return name


async def connect(url: str, *, name: str, connect_timeout: float = 5.0) -> Client:
    """A connection that reconnects forever (a broker restart pauses the worker, no more);
    the first connection must succeed within a few attempts."""

    async def on_error(exc: Exception) -> None:  # one line, not nats-py's traceback per retry
        log.warning("NATS %s: %r", url, exc)

    client: list[Client] = []

    async def on_disconnect() -> None:
        if client and not (client[0].is_closed or client[0].is_draining):  # not our close()
            log.warning("NATS %s: disconnected; reconnecting", url)

    async def on_reconnect() -> None:
        log.warning("NATS %s: reconnected", url)

    try:
        nc = await nats.connect(
            url,
            name=name,
            connect_timeout=int(max(1, connect_timeout)),
            max_reconnect_attempts=INITIAL_ATTEMPTS,
            reconnect_time_wait=1,
            allow_reconnect=True,
            error_cb=on_error,
            disconnected_cb=on_disconnect,
            reconnected_cb=on_reconnect,
        )
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        raise BrokerUnavailable(f"NATS server {url} is unavailable: {exc!r}") from exc
    # nats-py reads the option on every reconnect: from now on, never give up.
    nc.options["max_reconnect_attempts"] = -1
    client.append(nc)
    return nc


async def ensure_stream(js: JetStreamContext, name: str, subjects: Sequence[str]) -> None:
    """Create the stream ``name`` (file storage, the given subjects) unless it exists. An existing
    stream is left as it is — its configuration is the operator's."""
    check_stream_name(name)
    try:
        await js.stream_info(name)
        return
    except NotFoundError:
        pass
    try:
        await js.add_stream(
            StreamConfig(name=name, subjects=list(subjects), storage=StorageType.FILE)
        )
    except BadRequestError as exc:
        try:  # created meanwhile by another worker; anything else is a real refusal
            await js.stream_info(name)
        except NotFoundError:
            raise BrokerUnavailable(f"cannot create stream {name!r}: {exc.description}") from exc


async def ensure_dead_letter_stream(js: JetStreamContext, stream: str, subject: str) -> None:
    """Make sure a stream other than ``stream`` keeps what is published on the dead-letter
    ``subject`` (creating ``<stream>-dead`` for it if none does)."""
    if await stream_for_subject(js, subject) is None:
        await ensure_stream(js, f"{stream}-dead", [subject])
    holder = await stream_for_subject(js, subject)
    if holder is None or holder == stream:
        raise ConfigError(
            f"dead-letter subject {subject!r} must be stored by a stream other than {stream!r}"
            f" (does stream {stream}-dead exist with other subjects?)"
        )


async def ensure_consumer(
    js: JetStreamContext, stream: str, durable: str, *, ack_wait_s: float
) -> None:
    """Create the durable pull consumer unless it exists (an existing one is left as it is):
    explicit acks, every message from the start, and no delivery limit — the worker counts
    deliveries itself, so that a store outage never makes the broker give up on a message."""
    try:
        await js.consumer_info(stream, durable)
    except NotFoundError:
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ack_wait_s,
            max_deliver=-1,
        )
        await js.add_consumer(stream, config)


def dead_letter_headers(msg: Msg, error: str, code: str) -> dict[str, str]:
    """Why and from where a message was dead-lettered; ``Nats-Msg-Id`` (stream and sequence)
    keeps a dead letter published twice (a crash before the term) once."""
    meta = msg.metadata
    return {
        "Nats-Msg-Id": f"{meta.stream}:{meta.sequence.stream}",
        "Deepscreen-Error": header_value(error),
        "Deepscreen-Error-Code": header_value(code, 64),
        "Deepscreen-Subject": header_value(msg.subject),
        "Deepscreen-Stream": header_value(meta.stream),
        "Deepscreen-Stream-Seq": str(meta.sequence.stream),
        "Deepscreen-Deliveries": str(meta.num_delivered),
    }


async def stream_for_subject(js: JetStreamContext, subject: str) -> str | None:
    """The stream that stores messages published on ``subject``, or None."""
    try:
        return str(await js.find_stream_name_by_subject(subject))
    except NotFoundError:
        return None


def header_value(text: str, limit: int = 1024) -> str:
    """``text`` as a NATS header value: one ASCII line (other characters escaped), at most
    ``limit`` characters."""
    flat = _CONTROL.sub(" ", text).strip().encode("ascii", "backslashreplace").decode()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
