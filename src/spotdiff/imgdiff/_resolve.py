"""Choosing the backend of each ImgDiff step: ``"auto"``, ``"models"`` or ``"classical"``.

- ``"models"``: CLIP, FastSAM and BLIP must load (a missing library or missing weights raise
  :class:`~spotdiff._errors.MissingDependencyError` / :class:`~spotdiff._errors.WeightsNotFoundError`);
- ``"classical"``: no model is loaded: the structural similarity, :func:`spotdiff.find`
  proposals, and no image-text matching;
- ``"auto"``: each step uses its model when the library is installed and the weights are local
  or downloadable, else its fallback; each fallback is logged once (logger
  ``spotdiff.imgdiff``) and recorded in the result's ``metadata["notes"]``.

A dict sets the mode per step (:data:`MODEL_STEPS`), e.g. ``{"segmentation": "classical"}``;
steps it does not name are ``"auto"``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from .._errors import InvalidOptionError, MissingDependencyError, WeightsNotFoundError
from .._validate import check_choice
from ..backends.proposals import FindProposals
from ..backends.similarity import StructuralSimilarity
from .area import Backends
from .config import AreaConfig

__all__ = ["BACKEND_MODES", "MODEL_STEPS", "check_backend", "resolve_backends"]

BACKEND_MODES = ("auto", "models", "classical")
#: The steps that have a model backend.
MODEL_STEPS = ("similarity", "segmentation", "matching")


def check_backend(backend: str | Mapping[str, str]) -> dict[str, str]:
    """``backend`` as ``{step: mode}`` for every step of :data:`MODEL_STEPS` (validated)."""
    if isinstance(backend, str):
        mode = check_choice("backend", backend, BACKEND_MODES)
        return dict.fromkeys(MODEL_STEPS, mode)
    if not isinstance(backend, Mapping):
        raise InvalidOptionError(
            f"backend must be one of {', '.join(BACKEND_MODES)} or a dict step -> mode, got "
            f"{type(backend).__name__}"
        )
    unknown = sorted(set(backend) - set(MODEL_STEPS))
    if unknown:
        raise InvalidOptionError(
            f"backend dict has unknown step(s) {', '.join(unknown)}; steps: {', '.join(MODEL_STEPS)}"
        )
    return {
        step: check_choice(f"backend[{step!r}]", backend.get(step, "auto"), BACKEND_MODES)
        for step in MODEL_STEPS
    }


logger = logging.getLogger("spotdiff.imgdiff")


def _pick(
    step: str,
    mode: str,
    load: Callable[[], Any],
    fallback: Any,
    fallback_name: str,
    notes: list[str],
) -> tuple[Any, str]:
    if mode == "classical":
        return fallback, fallback_name
    try:
        backend = load()
    except (MissingDependencyError, WeightsNotFoundError) as exc:
        if mode == "models":
            raise
        note = f"{step}: using {fallback_name} ({exc})"
        logger.warning("spotdiff imgdiff %s", note)
        notes.append(note)
        return fallback, fallback_name
    return backend, backend.name


def resolve_backends(
    config: AreaConfig,
    *,
    mode: str | Mapping[str, str] = "auto",
    device: Any = None,
    batch_size: int = 32,
) -> Backends:
    """Load (or fall back for) the similarity, segmentation and matching backends once.

    Args:
        config: the settings (model ids, FastSAM options, ``find_options``).
        mode: ``"auto"``, ``"models"`` or ``"classical"``, or a dict step -> mode (module
            docstring).
        device: torch device for the models (None: CUDA when available).
        batch_size: most crops per forward pass.

    Returns:
        :class:`~.area.Backends` with ``names`` = ``{"similarity": ..., "segmentation": ...,
        "matching": ..., "crop_similarity": ...}`` (``"skipped"`` for no matching).
    """
    modes = check_backend(mode)
    notes: list[str] = []
    sim, seg, itm = config.similarity, config.segment, config.matching

    def hub_model(name: str, source: str, trust_remote_code: bool) -> Callable[[], Any]:
        # spotdiff.backends.<name>.load_<name>, imported only when the step asks for it.
        def load() -> Any:
            module = importlib.import_module(f"..backends.{name}", __package__)
            return getattr(module, f"load_{name}")(
                source, device=device, batch_size=batch_size, trust_remote_code=trust_remote_code
            )

        return load

    def fastsam() -> Any:
        from ..backends.fastsam import load_fastsam

        return load_fastsam(
            seg.model_path, imgsz=seg.imgsz, conf=seg.conf, iou=seg.iou, device=device
        )

    similarity, sim_name = _pick(
        "similarity",
        modes["similarity"],
        hub_model("clip", sim.hf_clip, sim.trust_remote_code),
        StructuralSimilarity(),
        "structural",
        notes,
    )
    segmenter, seg_name = _pick(
        "segmentation",
        modes["segmentation"],
        fastsam,
        FindProposals(**config.find_options),
        "find",
        notes,
    )
    matcher, itm_name = _pick(
        "matching",
        modes["matching"],
        hub_model("blip", itm.hf_blip, itm.trust_remote_code),
        None,
        "skipped",
        notes,
    )
    if matcher is None and modes["matching"] == "classical":
        note = "matching: image-text matching skipped (backend 'classical'); boxes are not "
        note += "checked against the caption nouns"
        logger.info("spotdiff imgdiff %s", note)
        notes.append(note)
    return Backends(
        similarity=similarity,
        segmenter=segmenter,
        matcher=matcher,
        names={
            "similarity": sim_name,
            "segmentation": seg_name,
            "matching": itm_name,
            "crop_similarity": sim_name,
        },
        notes=tuple(notes),
    )
