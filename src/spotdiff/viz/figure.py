"""Paper comparison figures: a reference, N methods' outputs, and zoomed insets where they differ.

:func:`comparison_figure` picks the K regions where the methods differ most from the reference
and from each other (:func:`pick_insets`, from spotdiff's NumPy maps), measures every method
(PSNR, SSIM; LPIPS when its weights are on this machine) over the whole image and each inset, and
lays out the figure: one row (``layout="rows"``), one column (``"columns"``) or a grid cell per
image, each the full image with coloured frames around the insets and the insets zoomed beside
(``inset_position="right"``) or below it. :meth:`ComparisonFigure.save` writes PNG (or JPEG)
and vector PDF (see :mod:`._figure_draw`).

Conventions: every image is (H, W, 3) uint8 RGB of the reference's size (or a path);
boxes are ``[x1, y1, x2, y2]`` in reference pixels, ``x2``/``y2`` exclusive. PSNR is in dB over
8-bit levels (``inf`` for identical images); SSIM is the mean of the Gaussian SSIM map
(:func:`spotdiff.maps.ssim_map_cv`, sigma 1.5, Wang et al. 2004) over pixels and channels; an
inset's SSIM averages that same map over the inset (its windows see the pixels around it).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InvalidOptionError, LayoutError, SpotdiffWarning
from .._validate import check_choice, check_number
from ._figure_draw import Scene, render_pdf, render_png

__all__ = ["LAYOUTS", "PALETTE", "ComparisonFigure", "comparison_figure", "pick_insets"]

LAYOUTS = ("rows", "columns", "grid")
INSET_POSITIONS = ("auto", "right", "below")
#: Frame colours of the insets, in order (colour-blind friendly: Okabe-Ito).
PALETTE = ("#D55E00", "#0072B2", "#CC79A7", "#E69F00", "#009E73", "#56B4E9")


def _rgb(colour: str) -> tuple[int, int, int]:
    text = colour.strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        if len(text) != 6:
            raise ValueError
        return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))
    except ValueError:
        from PIL import ImageColor

        try:
            return ImageColor.getrgb(colour)[:3]
        except ValueError:
            raise InvalidOptionError(
                f"colour {colour!r}: expected #RRGGBB, #RGB or a CSS colour name (e.g. red)"
            ) from None


def _image(name: str, value: Any) -> np.ndarray:
    if isinstance(value, str | os.PathLike):
        from ..io import read_image

        return read_image(value)
    from .._validate import check_image

    return check_image(name, np.asarray(value), channels=(3,), dtype=np.uint8)


def _dissimilarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W) float in [0, 1]: ``sqrt((1 - SSIM) / 2 * colour distance / 255)``, both local maps
    of :mod:`spotdiff.maps` (SSIM averaged over channels; the plain colour distance, Euclidean over
    RGB levels). The geometric mean needs both: SSIM alone ranks faint noise in flat texture
    (grass, sky) as high as a visible mistake; the colour distance alone ignores lost detail."""
    from ..maps.colour import colour_difference
    from ..maps.ssim_cv import ssim_map_cv

    structure = np.clip((1.0 - ssim_map_cv(a, b).mean(axis=2)) / 2.0, 0.0, 1.0)
    colour = np.clip(colour_difference(a, b, b, radius=0) / 255.0, 0.0, 1.0)
    return np.sqrt(structure * colour)


