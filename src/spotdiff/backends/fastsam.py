"""FastSAM object proposals for the ImgDiff segmentation step (ultralytics, extra ``fastsam``).

Data-Juicer's ``image_segment_mapper`` runs ``ultralytics.FastSAM(model_path)`` on each image
with ``retina_masks=True, imgsz, conf, iou`` and keeps every mask's box. :class:`FastSamSegmenter`
runs both images of a pair in one batched call. ultralytics needs torchvision; on machines
where torchvision cannot run this backend is unavailable and ``backend="auto"`` falls back to
:mod:`.proposals`.

Weights (:func:`resolve_fastsam_weights`): an existing file path, else ``<dir>/<model_path>`` in
Data-Juicer's model folders (:func:`._spec.data_juicer_model_dirs`), else ultralytics downloads
its named asset (``FastSAM-x.pt`` / ``FastSAM-s.pt``) when downloads are allowed and GitHub is
reachable (:mod:`._network`). A network error during that download (ultralytics raises a bare
``ConnectionError``) becomes a :class:`~spotdiff._errors.WeightsNotFoundError` naming the paths
where the file was expected.

ultralytics is imported in one place, :func:`import_ultralytics`, which first sets (unless the
user already did) ``YOLO_OFFLINE=True`` (no DNS probe at import, no telemetry, no version check;
an asset download still runs when spotdiff decided downloads are allowed, it just is not
retried offline), ``YOLO_AUTOINSTALL=False`` (never ``pip install`` at run time) and
``YOLO_CONFIG_DIR`` (its settings file goes to :func:`ultralytics_config_dir`: under
``$SPOTDIFF_HOME`` when set, else a per-user folder of the temporary directory; never the home
folder). Importing ultralytics replaces ``PIL.Image.open`` for the process; spotdiff's decoder
keeps Pillow's own (:mod:`spotdiff.io._decode`), so its errors do not change.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .._errors import MissingDependencyError
from .._optional import require
from ._cache import cached
from ._hf import require_installed
from ._network import is_network_error
from ._registry import register_backend
from ._spec import FASTSAM, data_juicer_model_dirs, missing_weights, resolve_file

__all__ = [
    "FastSamSegmenter",
    "import_ultralytics",
    "load_fastsam",
    "resolve_fastsam_weights",
    "ultralytics_config_dir",
]

_IMPORT_LOCK = threading.Lock()


def ultralytics_config_dir() -> Path:
    """Where ultralytics keeps its settings when spotdiff imports it (it adds ``Ultralytics/``):
    ``$YOLO_CONFIG_DIR`` when set, else ``$SPOTDIFF_HOME/ultralytics`` when ``SPOTDIFF_HOME`` is
    set, else ``<temp dir>/spotdiff-ultralytics-<uid>`` (never the home folder)."""
    for var, sub in (("YOLO_CONFIG_DIR", ""), ("SPOTDIFF_HOME", "ultralytics")):
        env = os.environ.get(var)
        if env:
            return Path(env).expanduser() / sub
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    return Path(tempfile.gettempdir()) / f"spotdiff-ultralytics-{uid}"


def ultralytics_environment() -> dict[str, str]:
    """The variables :func:`import_ultralytics` sets when they are unset (module notes)."""
    return {
        "YOLO_OFFLINE": "True",
        "YOLO_AUTOINSTALL": "False",
        "YOLO_CONFIG_DIR": str(ultralytics_config_dir()),
    }


def import_ultralytics(*, purpose: str = "FastSAM segmentation") -> ModuleType:
    """Import ultralytics the one way spotdiff does: offline, no auto-install, settings outside
    the home folder (the variables of :func:`ultralytics_environment`, each only when unset).

    Raises:
        MissingDependencyError: ultralytics is not installed, or cannot be imported (e.g. its
            torchvision does not match torch); the message names the extra.
    """
    with _IMPORT_LOCK:
        for name, value in ultralytics_environment().items():
            os.environ.setdefault(name, value)
        try:
            return require("ultralytics", extra=FASTSAM.extra, purpose=purpose)
        except MissingDependencyError:
            raise
        except Exception as exc:  # torchvision installed but unusable with this torch build
            raise MissingDependencyError(
                f"ultralytics could not be imported ({type(exc).__name__}: {exc}); FastSAM "
                "needs ultralytics with a torchvision that matches torch: "
                "pip install 'spotdiff[fastsam]'"
            ) from exc


def _search_dirs(model_path: str) -> list[Path]:
    return [] if Path(model_path).expanduser().is_absolute() else data_juicer_model_dirs()


def resolve_fastsam_weights(model_path: str) -> str:
    """The local file for ``model_path``, or the bare asset name for ultralytics to download.

    Raises:
        WeightsNotFoundError: no local file, and downloads are disabled (an offline variable is
            set), GitHub is not reachable, or ``model_path`` is a path (not an asset name).
    """
    return str(resolve_file(FASTSAM, model_path, dirs=_search_dirs(model_path)))


class FastSamSegmenter:
    """Boxes of FastSAM's masks on each image of a pair; see :func:`load_fastsam`."""

    name = "fastsam"

    def __init__(
        self, model: Any, *, source: str, device: str, imgsz: int, conf: float, iou: float
    ) -> None:
        self.model = model
        self.source = source
        self.device = device
        self.imgsz = int(imgsz)
        self.conf = float(conf)
        self.iou = float(iou)

    def propose(
        self, img1: np.ndarray, img2: np.ndarray, *, tally: Counter | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """FastSAM boxes of both images, each in its own pixel coordinates.

        Args:
            img1, img2: (H, W, 3) uint8 RGB arrays (sizes may differ).
            tally: a Counter; ``tally["fastsam"]`` is increased by 1 (one batched call).

        Returns:
            ``(boxes1, boxes2)``: (M_i, 4) float32 ``x1, y1, x2, y2`` in the pixels of image i,
            in FastSAM's order (decreasing confidence).
        """
        bgr = [np.ascontiguousarray(im[..., ::-1]) for im in (img1, img2)]
        results = self.model(
            bgr,
            retina_masks=True,
            imgsz=self.imgsz,
            conf=self.conf,
            iou=self.iou,
            device=self.device,
            verbose=False,
        )
        if tally is not None:
            tally["fastsam"] += 1
        out = []
        for res in results:
            boxes = getattr(res, "boxes", None)
            if boxes is None or len(boxes) == 0:
                out.append(np.zeros((0, 4), dtype=np.float32))
            else:
                out.append(boxes.xyxy.cpu().numpy().astype(np.float32).reshape(-1, 4))
        return out[0], out[1]

    def __repr__(self) -> str:
        return f"FastSamSegmenter(source={self.source!r}, imgsz={self.imgsz})"


@register_backend("segmentation", "fastsam", model=True, spec=FASTSAM)
def load_fastsam(
    model_path: str = FASTSAM.default,
    *,
    imgsz: int = 1024,
    conf: float = 0.05,
    iou: float = 0.5,
    device: Any = None,
    rank: int | None = None,
) -> FastSamSegmenter:
    """Load FastSAM once per process (cached).

    Args:
        model_path: a weights file, or an ultralytics asset name (``"FastSAM-x.pt"``).
        imgsz, conf, iou: FastSAM's inference settings (Data-Juicer's defaults).
        device: torch device (:func:`spotdiff._device.resolve_device`); None: CUDA when
            available.
        rank: worker index for the automatic device.

    Raises:
        MissingDependencyError: ultralytics (or its torchvision) cannot be imported
            (``pip install 'spotdiff[fastsam]'``).
        WeightsNotFoundError: no weights file and no download possible, or the download failed.
        InvalidOptionError: ``device`` is not a device of this machine.
    """
    from .._device import resolve_device

    purpose = "FastSAM segmentation"
    require_installed("ultralytics", extra=FASTSAM.extra, purpose=purpose)
    weights = resolve_fastsam_weights(model_path)
    ultralytics = import_ultralytics(purpose=purpose)
    dev = str(resolve_device(device, rank=rank))

    def build() -> Any:
        try:
            return ultralytics.FastSAM(weights)
        except Exception as exc:
            if Path(weights).is_file() or not is_network_error(exc):
                raise
            searched = [Path(model_path)] + [d / model_path for d in _search_dirs(model_path)]
            raise missing_weights(
                FASTSAM, model_path, searched, "not cached", download_error=exc
            ) from exc

    model = cached(("fastsam", weights, dev), build)
    return FastSamSegmenter(model, source=weights, device=dev, imgsz=imgsz, conf=conf, iou=iou)
