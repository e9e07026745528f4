"""Choosing the backend of each ImgDiff step: ``"auto"``, ``"models"``, ``"classical"`` or a name.

The choice is data (:data:`spotdiff.backends.PREFERENCES`, walked by
:func:`spotdiff.backends.choose_backend`); this module only maps the operator's settings to each
backend's options and records what ran:

- ``"models"``: the model backends (CLIP, FastSAM, BLIP) must load (a missing library or missing
  weights raise :class:`~spotdiff._errors.MissingDependencyError` /
  :class:`~spotdiff._errors.WeightsNotFoundError`, the latter naming the paths expected);
- ``"classical"``: no model is loaded: the structural similarity, :func:`spotdiff.find`
  proposals, and no image-text matching;
- ``"auto"``: each step uses its model when the library is installed and the weights are local
  or downloadable (decided fast: :mod:`spotdiff.backends._network`), else its fallback;
- a registered backend name (``{"similarity": "structural"}``): that backend, which must load.

A dict sets the mode per step (:data:`MODEL_STEPS`), e.g. ``{"segmentation": "classical"}``;
steps it does not name are ``"auto"``. What ran is one line, :meth:`~.area.Backends.describe`,
logged once at INFO (logger ``spotdiff.imgdiff``) and kept in each result's
``metadata["notes"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from .._errors import InvalidOptionError
from .._validate import check_choice
from ..backends._registry import MODES, BackendEntry, choose_backend, list_backends
from .area import ROLE_STEPS, Backends
from .config import AreaConfig

__all__ = ["BACKEND_MODES", "MODEL_STEPS", "check_backend", "resolve_backends"]

BACKEND_MODES = MODES
#: The steps that have a backend role.
MODEL_STEPS = ROLE_STEPS

logger = logging.getLogger("spotdiff.imgdiff")


def _check_step(step: str, value: Any) -> str:
    return check_choice(f"backend[{step!r}]", value, (*MODES, *list_backends(step)))


def check_backend(backend: str | Mapping[str, str]) -> dict[str, str]:
    """``backend`` as ``{step: mode or backend name}`` for every step of :data:`MODEL_STEPS`.

    Raises:
        InvalidOptionError: not a mode, not a dict, an unknown step, or a value that is neither a
            mode nor a backend registered for that step (the message lists the valid ones).
    """
    if isinstance(backend, str):
        mode = check_choice("backend", backend, BACKEND_MODES)
        return dict.fromkeys(MODEL_STEPS, mode)
    if not isinstance(backend, Mapping):
        raise InvalidOptionError(
            f"backend must be one of {', '.join(BACKEND_MODES)} or a dict step -> mode, got "
            f"{type(backend).__name__}"
        )
    unknown = sorted(map(str, set(backend) - set(MODEL_STEPS)))
    if unknown:
        raise InvalidOptionError(
            f"backend dict has unknown step(s) {', '.join(unknown)}; steps: {', '.join(MODEL_STEPS)}"
        )
    return {step: _check_step(step, backend.get(step, "auto")) for step in MODEL_STEPS}


def _options_for(
    config: AreaConfig, device: Any, rank: int | None, batch_size: int
) -> Callable[[BackendEntry], dict[str, Any]]:
    """The keyword options each backend is built with, from the operator's settings."""
    sim, seg, itm = config.similarity, config.segment, config.matching
    specific: dict[tuple[str, str], dict[str, Any]] = {
        ("similarity", "clip"): {"source": sim.hf_clip, "trust_remote_code": sim.trust_remote_code},
        ("segmentation", "fastsam"): {
            "model_path": seg.model_path,
            "imgsz": seg.imgsz,
            "conf": seg.conf,
            "iou": seg.iou,
        },
        ("segmentation", "find"): dict(config.find_options),
        ("matching", "blip"): {"source": itm.hf_blip, "trust_remote_code": itm.trust_remote_code},
    }
    common = {"device": device, "rank": rank, "batch_size": batch_size}

    def options_for(entry: BackendEntry) -> dict[str, Any]:
        options = dict(specific.get((entry.role, entry.name), {}))
        if entry.options is not None:
            options.update({k: v for k, v in common.items() if k in entry.options})
        return options

    return options_for


def resolve_backends(
    config: AreaConfig,
    *,
    mode: str | Mapping[str, str] = "auto",
    device: Any = None,
    rank: int | None = None,
    batch_size: int = 32,
) -> Backends:
    """Load (or fall back for) the similarity, segmentation and matching backends once.

    Args:
        config: the settings (model ids, FastSAM options, ``find_options``).
        mode: ``"auto"``, ``"models"`` or ``"classical"``, or a dict step -> mode or backend
            name (module docstring).
        device: torch device of the models (None or ``"auto"``: CUDA when available); checked
            before anything loads when given and some step may load a model.
        rank: worker index; with the automatic device, worker ``rank`` gets GPU
            ``rank % count``.
        batch_size: most crops per forward pass.

    Returns:
        :class:`~.area.Backends` with ``names`` = ``{"similarity": ..., "segmentation": ...,
        "matching": ..., "crop_similarity": ...}`` (``"skipped"`` for no matching), ``reasons``
        and ``notes`` (its :meth:`~.area.Backends.describe` line first).

    Raises:
        InvalidOptionError: a bad mode or device.
        MissingDependencyError, WeightsNotFoundError: a step that must load a model cannot.
    """
    modes = check_backend(mode)
    if device is not None and any(m != "classical" for m in modes.values()):
        from .._device import resolve_device

        resolve_device(device, rank=rank)  # a bad device fails here, not after a fallback
    options_for = _options_for(config, device, rank, batch_size)
    built: dict[str, Any] = {}
    names: dict[str, str] = {}
    reasons: dict[str, str] = {}
    details: list[str] = []
    for step in MODEL_STEPS:
        choice = choose_backend(step, modes[step], options_for)
        built[step] = choice.backend
        names[step] = choice.entry.label
        if choice.passed_over:
            reasons[step] = choice.reason
            details += [f"{step}: {name} not used: {full}" for name, _, full in choice.passed_over]
    names["crop_similarity"] = names["similarity"]
    partial = Backends(None, None, None, names=names, reasons=reasons)
    line = partial.describe()
    logger.info("spotdiff imgdiff backends: %s", line)
    for detail in details:
        logger.info("spotdiff imgdiff %s", detail)
    return Backends(
        similarity=built["similarity"],
        segmenter=built["segmentation"],
        matcher=built["matching"],
        names=names,
        notes=(line, *details),
        reasons=reasons,
    )