def pick_insets(
    reference: np.ndarray, methods: Sequence[np.ndarray], *, k: int = 2, size: int
) -> list[tuple[list[int], float]]:
    """The ``k`` square windows of side ``size`` where the methods differ most, not overlapping.

    The score of a pixel is the mean over methods of ``d(reference, method)`` plus the mean over
    pairs of methods of ``d(method_i, method_j)``, with ``d`` the geometric mean of the local
    SSIM dissimilarity and the colour distance (see ``_dissimilarity``), so a window wins where
    methods are visibly wrong and where they disagree. Windows are taken greedily by their mean
    score; a window never overlaps one taken before.

    Returns:
        ``[([x1, y1, x2, y2], score), ...]``, best first; fewer than ``k`` (with a warning) when
        no more windows fit.
    """
    h, w = reference.shape[:2]
    score = np.mean([_dissimilarity(reference, m) for m in methods], axis=0)
    if len(methods) > 1:
        pairs = [
            _dissimilarity(methods[i], methods[j])
            for i in range(len(methods))
            for j in range(i + 1, len(methods))
        ]
        score = score + np.mean(pairs, axis=0)
    ii = np.zeros((h + 1, w + 1))
    ii[1:, 1:] = score.astype(np.float64).cumsum(0).cumsum(1)
    s = size
    sums = ii[s:, s:] - ii[:-s, s:] - ii[s:, :-s] + ii[:-s, :-s]  # (h - s + 1, w - s + 1)
    sums = sums / (s * s)
    picked: list[tuple[list[int], float]] = []
    for _ in range(k):
        if not np.isfinite(sums).any():
            break
        y, x = np.unravel_index(int(np.argmax(sums)), sums.shape)
        picked.append(([int(x), int(y), int(x) + s, int(y) + s], float(sums[y, x])))
        sums[max(0, y - s + 1) : y + s, max(0, x - s + 1) : x + s] = -np.inf
    if len(picked) < k:
        warnings.warn(
            f"only {len(picked)} non-overlapping insets of {s}x{s} px fit in the {w}x{h} image "
            f"(asked for {k}); pass a smaller inset size",
            SpotdiffWarning,
            stacklevel=3,
        )
    return picked


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def _lpips_fn(wanted: bool | None) -> tuple[Any, str | None]:
    """LPIPS (VGG) on uint8 crops, or None and why. Never downloads (offline for the call)."""
    if wanted is False:
        return None, "not asked for"
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        if wanted:
            from .._optional import require  # raises MissingDependencyError naming the extra

            require("torch", extra="torch")
        return None, "torch is not installed"
    from .._errors import SpotdiffError

    old = os.environ.get("SPOTDIFF_OFFLINE")
    os.environ["SPOTDIFF_OFFLINE"] = "1"
    try:
        import torch

        from ..maps.metrics.lpips import lpips

        probe = torch.zeros(1, 3, 32, 32)
        lpips(probe, probe)
    except (SpotdiffError, OSError, RuntimeError, ImportError) as exc:
        if wanted:
            raise
        return None, " ".join(str(exc).split())[:300]
    finally:
        if old is None:
            os.environ.pop("SPOTDIFF_OFFLINE", None)
        else:
            os.environ["SPOTDIFF_OFFLINE"] = old

    def measure(a: np.ndarray, b: np.ndarray) -> float | None:
        x = torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None].float() / 255
        y = torch.from_numpy(np.ascontiguousarray(b)).permute(2, 0, 1)[None].float() / 255
        try:
            with torch.no_grad():
                return float(lpips(x, y))
        except (SpotdiffError, RuntimeError):  # e.g. a crop too small for the network
            return None

    return measure, None


def _metrics(ref: np.ndarray, img: np.ndarray, ssim: np.ndarray, lp: Any) -> dict[str, Any]:
    out = {"psnr": _psnr(ref, img), "ssim": float(ssim.mean())}
    if lp is not None:
        out["lpips"] = lp(ref, img)
    return out


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


