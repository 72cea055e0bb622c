"""``deepscreen worker``: decide upload messages from NATS JetStream; ``deepscreen publish``:
send test uploads to it. The NATS client (``deepscreen[stream]``) is imported when they run."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deepscreen.cli.errors import CliError, ExitCode, domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, PolicyOpt, services_from
from deepscreen.scale.tuning import tune_worker_process

if TYPE_CHECKING:
    from deepscreen.scale.stream import Counts

NatsOpt = Annotated[str, typer.Option("--nats", help="NATS server URL.")]
DEFAULT_NATS = "nats://127.0.0.1:4222"


def worker(
    nats_url: NatsOpt = DEFAULT_NATS,
    stream: Annotated[
        str, typer.Option(help="JetStream stream of upload messages (created if missing).")
    ] = "uploads",
    subject: Annotated[
        list[str] | None,
        typer.Option(
            "--subject", help="Subjects of the stream when it is created (default STREAM.>)."
        ),
    ] = None,
    durable: Annotated[
        str, typer.Option(help="Durable consumer name, shared by every worker of the stream.")
    ] = "deepscreen",
    concurrency: Annotated[
        int,
        typer.Option(
            min=1,
            max=4096,
            help="Messages in hand at once (one fetch, decided in one thread, stored in one "
            "transaction): the backpressure bound.",
        ),
    ] = 8,
    max_deliver: Annotated[
        int,
        typer.Option(min=1, help="Deliveries of a failing message before it is dead-lettered."),
    ] = 5,
    ack_wait: Annotated[
        float,
        typer.Option(
            min=0.5,
            help="Seconds before an unacknowledged message is redelivered (set when the "
            "consumer is created; in-progress heartbeats extend it for a slow batch).",
        ),
    ] = 60.0,
    retry_delay: Annotated[
        float, typer.Option(min=0.0, help="Seconds before a failed message is redelivered.")
    ] = 2.0,
    dead_letter: Annotated[
        str | None,
        typer.Option(help="Dead-letter subject (default STREAM-dead, kept in stream STREAM-dead)."),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            help="Publish decisions that need action (not allow) here, at least once, "
            "with Nats-Msg-Id = decision id."
        ),
    ] = None,
    max_messages: Annotated[
        int | None, typer.Option(min=1, help="Exit after settling this many messages.")
    ] = None,
    idle_exit: Annotated[
        float | None, typer.Option(min=0.0, help="Exit after this many seconds without messages.")
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """Consume upload messages from a NATS JetStream stream: decide, store, then acknowledge.

    A message is acknowledged only after its decision is stored; a redelivered message is
    absorbed by the store's idempotency. Bad messages and undecodable media go to the
    dead-letter subject with their error, as does a message that failed --max-deliver times; an
    event store outage is retried, never dead-lettered. SIGTERM/SIGINT finish the batch in hand,
    then exit. Run one worker process per core; they share the durable consumer. Progress goes
    to stderr, the final counts to stdout (JSON).
    """
    with domain_errors():
        from deepscreen.scale.stream import StreamOptions, run_worker

        options = StreamOptions(
            url=nats_url,
            stream=stream,
            subjects=tuple(subject or ()),
            durable=durable,
            dead_letter=dead_letter,
            output=output,
            concurrency=concurrency,
            max_deliver=max_deliver,
            ack_wait_s=ack_wait,
            retry_delay_s=retry_delay,
            max_messages=max_messages,
            idle_exit_s=idle_exit,
        )
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        tune_worker_process()  # one worker process is one core
        services = services_from(config, db, policy)
        try:
            counts = run_worker(services, options, progress=_progress(stream))
        finally:
            services.store.close()
            if services.review_queue is not None:
                services.review_queue.close()
        typer.echo(json.dumps(counts.as_dict()))


def _progress(stream: str) -> Callable[[Counts, float], None]:
    def report(counts: Counts, rate: float) -> None:
        print(
            f"{stream}: {counts.stored} stored, {counts.already_stored} already stored, "
            f"{counts.dead_lettered} dead-lettered, {counts.retried} retried "
            f"({rate:.1f} items/s)",
            file=sys.stderr,
            flush=True,
        )

    return report


def publish(
    nats_url: NatsOpt = DEFAULT_NATS,
    subject: Annotated[str, typer.Option(help="Subject to publish on.")] = "uploads.new",
    count: Annotated[
        int | None,
        typer.Option(min=1, help="Messages (default 100 generated, or every file of --dir)."),
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", file_okay=False, help="Publish the URIs of these files instead of images."
        ),
    ] = None,
    rate: Annotated[
        float | None, typer.Option(min=0.001, help="Messages per second at most.")
    ] = None,
    stream: Annotated[
        str | None,
        typer.Option(
            help="Stream to create when none stores the subject (default: its first token)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated images.")] = 0,
    ai_share: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Share of generated images carrying AI generator metadata."
        ),
    ] = 0.25,
    id_prefix: Annotated[
        str | None, typer.Option(help="Item id prefix (default: pub-RANDOM-).")
    ] = None,
    attr: Annotated[
        list[str],
        typer.Option("--attr", help="Attribute NAME=VALUE of every upload (repeatable)."),
    ] = [],  # noqa: B006 - typer idiom
    print_ids: Annotated[
        bool, typer.Option("--print-ids", help="List the acknowledged item ids in the output.")
    ] = False,
) -> None:
    """Publish test upload messages to NATS JetStream (demos, benchmarks, fault tests).

    Generated uploads are small distinct PNGs inline (base64), some with Automatic1111
    metadata; --dir publishes file URIs instead. Each message's Nats-Msg-Id is its item id.
    Prints how many JetStream acknowledged (JSON); exit code 1 if some were not.
    """
    with domain_errors():
        from deepscreen.scale.publish import Uploads, publish_uploads

        attributes: dict[str, str] = {}
        for pair in attr:
            name, sep, value = pair.partition("=")
            if not sep or not name:
                raise CliError(f"--attr expects NAME=VALUE, got {pair!r}", ExitCode.USAGE)
            attributes[name] = value
        uploads = Uploads(
            count=count,
            directory=directory,
            prefix=id_prefix or "",
            seed=seed,
            ai_share=ai_share,
            attributes=attributes,
        )
        report = asyncio.run(publish_uploads(nats_url, subject, uploads, stream=stream, rate=rate))
        typer.echo(json.dumps(report.as_dict(with_ids=print_ids)))
        if report.failed:
            raise typer.Exit(int(ExitCode.FAILURES))
