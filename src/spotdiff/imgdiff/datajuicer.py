"""Data-Juicer plug-in: ``spotdiff_difference_area_generator_mapper`` for Data-Juicer recipes.

When ``py-data-juicer`` is installed, importing this module registers
:class:`SpotdiffDifferenceAreaGeneratorMapper` in Data-Juicer's operator registry under
:data:`OP_NAME` (idempotent: importing it twice registers once). Data-Juicer loads custom
operators from files named in the recipe::

    custom_operator_paths: ["<path printed by `python -m spotdiff.imgdiff.datajuicer`>"]
    process:
      - spotdiff_difference_area_generator_mapper:
          image_pair_similarity_filter_args: {min_score_1: 0.1, max_score_1: 1.0}
          backend: auto

Data-Juicer imports the file under its base name (``datajuicer``), outside the spotdiff
package, so this module uses absolute imports only. Without Data-Juicer the module imports
fine and registers nothing (:data:`REGISTERED` is False); everything else in spotdiff works.
See ``docs/imgdiff.md`` for the full recipe.
"""

from __future__ import annotations

from typing import Any

from spotdiff.imgdiff.operator import DifferenceAreaGenerator

try:
    from data_juicer.ops import base_op as _base_op
except ImportError:  # Data-Juicer is not installed: nothing to register
    _base_op = None

__all__ = ["OP_NAME", "REGISTERED", "register"]

#: The operator's name in Data-Juicer recipes.
OP_NAME = "spotdiff_difference_area_generator_mapper"

REGISTERED = False

if _base_op is not None:

    class SpotdiffDifferenceAreaGeneratorMapper(_base_op.Mapper):
        """spotdiff's ImgDiff difference-area generator as a Data-Juicer mapper.

        Same arguments and output as ``imgdiff_difference_area_generator_mapper``
        (boxes in ``__dj__meta__.__dj__bbox__``), plus ``backend`` (``"auto"``, ``"models"``,
        ``"classical"``), ``crop_batch_size`` (crops per forward pass; Data-Juicer's own
        ``batch_size`` is the dataset batch) and ``meta_key`` (per-pair summary, None for none).
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
            return self._generator.process_single(sample, rank=rank)

    __all__ += ["SpotdiffDifferenceAreaGeneratorMapper"]


def register() -> bool:
    """Register the operator in Data-Juicer's registries (once); False without Data-Juicer."""
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

if __name__ == "__main__":  # print the path to put in `custom_operator_paths`
    print(__file__)
