"""Data-Juicer plug-in: ``spotdiff_difference_area_generator_mapper`` for Data-Juicer recipes.

When ``py-data-juicer`` is installed, importing this module registers
:class:`SpotdiffDifferenceAreaGeneratorMapper` in Data-Juicer's operator registries under
:data:`OP_NAME` (idempotent: importing it twice registers once). Data-Juicer loads custom
operators from files named in the recipe (``custom_operator_paths``, the path printed by
``python -m spotdiff.imgdiff.datajuicer``); ``docs/imgdiff.md`` has the full recipe.

Under a real ``dj-process``:

- **One importable class.** Data-Juicer executes the file under another module name
  (``datajuicer``) and runs the operator in forkserver / spawn workers (it is registered as
  unforkable), which unpickle it by its module name. The file therefore defines the class only
  as ``spotdiff.imgdiff.datajuicer``; loaded under any other name it imports that module and
  re-exports its names, so workers import the class wherever spotdiff is installed.
- **No row vanishes.** A row that fails (unreadable image, missing field, a bug) is kept, with
  zero boxes and the error in ``__dj__meta__[ERROR_KEY]`` (``""`` on every row that worked),
  and logged. Data-Juicer would otherwise drop it silently (its ``skip_op_error``).
- **Missing dependencies fail the run.** lemminflect (step 2, needed even by
  ``backend: classical``) is checked when the operator is built, and a
  :class:`~spotdiff._errors.MissingDependencyError` or
  :class:`~spotdiff._errors.WeightsNotFoundError` raised in a worker (``backend: models``)
  stops ``dj-process`` with a non-zero exit instead of turning into "Left 0 samples".

Without Data-Juicer the module imports fine and registers nothing (:data:`REGISTERED` is False).
Data-Juicer sets ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True`` for its whole process when
imported; inside ``dj-process`` truncated image files therefore decode (grey-filled) instead
of raising :class:`~spotdiff._errors.ImageReadError`, as Data-Juicer's own operators do.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import numpy as np

if __name__ == "__main__":  # print the path to put in `custom_operator_paths`, import nothing
    print(__file__)
    sys.exit(0)

#: The module that defines the operator class; workers import the class from it.
CANONICAL_MODULE = "spotdiff.imgdiff.datajuicer"
#: The operator's name in Data-Juicer recipes.
OP_NAME = "spotdiff_difference_area_generator_mapper"
#: ``__dj__meta__`` key of a row's error: ``""`` when the row worked, else ``"Type: message"``.
ERROR_KEY = "spotdiff_error"

if __name__ != CANONICAL_MODULE:
    # Loaded from its file under another name (Data-Juicer's `custom_operator_paths`): use the
    # one class of the canonical module, so that pickled operators name an importable module.
    _canonical = importlib.import_module(CANONICAL_MODULE)
    globals().update({name: getattr(_canonical, name) for name in _canonical.__all__})
    _base_op = _canonical._base_op
else:
    from spotdiff._errors import MissingDependencyError, WeightsNotFoundError
    from spotdiff._optional import require
    from spotdiff.imgdiff.operator import BBOX_KEY, META_KEY, DifferenceAreaGenerator

    try:
        from data_juicer.ops import base_op as _base_op
    except ImportError:  # Data-Juicer is not installed: nothing to register
        _base_op = None

    __all__ = ["CANONICAL_MODULE", "ERROR_KEY", "OP_NAME", "REGISTERED", "register"]

    REGISTERED = False

    #: Errors that stop the run: the operator cannot work on any row.
    _FATAL = (MissingDependencyError, WeightsNotFoundError, MemoryError)

    def _check_dependencies() -> None:
        require(
            "lemminflect",
            extra="datajuicer",
            purpose="the Data-Juicer operator (caption nouns, ImgDiff step 2, every backend)",
        )

    if _base_op is not None:
        try:
            from loguru import logger as _logger  # Data-Juicer's logger
        except ImportError:  # pragma: no cover - loguru comes with Data-Juicer
            import logging

            _logger = logging.getLogger("spotdiff")

        class SpotdiffDifferenceAreaGeneratorMapper(_base_op.Mapper):
            """spotdiff's ImgDiff difference-area generator as a Data-Juicer mapper.

            Same arguments and output as ``imgdiff_difference_area_generator_mapper``
            (boxes in ``__dj__meta__.__dj__bbox__``), plus ``backend`` (``"auto"``,
            ``"models"``, ``"classical"``), ``crop_batch_size`` (crops per forward pass;
            Data-Juicer's own ``batch_size`` is the dataset batch), ``meta_key`` (per-pair
            summary, None for none) and ``__dj__meta__[ERROR_KEY]`` on every row.

            Raises:
                MissingDependencyError: lemminflect is not installed (when built).
            """

            _accelerator = "cuda"

            def __init__(
                self,
                image_pair_similarity_filter_args: dict | None = None,
                image_segment_mapper_args: dict | None = None,
                image_text_matching_filter_args: dict | None = None,
                backend: str = "auto",
                crop_batch_size: int = 32,
                meta_key: str | None = "spotdiff_imgdiff",
                *args: Any,
                **kwargs: Any,
            ) -> None:
                _check_dependencies()
                # failing rows are recorded by process_single; what still escapes it must stop
                # the run, not vanish with the row
                kwargs["skip_op_error"] = False
                super().__init__(*args, **kwargs)
                self._generator = DifferenceAreaGenerator(
                    image_pair_similarity_filter_args,
                    image_segment_mapper_args,
                    image_text_matching_filter_args,
                    backend=backend,
                    batch_size=crop_batch_size,
                    meta_key=meta_key,
                    accelerator=getattr(self, "accelerator", None),
                )

            def process_single(self, sample: dict, rank: int | None = None) -> dict:
                """The sample with its boxes, or with zero boxes and its error recorded."""
                try:
                    out = self._generator.process_single(sample, rank=rank)
                except _FATAL:
                    raise
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    _logger.error(f"{OP_NAME}: row kept with zero boxes: {error}")
                    out = dict(sample)
                    meta = dict(sample.get(META_KEY) or {})
                    meta[BBOX_KEY] = np.zeros((1, 4), dtype=np.float32)
                    meta[ERROR_KEY] = error
                    out[META_KEY] = meta
                    return out
                out[META_KEY][ERROR_KEY] = ""
                return out

        __all__ += ["SpotdiffDifferenceAreaGeneratorMapper"]

    def register() -> bool:
        """Register the operator in Data-Juicer's registries (once); False without it."""
        global REGISTERED
        if _base_op is None:
            return False
        cls = globals()["SpotdiffDifferenceAreaGeneratorMapper"]
        # OPERATORS: usable in recipes; TAGGING_OPS: writes meta tags; UNFORKABLE: models on CUDA
        for name in ("OPERATORS", "TAGGING_OPS", "UNFORKABLE"):
            registry = getattr(_base_op, name, None)
            if registry is not None and OP_NAME not in registry.modules:
                registry.register_module(OP_NAME)(cls)
        REGISTERED = True
        return True

    register()
