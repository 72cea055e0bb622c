"""The streaming worker: upload messages from a NATS JetStream stream → decided → stored → acked,
exactly once in effect, with bounded fetches as backpressure; failures retried or dead-lettered
as ``stream_messages`` sorts them (how: docs/internals/scale.md)."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial

import nats.errors
from nats.aio.msg import Msg

from deepscreen.core.decisions import Action
from deepscreen.core.errors import BackendError, ConfigError
from deepscreen.scale.jetstream import (
    BrokerUnavailable,
    Client,
    JetStreamContext,
    connect,
    dead_letter_headers,
    ensure_consumer,
    ensure_dead_letter_stream,
    ensure_stream,
    stream_for_subject,
)
from deepscreen.scale.records import BadRecord, UploadRecord
from deepscreen.scale.stream_messages import (
    INTERNAL_ERROR,
    Disposition,
    Result,
    disposition,
    handle_batch,
    output_message,
    read_message,
)
from deepscreen.scale.writer import Status
from deepscreen.service.scan import Services

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 1.0  # how long one pull waits; also how soon a stop or idle exit is noticed


@dataclass(frozen=True)
class StreamOptions:
    url: str = "nats://127.0.0.1:4222"
    stream: str = "uploads"
    subjects: tuple[str, ...] = ()  # the stream's subjects when it is created: <stream>.>
    durable: str = "deepscreen"
    dead_letter: str | None = None  # default <stream>-dead, stored in stream <stream>-dead
    output: str | None = None
    concurrency: int = 8
    max_deliver: int = 5
    ack_wait_s: float = 60.0
    retry_delay_s: float = 2.0
    max_messages: int | None = None
    idle_exit_s: float | None = None
    progress_every_s: float = 5.0

    @property
    def stream_subjects(self) -> tuple[str, ...]:
        return self.subjects or (f"{self.stream}.>",)

    @property
    def dead_letter_subject(self) -> str:
        return self.dead_letter or f"{self.stream}-dead"


@dataclass
class Counts:
    stored: int = 0
    already_stored: int = 0
    dead_lettered: int = 0
    retried: int = 0
    outputs: int = 0

    @property
    def finished(self) -> int:
        """Messages settled for good: acknowledged after storing, or dead-lettered."""
        return self.stored + self.already_stored + self.dead_lettered

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "finished": self.finished}


OnStored = Callable[[UploadRecord, Result], None]
Progress = Callable[[Counts, float], None]  # counts and items/s since the previous call


class StreamWorker:
    """``await run()`` consumes until ``stop()``, ``max_messages`` or ``idle_exit_s``."""

    def __init__(
        self,
        services: Services,
        options: StreamOptions,
        *,
        on_stored: OnStored | None = None,
        progress: Progress | None = None,
    ) -> None:
        if options.concurrency < 1 or options.max_deliver < 1 or options.ack_wait_s <= 0:
            raise ConfigError("concurrency and max_deliver must be ≥ 1, ack_wait > 0")
        self.services = services
        self.options = options
        self.counts = Counts()
        self._on_stored = on_stored
        self._progress = progress
        self._stop = asyncio.Event()
        self._output_js = False  # True when a stream stores the output subject
        self._last_report = (time.monotonic(), 0)

    def stop(self) -> None:
        """Finish the batch in hand, then return from ``run``."""
        self._stop.set()

    async def run(self) -> Counts:
        opts = self.options
        nc = await connect(opts.url, name=f"deepscreen-worker-{opts.durable}")
        executor = ThreadPoolExecutor(1, thread_name_prefix="deepscreen-stream")
        try:
            js = nc.jetstream()
            await self._setup(js)
            sub = await js.pull_subscribe_bind(durable=opts.durable, stream=opts.stream)
            await self._consume(nc, js, sub, executor)
        except nats.errors.Error as exc:
            raise BrokerUnavailable(f"NATS {opts.url}: {exc!r}") from exc
        finally:
            executor.shutdown(wait=True)
            await _close(nc)
        self._report(force=True)
        return self.counts

    async def _setup(self, js: JetStreamContext) -> None:
        opts = self.options
        await ensure_stream(js, opts.stream, opts.stream_subjects)
        await ensure_dead_letter_stream(js, opts.stream, opts.dead_letter_subject)
        if opts.output is not None:
            self._output_js = await stream_for_subject(js, opts.output) is not None
        await ensure_consumer(js, opts.stream, opts.durable, ack_wait_s=opts.ack_wait_s)

    async def _consume(
        self,
        nc: Client,
        js: JetStreamContext,
        sub: JetStreamContext.PullSubscription,
        executor: ThreadPoolExecutor,
    ) -> None:
        opts = self.options
        idle_since = time.monotonic()
        while not self._stop.is_set():
            want = opts.concurrency
            if opts.max_messages is not None:
                want = min(want, opts.max_messages - self.counts.finished)
                if want <= 0:
                    return
            try:
                msgs = await sub.fetch(want, timeout=FETCH_TIMEOUT_S)
            except TimeoutError:
                msgs = []
            except nats.errors.Error as exc:  # disconnected: the client reconnects by itself
                log.warning("fetch failed (%r); retrying", exc)
                await self._pause(1.0)
                msgs = []
            if msgs:
                await self._handle(nc, js, msgs, executor)
                idle_since = time.monotonic()
            elif opts.idle_exit_s is not None and time.monotonic() - idle_since >= opts.idle_exit_s:
                return
            self._report()

    async def _handle(
        self, nc: Client, js: JetStreamContext, msgs: list[Msg], executor: ThreadPoolExecutor
    ) -> None:
        parsed: list[tuple[Msg, UploadRecord]] = []
        for msg in msgs:
            try:
                parsed.append((msg, read_message(msg.data, where=_where(msg))))
            except BadRecord as exc:
                await self._settle(self._dead_letter(js, msg, str(exc), exc.code), msg)
        if not parsed:
            return
        keepalive = asyncio.create_task(self._keep_alive([m for m, _ in parsed]))
        job = partial(
            handle_batch,
            self.services,
            [record for _, record in parsed],
            redelivered=[msg.metadata.num_delivered > 1 for msg, _ in parsed],
            want_decisions=self.options.output is not None,
        )
        try:
            results = await asyncio.get_running_loop().run_in_executor(executor, job)
        except BackendError as exc:  # the store is down: retry everything, pause fetching
            delay = self.options.retry_delay_s
            log.warning("event store unavailable (%s); retrying %d in %.1fs", exc, len(msgs), delay)
            for msg, _ in parsed:
                await self._settle(msg.nak(delay=delay), msg)
            self.counts.retried += len(parsed)
            await self._pause(delay)
            return
        finally:
            keepalive.cancel()
        for (msg, record), result in zip(parsed, results, strict=True):
            await self._settle(self._finish(nc, js, msg, record, result), msg)

    async def _finish(
        self, nc: Client, js: JetStreamContext, msg: Msg, record: UploadRecord, result: Result
    ) -> None:
        if result.done:
            decision = result.decision
            if self.options.output and decision and decision.action is not Action.ALLOW:
                headers = {"Nats-Msg-Id": decision.decision_id}
                body = output_message(decision)
                if self._output_js:
                    await js.publish(self.options.output, body, headers=headers)
                else:
                    await nc.publish(self.options.output, body, headers=headers)
                self.counts.outputs += 1
            await msg.ack()
            if result.status is Status.STORED:
                self.counts.stored += 1
            else:
                self.counts.already_stored += 1
            if self._on_stored is not None:
                self._on_stored(record, result)
            return
        code = result.error_code or INTERNAL_ERROR
        deliveries = msg.metadata.num_delivered
        error = result.error or code
        if disposition(code, deliveries=deliveries, max_deliver=self.options.max_deliver) is (
            Disposition.DEAD_LETTER
        ):
            await self._dead_letter(js, msg, error, code)
        else:
            log.info("retrying %s (delivery %d): %s", _where(msg), deliveries, error)
            await msg.nak(delay=self.options.retry_delay_s)
            self.counts.retried += 1

    async def _dead_letter(self, js: JetStreamContext, msg: Msg, error: str, code: str) -> None:
        headers = dead_letter_headers(msg, error, code)
        await js.publish(self.options.dead_letter_subject, msg.data, headers=headers)
        await msg.term()
        self.counts.dead_lettered += 1
        log.warning("dead-lettered %s: %s", _where(msg), error)

    async def _settle(self, step: Awaitable[None], msg: Msg) -> None:
        """Run one ack/nak/publish step; a broker error leaves the message unacknowledged, so
        it comes back after ``ack_wait`` and is absorbed by the store's idempotency."""
        try:
            await step
        except nats.errors.Error as exc:
            log.warning("could not settle %s (%r); it will be redelivered", _where(msg), exc)

    async def _keep_alive(self, msgs: list[Msg]) -> None:
        """Tell the broker the batch is still being worked on, so a slow batch is not
        redelivered to another worker meanwhile."""
        while True:
            await asyncio.sleep(max(0.2, self.options.ack_wait_s / 3))
            for msg in msgs:
                try:
                    await msg.in_progress()
                except nats.errors.Error:
                    pass

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            pass

    def _report(self, *, force: bool = False) -> None:
        if self._progress is None:
            return
        now, finished = time.monotonic(), self.counts.finished
        then, before = self._last_report
        if force or now - then >= self.options.progress_every_s:
            self._progress(self.counts, (finished - before) / max(now - then, 1e-9))
            self._last_report = (now, finished)


def _where(msg: Msg) -> str:
    try:
        return f"{msg.subject} #{msg.metadata.sequence.stream}"
    except (nats.errors.Error, ValueError, IndexError):
        return msg.subject


async def _close(nc: Client) -> None:
    """Send what is buffered (the last acks), then close."""
    try:
        await nc.flush(timeout=5)
    except (nats.errors.Error, TimeoutError):
        pass
    await nc.close()


def run_worker(
    services: Services,
    options: StreamOptions,
    *,
    on_stored: OnStored | None = None,
    progress: Progress | None = None,
) -> Counts:
    """Run a worker until it stops; SIGTERM and SIGINT stop it after the batch in hand."""

    async def main() -> Counts:
        worker = StreamWorker(services, options, on_stored=on_stored, progress=progress)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        try:
            return await worker.run()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    return asyncio.run(main())
