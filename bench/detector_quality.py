"""Benchmark: how well a learned detector separates a labelled folder, estimated honestly.

Runs ``deepscreen train``'s procedure without writing a head: normalise every image the same
way, embed with the backbone, and score each image with a calibrated logistic-regression head
that never saw it — out-of-fold, with folds grouped by source (the sub-folder under ai/ or
real/) so that every image of a generator is held out together. Prints AUC, average precision,
TPR at 1%/5% FPR and ECE with bootstrap 95% CIs, per-source recall and false-positive rates
(Wilson CIs), the confound check, and the ratio of the grouped AUC to a stratified
(in-distribution) AUC measured in the same run. Writes bench/results/detector_quality.json.

    .venv/bin/python bench/detector_quality.py PATH [--backbone spectral|onnx --model TOML]
    .venv/bin/python bench/detector_quality.py PATH --generate 20   # synthetic set, seeded

``--generate N`` first writes deepscreen's synthetic labelled set (N images per source, three
"generators" and three "cameras"; demo/labelled_set.py — not real photographs) into PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from deepscreen.demo.labelled_set import write_labelled_set
from deepscreen.learn.dataset import load_labelled
from deepscreen.learn.metrics import format_estimate
from deepscreen.learn.train import TrainConfig
from deepscreen.service.learn import make_backbone, train_head
from deepscreen.signals.learned.normalise import Normalisation

RESULTS = Path(__file__).parent / "results" / "detector_quality.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="labelled folder (ai/, real/) or CSV")
    parser.add_argument("--backbone", choices=["spectral", "onnx"], default="spectral")
    parser.add_argument("--model", type=Path, help="ONNX model config (TOML) for --backbone onnx")
    parser.add_argument("--side", type=int, default=256, help="normalised side (default 256)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generate", type=int, metavar="N", help="write a synthetic set first")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    if args.generate:
        written = write_labelled_set(args.path, per_source=args.generate, seed=args.seed)
        print(f"wrote a synthetic labelled set (seed {args.seed}) to {args.path}: {written.counts}")
    dataset = load_labelled(args.path)
    backbone = make_backbone(args.backbone, model_config=args.model)
    normalisation = Normalisation(side=args.side)
    config = TrainConfig(folds=args.folds, seed=args.seed)
    start = time.perf_counter()
    grouped = train_head(
        dataset, backbone, normalisation=normalisation, config=config, n_boot=args.n_boot, fit=False
    )
    seconds = time.perf_counter() - start
    stratified = train_head(
        dataset.ungrouped(),
        backbone,
        normalisation=normalisation,
        config=config,
        n_boot=args.n_boot,
        fit=False,
    )
    report = grouped.evaluation
    auc_grouped = report.metrics["auc"].value or 0.0
    auc_stratified = stratified.evaluation.metrics["auc"].value or 0.0
    print(
        f"{report.n} images ({report.positives} ai, {report.negatives} real), {args.backbone} "
        f"backbone; {grouped.cv.description}"
    )
    print(f"{'metric':<28}estimate [95% CI]")
    for key, label in (
        ("auc", "ROC AUC"),
        ("average_precision", "average precision"),
        ("tpr_at_1pct_fpr", "TPR at 1% FPR"),
        ("tpr_at_5pct_fpr", "TPR at 5% FPR"),
        ("ece", "expected calibration error"),
    ):
        print(f"{label:<28}{format_estimate(report.metrics[key])}")
    at = f"per source at the likely-AI threshold {report.threshold:.3f}"
    print(f"{at} (95% CI: Wilson; rule of three at 0):")
    for row in report.per_source:
        rate = row["recall"] or row["fpr"]
        what = "recall" if row["recall"] else "false-positive rate"
        print(f"  {row['source'] or '(none)':<16}{row['n']:>5}  {what} {format_estimate(rate)}")
    for warning in grouped.warnings:
        print(f"warning: {warning}")
    ratio = auc_grouped / auc_stratified if auc_stratified else float("nan")
    print(
        f"AUC grouped by source {auc_grouped:.3f} vs stratified {auc_stratified:.3f} "
        f"(ratio {ratio:.3f}): the gap is what unseen generators cost"
    )
    result = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "dataset": str(args.path),
        "synthetic": bool(args.generate),
        "backbone": args.backbone,
        "normalisation": normalisation.to_dict(),
        "seconds_grouped_run": round(seconds, 2),
        "grouped": grouped.to_dict(),
        "stratified_auc": stratified.evaluation.metrics["auc"].to_dict(),
        "ratio_grouped_over_stratified_auc": round(ratio, 4),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1, allow_nan=False) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
