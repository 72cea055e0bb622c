"""``deepscreen review``: record a review outcome (and bank confirmed deepfakes); the queue's
commands (queue, claim, decide, release, accuracy) are in ``cli.review_tasks``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from deepscreen.cli import review_tasks
from deepscreen.cli.errors import CliError, ExitCode, domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, command_group, services_from
from deepscreen.core.events import ReviewCompleted, Verdict
from deepscreen.service.review import record_review

app = command_group("Work the review queue and record human review outcomes.")
app.command("queue")(review_tasks.queue_cmd)
app.command("claim")(review_tasks.claim_cmd)
app.command("decide")(review_tasks.decide_cmd)
app.command("release")(review_tasks.release_cmd)
app.command("accuracy")(review_tasks.accuracy_cmd)


@app.command("record")
def record_cmd(
    item_id: Annotated[str, typer.Argument(help="The item's id, e.g. sha256:… from `scan`.")],
    verdict: Annotated[Verdict, typer.Option("--verdict", help="The reviewer's verdict.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who reviewed it.")],
    label: Annotated[
        str, typer.Option("--label", help="Finer class, e.g. deepfake, ai_generated, real.")
    ] = "",
    reason: Annotated[str, typer.Option("--reason", help="Reason code.")] = "",
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Append a `ReviewCompleted` event for a scanned item.

    A review that confirms one of the `[banking] labels` (default: deepfake) as violating adds
    the item's PDQ hash — every sampled frame's, for a video — to the `[banking] bank` block
    bank (default: confirmed_deepfakes), so its re-uploads are matched and removed.
    """
    with domain_errors():
        services = services_from(config, db, None)
        try:
            decision = services.store.latest_decision(item_id)
            if decision is None:
                raise CliError(f"no scanned item {item_id!r} in this store", ExitCode.FAILURES)
            review = ReviewCompleted(
                item_id=item_id,
                occurred_at=services.clock(),
                verdict=verdict,
                reviewer=reviewer,
                label=label,
                reason_code=reason,
                decision_id=decision.decision_id,
            )
            outcome = record_review(services, review)
        finally:
            services.store.close()
    typer.echo(
        json.dumps(
            {
                "item_id": item_id,
                "verdict": verdict.value,
                "label": label,
                "decision_id": decision.decision_id,
                "banked": [{"bank": e.bank, "hash": e.hash_hex} for e in outcome.banked],
                "not_banked_because": outcome.not_banked_because,
            }
        )
    )
