"""``deepscreen train`` and ``deepscreen eval``: learned detectors on your own labels."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from deepscreen.bootstrap import build, size_limits
from deepscreen.bootstrap.learn import face_rows, finder_for, head_backbone, resolve_model
from deepscreen.cli.errors import domain_errors
from deepscreen.cli.learn_print import (
    print_evaluation,
    print_failures,
    print_held_out,
    print_summary,
    print_warnings,
)
from deepscreen.cli.options import ConfigOpt, json_file_option, settings_from, write_json_file
from deepscreen.cli.progress import progress_bar
from deepscreen.core.files import write_json_atomic
from deepscreen.service.learn import evaluate_head, make_backbone, train_head, train_stack
from deepscreen.service.training import (
    Augmentation,
    Normalisation,
    TrainConfig,
    Views,
    fits_needed,
    load_head,
    load_labelled,
    read_groups,
    regroup,
    save_head,
)

DataArg = Annotated[
    Path,
    typer.Argument(
        help="Labelled images: a folder with ai/ and real/ sub-folders (a further sub-folder "
        "level names the source, e.g. ai/sdxl/, real/camera_a/), or a CSV path,label[,source].",
        exists=True,
    ),
]
JsonOpt = Annotated[
    Path | None,
    json_file_option("the full report (metrics with CIs, per-source, reliability, ROC/PR data)"),
]
BootOpt = Annotated[int, typer.Option("--n-boot", min=100, help="Bootstrap resamples for CIs.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed for folds and bootstrap.")]
ThreadsOpt = Annotated[int, typer.Option(min=1, help="onnxruntime threads.")]
PositiveOpt = Annotated[str, typer.Option(help="Folder/label name of AI images.")]
NegativeOpt = Annotated[str, typer.Option(help="Folder/label name of real images.")]
FoldsOpt = Annotated[int, typer.Option(min=2, help="Cross-validation folds (at most).")]


class BackboneKind(StrEnum):
    SPECTRAL = "spectral"
    ONNX = "onnx"


class CalibrationMethod(StrEnum):
    SIGMOID = "sigmoid"
    ISOTONIC = "isotonic"


class WeightingScheme(StrEnum):
    NONE = "none"
    CLASS = "class"
    SOURCE = "source"


class ViewsKind(StrEnum):
    GLOBAL = "global"
    CORNERS = "global+corners"


class CropKind(StrEnum):
    IMAGE = "image"
    FACES = "faces"


CropOpt = Annotated[
    CropKind,
    typer.Option(
        help="image: one row per image. faces: one row per face found (BlazeFace; needs "
        "`deepscreen models fetch blazeface-full-range`), cut square with --face-margin; "
        "metrics are per image on its highest face score. For a face-manipulation head, "
        "used by the faces detector ([faces] head).",
    ),
]
FaceMarginOpt = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=2.0,
        help="With --crop faces: context around the face box, per side, as a "
        "share of the box's longer side.",
    ),
]


def train(
    data: DataArg,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Where to write the head (JSON) or the stack (--stack)."),
    ] = Path("head.json"),
    backbone: Annotated[
        BackboneKind, typer.Option(help="Feature backbone: spectral (numpy) or onnx (--model).")
    ] = BackboneKind.SPECTRAL,
    model: Annotated[
        str | None,
        typer.Option(
            help="For --backbone onnx: a catalogue model name (e.g. clip-vit-b16, installed by "
            "`deepscreen models fetch`; the head then finds it in the model cache wherever it "
            "runs) or the path of an ONNX model config (TOML).",
        ),
    ] = None,
    views: Annotated[
        ViewsKind,
        typer.Option(
            help="What the backbone sees: the whole image, or also its four 224-px corners at "
            "full resolution (5x the model runs).",
        ),
    ] = ViewsKind.GLOBAL,
    augment: Annotated[
        int,
        typer.Option(
            min=0,
            max=8,
            help="Damaged copies of each training image (downscale 0.5-1x, crop >= 80%, JPEG "
            "q50-95; drawn per file, reproducibly). Held-out images are never augmented.",
        ),
    ] = 0,
    weights: Annotated[
        WeightingScheme,
        typer.Option(
            help="Sample weights: none, class (each class half), or source (each class half, "
            "shared equally by its sources).",
        ),
    ] = WeightingScheme.NONE,
    groups: Annotated[
        Path | None,
        typer.Option(
            help="CSV source,group: merge sources into families (e.g. sd15 and sd2x into one) "
            "for grouped folds, weights and the held-out-family table.",
            dir_okay=False,
            exists=True,
        ),
    ] = None,
    hold_out_families: Annotated[
        bool,
        typer.Option(
            "--hold-out-families",
            help="Also report leave-one-generator-out: each AI source (family) held out in "
            "turn, scored against real photos from held-out sources.",
        ),
    ] = False,
    head_id: Annotated[
        str | None, typer.Option("--id", help="A name for the head, kept in its JSON.")
    ] = None,
    crop: CropOpt = CropKind.IMAGE,
    face_margin: FaceMarginOpt = 0.25,
    calibration: Annotated[
        CalibrationMethod, typer.Option(help="Probability calibration, cross-validated.")
    ] = CalibrationMethod.SIGMOID,
    c: Annotated[
        float | None,
        typer.Option("--C", help="Inverse regularisation (default 0.1 spectral, 1.0 onnx)."),
    ] = None,
    folds: FoldsOpt = 5,
    target_fpr: Annotated[
        float, typer.Option(help="False-positive rate allowed at the 'likely AI' threshold.")
    ] = 0.01,
    target_fnr: Annotated[
        float, typer.Option(help="Share of AI allowed below the 'likely real' threshold.")
    ] = 0.05,
    side: Annotated[int, typer.Option(help="Normalised square side in pixels.")] = 512,
    jpeg_quality: Annotated[
        int | None,
        typer.Option(help="Re-encode every image once at this JPEG quality (0: never)."),
    ] = 90,
    stack: Annotated[
        bool,
        typer.Option(
            "--stack",
            help="Train the stacked ensemble instead: run the configured statistical detectors "
            "(settings `detectors`) on the labelled set and fit a logistic regression on them.",
        ),
    ] = False,
    threads: ThreadsOpt = 1,
    positive: PositiveOpt = "ai",
    negative: NegativeOpt = "real",
    json_out: JsonOpt = None,
    n_boot: BootOpt = 2000,
    seed: SeedOpt = 0,
    config: ConfigOpt = None,
) -> None:
    """Train a detector head on your own labelled images, and say honestly how good it is.

    Every image of both classes is normalised identically (RGB, short side → --side, centre
    crop, one JPEG re-encode), then embedded by the backbone. A logistic regression with
    cross-validated calibration is fitted; out-of-fold scores — grouped by source when sources
    are given — give the metrics (bootstrap 95% CIs) and the "likely AI" / "likely real"
    thresholds stored in the head. Warns when a trivial file property (width, size, format,
    JPEG quality) alone separates the classes. The head is JSON: no pickles.
    """
    console = Console()
    with domain_errors():
        settings = settings_from(config)
        limits = size_limits(settings)
        dataset = load_labelled(data, positive=positive, negative=negative)
        if groups is not None:
            dataset = regroup(dataset, read_groups(groups))
        train_config = TrainConfig(
            calibration=calibration.value,
            C=c,
            folds=folds,
            target_fpr=target_fpr,
            target_fnr=target_fnr,
            seed=seed,
            weights=weights.value,
        )
        if stack:
            services = build(settings)
            with progress_bar("scoring with detectors", len(dataset.items)) as advance:
                run = train_stack(
                    services,
                    dataset,
                    config=train_config,
                    provenance=settings.ensemble.provenance,
                    progress=advance,
                    n_boot=n_boot,
                )
            write_json_atomic(out, run.stack.to_dict(), indent=1, sort_keys=True)
            print_evaluation(console, run.evaluation, f"stack of {', '.join(run.stack.detectors)}")
            console.print(f"cross-validation: {run.cv.description}")
            print_failures(console, run.failures)
            if json_out:
                write_json_file(json_out, run.to_dict())
            console.print(f'wrote stack {out}  (set [ensemble] method = "stacked", stack = ...)')
            return
        normalisation = Normalisation(side=side, jpeg_quality=jpeg_quality or None)
        model_name, model_config = resolve_model(model, settings)
        features = make_backbone(backbone.value, model_config=model_config, threads=threads)
        augmentation = Augmentation(copies=augment, seed=seed) if augment else None
        fits = fits_needed(dataset.labels, dataset.sources, folds) if hold_out_families else 0
        label = f"{backbone.value} features" + (", then held-out fits" if fits else "")
        with progress_bar(label, len(dataset.items) + fits) as advance:
            result = train_head(
                dataset,
                features,
                normalisation=normalisation,
                config=train_config,
                limits=limits,
                progress=advance,
                model_config=model_config,
                model_name=model_name,
                n_boot=n_boot,
                views=Views(views.value),
                augmentation=augmentation,
                hold_out_families=hold_out_families,
                head_id=head_id,
                fit_progress=advance,
                faces=face_rows(crop is CropKind.FACES, face_margin, settings),
            )
        assert result.head is not None
        save_head(result.head, out)
        print_summary(console, dataset, result.table.failures, result.cv.description)
        print_evaluation(console, result.evaluation, f"{backbone.value} head, out-of-fold")
        t = result.thresholds
        console.print(
            f"thresholds (from out-of-fold scores): likely AI ≥ {t.likely_ai:.3f} "
            f"(FPR {t.fpr_at_likely_ai:.1%}, TPR {t.tpr_at_likely_ai:.1%}; target FPR "
            f"{t.target_fpr:.1%}); likely real < {t.likely_real:.3f} (AI below it "
            f"{t.fnr_at_likely_real:.1%}; target {t.target_fnr:.1%}); between: inconclusive"
        )
        if result.held_out:
            print_held_out(console, result.held_out)
        print_warnings(console, result.warnings)
        if json_out:
            write_json_file(json_out, result.to_dict())
        console.print(f"wrote head {out} (digest {result.head.digest})")


def evaluate(
    data: DataArg,
    head: Annotated[
        Path | None,
        typer.Option(
            help="Evaluate this trained head on the labelled set (a held-out set). Without "
            "it, cross-validate the backbone on the set instead.",
            dir_okay=False,
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="ONNX model config (TOML) when the head or --backbone is onnx."),
    ] = None,
    backbone: Annotated[
        BackboneKind, typer.Option(help="Backbone to cross-validate (without --head).")
    ] = BackboneKind.SPECTRAL,
    folds: FoldsOpt = 5,
    side: Annotated[int, typer.Option(help="Normalised side (cross-validation only).")] = 512,
    crop: Annotated[
        CropKind,
        typer.Option(
            help="Cross-validation only: image, or faces (one row per face found; metrics per "
            "image on its highest face score). A face head (--head) always scores faces.",
        ),
    ] = CropKind.IMAGE,
    face_margin: FaceMarginOpt = 0.25,
    threads: ThreadsOpt = 1,
    positive: PositiveOpt = "ai",
    negative: NegativeOpt = "real",
    json_out: JsonOpt = None,
    n_boot: BootOpt = 2000,
    seed: SeedOpt = 0,
    config: ConfigOpt = None,
) -> None:
    """Evaluate on a labelled set: AUC, average precision, TPR at 1% and 5% FPR, expected
    calibration error and per-source recall, each with a bootstrap 95% CI.

    With --head: score a held-out set with that head at its stored "likely AI" threshold.
    Without: grouped (by source) cross-validation of a new head on the set — what `train`
    reports, without writing a head. --json FILE writes reliability-diagram and ROC/PR data too.
    """
    console = Console()
    with domain_errors():
        settings = settings_from(config)
        limits = size_limits(settings)
        dataset = load_labelled(data, positive=positive, negative=negative)
        report: dict[str, Any]
        if head is not None:
            trained = load_head(head)
            features = head_backbone(
                trained, model_config=model, threads=threads, settings=settings
            )
            with progress_bar("scoring", len(dataset.items)) as advance:
                run = evaluate_head(
                    dataset,
                    trained,
                    features,
                    limits=limits,
                    progress=advance,
                    n_boot=n_boot,
                    seed=seed,
                    find_faces=finder_for(trained, settings),
                )
            print_summary(console, dataset, run.table.failures, "held-out set, trained head")
            print_evaluation(console, run.evaluation, f"head {trained.digest[:12]}")
            report = run.to_dict()
        else:
            features = make_backbone(backbone.value, model_config=model, threads=threads)
            with progress_bar(f"{backbone.value} features", len(dataset.items)) as advance:
                result = train_head(
                    dataset,
                    features,
                    normalisation=Normalisation(side=side),
                    config=TrainConfig(folds=folds, seed=seed),
                    limits=limits,
                    progress=advance,
                    n_boot=n_boot,
                    fit=False,
                    faces=face_rows(crop is CropKind.FACES, face_margin, settings),
                )
            print_summary(console, dataset, result.table.failures, result.cv.description)
            print_evaluation(console, result.evaluation, f"{backbone.value}, out-of-fold")
            print_warnings(console, result.warnings)
            report = result.to_dict()
        if json_out:
            write_json_file(json_out, report)
