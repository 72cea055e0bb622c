"""Use cases for learned detectors: train a head, evaluate one, train the stacked ensemble."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from deepscreen.core.errors import ConfigError, InvalidInput
from deepscreen.learn.augment import Augmentation
from deepscreen.learn.confounds import ConfoundFinding, confound_report, warnings_text
from deepscreen.learn.dataset import LabelledSet, dataset_digest
from deepscreen.learn.features import (
    FaceRows,
    FeatureTable,
    Progress,
    extract,
    highest_per_image,
)
from deepscreen.learn.holdout import HeldOutFamily, leave_one_family_out
from deepscreen.learn.metrics import EvalReport, Thresholds, evaluate
from deepscreen.learn.stack import fit_stack
from deepscreen.learn.train import (
    CvPlan,
    TrainConfig,
    fit_and_score,
    fit_head,
    head_thresholds,
    out_of_fold,
    plan_cv,
    thresholds_for,
)
from deepscreen.media import MediaLimits, read_media_file
from deepscreen.service.scan import Services, run_detectors
from deepscreen.signals.ensemble import NAME as ENSEMBLE
from deepscreen.signals.ensemble import StackModel
from deepscreen.signals.learned.head import Head
from deepscreen.signals.learned.normalise import Normalisation
from deepscreen.signals.learned.views import Views
from deepscreen.signals.models.backbones import Backbone, SpectralBackbone
from deepscreen.signals.models.blazeface import Face
from deepscreen.signals.models.onnx_backbone import OnnxBackbone, OnnxModelSpec

__all__ = [
    "EvaluationRun",
    "StackRun",
    "TrainingRun",
    "evaluate_head",
    "make_backbone",
    "train_head",
    "train_stack",
]


def make_backbone(kind: str, *, model_config: Path | None = None, threads: int = 1) -> Backbone:
    """``spectral``, or ``onnx`` with the model config (TOML) of an embedding model."""
    if kind == "spectral":
        return SpectralBackbone()
    if kind == "onnx":
        if model_config is None:
            raise ConfigError(
                "the onnx backbone needs a model config: --model PATH.toml, e.g. the one "
                "`deepscreen models fetch clip-vit-b16` writes"
            )
        return OnnxBackbone(OnnxModelSpec.from_toml(model_config), intra_op_threads=threads)
    raise ConfigError(f"unknown backbone {kind!r}: use 'spectral' or 'onnx'")


@dataclass(frozen=True)
class TrainingRun:
    """A trained head (None for cross-validation only) and the honest estimate of its quality."""

    head: Head | None
    table: FeatureTable
    cv: CvPlan
    oof_scores: np.ndarray
    thresholds: Thresholds
    evaluation: EvalReport
    confounds: list[ConfoundFinding]
    warnings: list[str] = field(default_factory=list)
    held_out: list[HeldOutFamily] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "head": None if self.head is None else self.head.digest,
            "leave_one_family_out": [row.to_dict() for row in self.held_out],
            "items": len(self.table.images.items),
            "counts": self.table.images.counts(),
            **({"faces": len(self.table.labels)} if self.table.face_rows else {}),
            "failures": [{"path": p, "reason": r} for p, r in self.table.failures],
            "cross_validation": self.cv.description,
            "thresholds": self.thresholds.to_dict(),
            "evaluation": self.evaluation.to_dict(),
            "confounds": [c.to_dict() for c in self.confounds],
            "warnings": self.warnings,
        }


def train_head(
    dataset: LabelledSet,
    backbone: Backbone,
    *,
    normalisation: Normalisation,
    config: TrainConfig,
    limits: MediaLimits | None = None,
    progress: Progress | None = None,
    model_config: Path | None = None,
    model_name: str | None = None,
    n_boot: int = 2000,
    fit: bool = True,
    now: datetime | None = None,
    views: Views | None = None,
    augmentation: Augmentation | None = None,
    hold_out_families: bool = False,
    head_id: str | None = None,
    fit_progress: Progress | None = None,
    faces: FaceRows | None = None,
) -> TrainingRun:
    """Features → out-of-fold scores (grouped by source when given) → thresholds → metrics,
    then (``fit``) the head fitted on everything with those thresholds.

    ``hold_out_families`` adds the leave-one-generator-out table (``learn.holdout``) at the
    chosen "likely AI" threshold. The head records what reproduces it — the dataset's digest,
    never its path; ``model_name`` (a catalogue model) instead of a model file path; the time
    only when ``now`` is given — so the same data and options give the same head digest.

    With ``faces`` (face-crop mode) the head is fitted on faces, every face of an image in
    the same fold, while thresholds and metrics are per image on its highest face score —
    what the ``faces`` detector reports for an item.
    """
    views = views or Views()
    if faces is not None and (augmentation is not None or hold_out_families):
        raise ConfigError("face-crop training takes no --augment and no --hold-out-families")
    table = extract(
        dataset,
        backbone,
        normalisation,
        limits=limits,
        progress=progress,
        views=views,
        augmentation=augmentation,
        faces=faces,
    )
    labels, sources = table.labels, table.sources
    _enough(labels, table)
    images = table.content_ids if faces is not None else None
    plan = plan_cv(labels, sources, config.folds, config.seed, images=images)
    oof = out_of_fold(
        table.features,
        labels,
        plan,
        config,
        backbone.kind,
        groups=sources,
        augmented=table.augmented,
    )
    item_labels, item_scores, item_sources = labels, oof, sources
    if faces is not None:
        rows, item_scores = highest_per_image(table.content_ids, oof)
        item_labels, item_sources = labels[rows], [sources[i] for i in rows]
    chosen = thresholds_for(item_labels, item_scores, config)
    report = evaluate(
        item_labels,
        item_scores,
        sources=item_sources,
        threshold=chosen.likely_ai,
        n_boot=n_boot,
        seed=config.seed,
    )
    held_out: list[HeldOutFamily] = []
    if hold_out_families:

        def score(train: np.ndarray, test: np.ndarray) -> np.ndarray:
            return fit_and_score(
                table.features,
                labels,
                train,
                test,
                config,
                backbone.kind,
                groups=sources,
                augmented=table.augmented,
            )

        held_out = leave_one_family_out(
            labels,
            sources,
            score,
            threshold=chosen.likely_ai,
            folds=config.folds,
            n_boot=n_boot,
            seed=config.seed,
            progress=fit_progress,
        )
    findings = confound_report(table.facts, labels)
    warnings = [*plan.warnings, *warnings_text(findings)]
    if table.failures:
        warnings.append(f"{len(table.failures)} file(s) could not be used (listed in failures)")
    head = None
    if fit:
        fitted = fit_head(
            table.features,
            labels,
            config,
            backbone.kind,
            groups=sources,
            augmented=table.augmented,
        )
        training: dict[str, Any] = {
            "dataset_sha256": dataset_digest(table.dataset, table.content_ids),
            "counts": table.images.counts(),
            "sources": sorted({s for s in sources if s}),
            "cross_validation": plan.description,
            "calibration": config.calibration,
            "C": fitted.C,
            "weights": config.weights,
            "augmentation": None if augmentation is None else augmentation.to_dict(),
            "oof_metrics": {k: v.to_dict() for k, v in report.metrics.items()},
            "confound_warnings": warnings_text(findings),
        }
        if faces is not None:
            training["faces"] = len(labels)
        if head_id:
            training["id"] = head_id
        if held_out:
            training["leave_one_family_out"] = [row.to_dict() for row in held_out]
        if model_name:
            training["model"] = model_name
        elif model_config:
            training["model_config"] = str(model_config.resolve())
        if now is not None:
            training["trained_at"] = now.isoformat(timespec="seconds")
        head = Head(
            backbone_kind=backbone.kind,
            backbone_config=backbone.config(),
            backbone_fingerprint=backbone.fingerprint,
            normalisation=normalisation,
            mean=fitted.mean,
            scale=fitted.scale,
            coef=fitted.coef,
            intercept=fitted.intercept,
            calibration=fitted.calibration,
            thresholds=head_thresholds(chosen),
            training=training,
            views=views,
            faces=None if faces is None else faces.crop,
        )
    return TrainingRun(head, table, plan, oof, chosen, report, findings, warnings, held_out)


@dataclass(frozen=True)
class EvaluationRun:
    table: FeatureTable
    scores: np.ndarray
    evaluation: EvalReport

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": len(self.table.images.items),
            "counts": self.table.images.counts(),
            **({"faces": len(self.table.labels)} if self.table.face_rows else {}),
            "failures": [{"path": p, "reason": r} for p, r in self.table.failures],
            "evaluation": self.evaluation.to_dict(),
        }


def evaluate_head(
    dataset: LabelledSet,
    head: Head,
    backbone: Backbone,
    *,
    limits: MediaLimits | None = None,
    progress: Progress | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    find_faces: Callable[[Image.Image], list[Face]] | None = None,
) -> EvaluationRun:
    """Score a held-out labelled set with a trained head, at the head's own threshold.

    A face head (``head.faces``) needs ``find_faces``: each image is scored by its highest
    face score, as the ``faces`` detector scores items; ``scores`` are then per image."""
    faces = None
    if head.faces is not None:
        if find_faces is None:
            raise ConfigError("a face head needs the face finder to evaluate")
        faces = FaceRows(find_faces, head.faces)
    table = extract(
        dataset,
        backbone,
        head.normalisation,
        limits=limits,
        progress=progress,
        views=head.views,
        faces=faces,
    )
    _enough(table.labels, table)
    scores = head.predict_proba(table.features)
    labels, sources = table.labels, table.sources
    if faces is not None:
        rows, scores = highest_per_image(table.content_ids, scores)
        labels, sources = labels[rows], [sources[i] for i in rows]
    report = evaluate(
        labels,
        scores,
        sources=sources,
        threshold=head.thresholds.likely_ai,
        n_boot=n_boot,
        seed=seed,
    )
    return EvaluationRun(table, scores, report)


@dataclass(frozen=True)
class StackRun:
    stack: StackModel
    cv: CvPlan
    evaluation: EvalReport
    failures: list[tuple[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack.to_dict(),
            "cross_validation": self.cv.description,
            "evaluation": self.evaluation.to_dict(),
            "failures": [{"path": p, "reason": r} for p, r in self.failures],
        }


def train_stack(
    services: Services,
    dataset: LabelledSet,
    *,
    config: TrainConfig,
    provenance: Sequence[str],
    progress: Progress | None = None,
    n_boot: int = 2000,
) -> StackRun:
    """Run the configured statistical detectors on every labelled item; fit the stack on
    their scores."""
    names = [d.name for d in services.detectors if d.name not in provenance and d.name != ENSEMBLE]
    if not names:
        raise ConfigError(
            "the stack combines statistical detectors (e.g. learned, vendor): enable at least "
            f"one in `detectors` (now: {', '.join(d.name for d in services.detectors)})"
        )
    rows: list[dict[str, float | None]] = []
    kept: list[int] = []
    failures: list[tuple[str, str]] = []
    for index, entry in enumerate(dataset.items):
        try:
            item = read_media_file(entry.path, limits=services.limits)
        except InvalidInput as exc:
            failures.append((str(entry.path), str(exc)))
        else:
            results = run_detectors(services.detectors, item)
            rows.append({r.detector: r.score for r in results if r.detector in names})
            kept.append(index)
        if progress is not None:
            progress(1)
    used = dataset.subset(kept)
    labels = used.labels
    plan = plan_cv(labels, used.sources, config.folds, config.seed)
    stack, oof = fit_stack(rows, labels, names, plan)
    report = evaluate(labels, oof, sources=used.sources, n_boot=n_boot, seed=config.seed)
    return StackRun(stack, plan, report, failures)


def _enough(labels: np.ndarray, table: FeatureTable) -> None:
    if len(labels) == 0 or min(np.sum(labels == 1), np.sum(labels == 0)) < 2:
        raise InvalidInput(
            f"after {len(table.failures)} unreadable file(s), fewer than 2 usable images "
            "remain in a class"
        )
