"""The ``faces`` detector: face evidence for every image and sampled video frame, scored by a face
head when one is configured (an item's score: its highest face; docs/internals/signals.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Protocol, Unpack

from PIL import Image

from deepscreen.core.errors import ConfigError
from deepscreen.core.media import MediaItem
from deepscreen.core.signals import SignalResult
from deepscreen.signals.examples import encoded_image_item, texture, video_item
from deepscreen.signals.learned.detector import ModelMissing, build_backbone, top_k_mean
from deepscreen.signals.learned.face_crop import FACE_FINDER, FaceCrop, cut
from deepscreen.signals.learned.head import Head, HeadInvalid, load_head
from deepscreen.signals.learned.head_detector import HeadDetector, ModelOptions
from deepscreen.signals.learned.normalise import CannotNormalise
from deepscreen.signals.models.blazeface import FULL_RANGE, BlazeFace, Face
from deepscreen.signals.models.catalogue import CATALOGUE, default_models_dir
from deepscreen.signals.models.onnx_backbone import file_sha256
from deepscreen.signals.video_frames import SampledFrame

CODE_VERSION = "1"


class FaceFinder(Protocol):
    def find(
        self, image: Image.Image, *, min_confidence: float = 0.5, max_faces: int = 8
    ) -> list[Face]: ...


def face_model_path(models_dir: Path) -> Path:
    """The face finder's model file in ``models_dir``, checked against its pinned SHA-256.

    ``ModelMissing`` (naming the command that installs it) when absent; ``ConfigError`` when
    the file is not the pinned one."""
    entry = CATALOGUE[FACE_FINDER]
    path = models_dir / entry.name / entry.filename
    if not path.is_file():
        raise ModelMissing.for_model(entry.name, models_dir)
    if file_sha256(path) != entry.sha256:
        raise ConfigError(
            f"{path} is not the pinned {entry.name} model (SHA-256 differs): run "
            f"`deepscreen models fetch {entry.name} --force`"
        )
    return path


def load_face_finder(models_dir: Path, *, threads: int = 1) -> BlazeFace:
    path = face_model_path(models_dir)
    try:
        return BlazeFace(path, FULL_RANGE, threads=threads)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


class FacesDetector(HeadDetector):
    """Face evidence for every image and sampled video frame; scores when a face head is set.

    ``version`` is ``"1"`` without a head and ``"1+<first 12 hex of the head digest>"`` with one.
    ``options``: the model and video sampling keywords every ``HeadDetector`` takes.
    """

    name: ClassVar[str] = "faces"
    version: str = CODE_VERSION

    def __init__(
        self,
        head: Path | Head | None = None,
        *,
        finder: FaceFinder | None = None,
        min_confidence: float = 0.5,
        max_faces: int = 8,
        **options: Unpack[ModelOptions],
    ) -> None:
        super().__init__(head, **options)
        self._given_finder, self.max_faces = finder, max_faces
        self.crop = FaceCrop(min_confidence=min_confidence)
        self.finder: FaceFinder | None = None

    def load(self) -> None:
        """Load the face finder and, when configured, the face head and its backbone.

        A model that is not installed is not an error: every item then abstains with the reason
        (``missing``), which names the command that installs it. A head that is not a face head
        is a ``HeadInvalid``."""
        models_dir = self._models_dir or default_models_dir()
        if self._head_source is not None:
            source = self._head_source
            head = source if isinstance(source, Head) else load_head(Path(source))
            if head.faces is None:
                raise HeadInvalid(
                    "the [faces] head scores whole images, not face crops: train a face head "
                    "with `deepscreen train --crop faces`, or configure this one as [learned] head"
                )
            self.head, self.crop = head, head.faces
            self.version = f"{CODE_VERSION}+{head.digest[:12]}"
        try:
            self.finder = self._given_finder or load_face_finder(models_dir, threads=self._threads)
            if self.head is not None:
                self.backbone = self._given_backbone or build_backbone(
                    self.head,
                    model_config=self._model_config,
                    threads=self._threads,
                    models_dir=models_dir,
                )
        except ModelMissing as exc:
            self.missing = str(exc)

    def _loaded(self) -> bool:
        return self.finder is not None

    def _detect_image(self, pixels: Image.Image) -> SignalResult:
        faces = self._score(pixels)
        evidence: dict[str, Any] = {"faces": [entry for entry, _ in faces], "count": len(faces)}
        scores = [s for _, s in faces if s is not None]
        return self._verdict(evidence, scores, len(faces))

    def _detect_frames(self, frames: list[SampledFrame]) -> SignalResult:
        found: list[dict[str, Any]] = []
        per_frame: list[tuple[float, float]] = []
        for frame in frames:
            faces = self._score(frame.image)
            t = round(frame.time_s, 3)
            found += [{"t": t, **entry} for entry, _ in faces]
            scores = [s for _, s in faces if s is not None]
            if scores:
                per_frame.append((frame.time_s, max(scores)))
        evidence: dict[str, Any] = {
            "faces": found,
            "count": len(found),
            "frames_sampled": len(frames),
            "frames_with_faces": len({f["t"] for f in found}),
        }
        if not per_frame:
            return self._verdict(evidence, [], len(found))
        score, driving = top_k_mean(per_frame, self.video_top_k)
        evidence["aggregate"] = (
            f"mean of the top {len(driving)} of {len(per_frame)} frame scores (a frame's score: "
            "its highest face score)"
        )
        evidence["driving_frames_t"] = [round(t, 3) for t in driving]
        return self._scored(score, evidence)

    def _score(self, image: Image.Image) -> list[tuple[dict[str, Any], float | None]]:
        """Each face's evidence entry and, with a face head, its score (None: not scorable)."""
        assert self.finder is not None
        faces = self.finder.find(
            image, min_confidence=self.crop.min_confidence, max_faces=self.max_faces
        )
        out: list[tuple[dict[str, Any], float | None]] = []
        for face in faces:
            entry, score = face.to_dict(), None
            if self.head is not None:
                assert self.backbone is not None
                try:
                    normalised = self.head.normalisation.apply(cut(image, face, self.crop.margin))
                except CannotNormalise as exc:
                    entry["not_scored"] = str(exc)
                else:
                    features = self.head.views.embed(self.backbone, [normalised])
                    score = float(self.head.predict_proba(features)[0])
                    entry["score"] = round(score, 6)
            out.append((entry, score))
        return out

    def _verdict(self, evidence: dict[str, Any], scores: list[float], found: int) -> SignalResult:
        if self.head is None:
            reason = (
                f"no face head configured ({found} face(s) found): deepscreen ships none; "
                "train one with `deepscreen train --crop faces` and set [faces] head"
            )
            return self._abstain(reason, evidence)
        if not found:
            return self._abstain("no face found", evidence)
        if not scores:
            return self._abstain(f"none of the {found} face(s) could be scored", evidence)
        evidence["aggregate"] = f"highest of {len(scores)} face score(s)"
        return self._scored(max(scores), evidence)

    def _scored(self, score: float, evidence: dict[str, Any]) -> SignalResult:
        assert self.head is not None
        verdict = self.head.thresholds.verdict(score)
        head_id = self.head.training.get("id", self.head.digest[:12])
        evidence.update(
            verdict=verdict,
            likely_ai_threshold=self.head.thresholds.likely_ai,
            head=self.head.digest[:12],
            head_id=head_id,
            note="statistical estimate from face pixels, not proof",
            statistical_estimate=True,
            summary=f"face head {head_id}: {score:.2f} ({verdict.replace('_', ' ')}; "
            f"{evidence['aggregate']})",
        )
        return SignalResult.scored(self.name, self.version, score, evidence)

    def get_examples(self) -> list[MediaItem]:
        """A textured 96×96 PNG, a 40×40 crop of it (its face too small for most heads) and a
        three-second MP4 of the texture."""
        pixels = texture()
        return [
            encoded_image_item(pixels, "PNG"),
            encoded_image_item(pixels[:40, :40], "PNG"),
            video_item(Image.fromarray(pixels, "RGB")),
        ]