@dataclass(frozen=True)
class ComparisonFigure:
    """A laid-out comparison figure and what it shows.

    Attributes:
        insets: ``{"box": [x1, y1, x2, y2] (reference pixels), "score": float, "colour":
            "#RRGGBB"}`` per inset, in order.
        methods: ``{"name", "psnr", "ssim", "lpips" (when measured), "insets": [{"psnr",
            "ssim", ...}, ...]}`` per method (the reference first, with ``"reference": True``).
        lpips_note: why LPIPS is missing (None when measured).
        scene: the drawing (figure units); :meth:`picture` and :meth:`save` render it.
    """

    insets: list[dict[str, Any]]
    methods: list[dict[str, Any]]
    lpips_note: str | None
    scene: Scene
    scale: float

    def picture(self) -> np.ndarray:
        """The figure as an (H, W, 3) uint8 RGB picture (``scale`` pixels per unit)."""
        return render_png(self.scene, scale=self.scale)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the figure atomically: ``.pdf`` as vector PDF, else a picture (``.png``, ...)."""
        if Path(path).suffix.lower() == ".pdf":
            return render_pdf(self.scene, path)
        from ._save import save_image

        return save_image(self.picture(), path)

    def to_record(self) -> dict[str, Any]:
        """JSON-safe ``{"insets": [...], "methods": [...], "lpips": note}`` (``inf`` -> None)."""
        return _finite({"insets": self.insets, "methods": self.methods, "lpips": self.lpips_note})


def comparison_figure(
    reference: Any,
    methods: Sequence[Any],
    *,
    names: Sequence[str] | None = None,
    insets: int = 2,
    inset_size: int | None = None,
    boxes: Sequence[Sequence[float]] | None = None,
    layout: str = "rows",
    inset_position: str = "auto",
    colours: Sequence[str] | None = None,
    font_size: float = 14.0,
    image_width: float | None = None,
    scale: float = 1.0,
    lpips: bool | None = None,
) -> ComparisonFigure:
    """A paper figure comparing ``methods`` with ``reference``, with zoomed insets.

    Args:
        reference: the ground truth: (H, W, 3) uint8 RGB or a path.
        methods: the methods' outputs, same form and size.
        names: one name per method (default ``Method 1``, ...); the reference is ``Reference``.
        insets: K, how many insets to pick (>= 1; default 2).
        inset_size: side of an inset in reference pixels (default ``min(H, W) // 5``, >= 8).
        boxes: the insets given by hand, ``[[x1, y1, x2, y2], ...]`` in reference pixels,
            instead of picking them (``insets`` and ``inset_size`` are then not used).
        layout: ``"rows"`` (one row per image), ``"columns"`` or ``"grid"``.
        inset_position: ``"right"`` or ``"below"`` the full image; ``"auto"``: right for rows,
            below otherwise.
        colours: frame colours of the insets (``#RRGGBB`` or names; default :data:`PALETTE`).
        font_size: in figure units (PDF points).
        image_width: displayed width of each full image in figure units (default
            ``min(W, 400)``).
        scale: PNG pixels per figure unit (2 for a sharper picture).
        lpips: True requires LPIPS (error if torch or its weights are missing), False skips it,
            None measures it when torch and the weights are on this machine (never downloads).

    Returns:
        :class:`ComparisonFigure`.

    Raises:
        InvalidOptionError: bad options, names or boxes; LayoutError: images of other sizes;
        ImageReadError: an unreadable path.
    """
    layout = check_choice("layout", layout, LAYOUTS)
    inset_position = check_choice("inset_position", inset_position, INSET_POSITIONS)
    if inset_position == "auto":
        inset_position = "right" if layout == "rows" else "below"
    check_number("font_size", font_size, low=4, high=200)
    check_number("scale", scale, low=0.1, high=16, low_inclusive=True)
    check_number("insets", insets, low=1, high=len(PALETTE) * 2, integer=True)
    ref = _image("reference", reference)
    h, w = ref.shape[:2]
    if not methods:
        raise InvalidOptionError("give at least one method's image to compare with the reference")
    imgs = [_image(f"method {i + 1}", m) for i, m in enumerate(methods)]
    for i, img in enumerate(imgs):
        if img.shape != ref.shape:
            label = names[i] if names and i < len(names) else f"method {i + 1}"
            raise LayoutError(
                f"{label} is {img.shape[1]}x{img.shape[0]} but the reference is {w}x{h}; "
                "figures compare images of one size: resize or crop them first"
            )
    if names is None:
        names = [f"Method {i + 1}" for i in range(len(imgs))]
    names = [str(n) for n in names]
    if len(names) != len(imgs):
        raise InvalidOptionError(
            f"{len(names)} names for {len(imgs)} methods; give one name per method, in order"
        )
    if boxes is not None:
        from .._validate import check_boxes

        arr = check_boxes("boxes", boxes, image_size=(w, h), allow_empty_boxes=False)
        chosen = [([round(v) for v in row], None) for row in arr.tolist()]
    else:
        side = inset_size if inset_size is not None else max(8, min(h, w) // 5)
        check_number("inset_size", side, low=2, high=min(h, w), integer=True)
        chosen = pick_insets(ref, imgs, k=insets, size=side)
    palette = [_rgb(c) for c in (colours or PALETTE)]
    if len(palette) < len(chosen):
        raise InvalidOptionError(f"{len(palette)} colours for {len(chosen)} insets; give more")
    lp, note = _lpips_fn(lpips)
    from ..maps.ssim_cv import ssim_map_cv

    records = [{"name": "Reference", "reference": True, "insets": [{} for _ in chosen]}]
    for name, img in zip(names, imgs, strict=True):
        ssim = ssim_map_cv(ref, img)
        rec = {"name": name, **_metrics(ref, img, ssim, lp), "insets": []}
        for box, _ in chosen:
            x1, y1, x2, y2 = box
            crop = (slice(y1, y2), slice(x1, x2))
            rec["insets"].append(_metrics(ref[crop], img[crop], ssim[crop], lp))
        records.append(rec)
    inset_records = [
        {"box": box, "score": score, "colour": "#{:02X}{:02X}{:02X}".format(*palette[i])}
        for i, (box, score) in enumerate(chosen)
    ]
    from ._figure_layout import lay_out

    scene = lay_out(
        [ref, *imgs],
        records,
        [box for box, _ in chosen],
        palette,
        layout=layout,
        inset_position=inset_position,
        font_size=float(font_size),
        image_width=float(image_width or min(w, 400)),
        lpips=lp is not None,
    )
    return ComparisonFigure(inset_records, records, note, scene, float(scale))
