"""Grounding rankers: a registry of ways to score candidate regions against parsed queries.

A ranker has a ``name`` and ``rank(pair, queries) -> [(logits, cues), ...]``: for each query,
(N,) float64 match logits of the pair's N candidates (higher = better) and ``{cue: (N,)
values}`` that explain them. It may cache per-pair work in ``pair.cache`` (image embeddings),
so that further queries on the same pair are cheap. Registered rankers (:func:`get_ranker`,
:func:`list_rankers`; :func:`register_ranker` adds one, e.g. a learned DiffTracker-style model):

- ``"cues"`` (aliases ``classical``, ``model_free``): the model-free cues of :mod:`.match`.
- ``"clip"`` (alias ``models``): the cues plus CLIP text-region similarity the ReCLIP way:
  each candidate isolated twice, by cropping its box (grown by 10 %) and by blurring everything
  outside it, in the image where the described thing exists (image 2 for added, image 1 for
  removed, both for changes, with the *before* / *after* colour words of each); the similarity
  of the two isolations summed, softmax over the candidates (CLIP's logit scale), added to the
  cue logits with weight :data:`W_MODEL`. All isolations of a pair go through the vision tower
  once (``ceil(4N / batch_size)`` passes, cached on the pair), all texts of all queries through
  the text tower in one pass. With ``blip`` (a BLIP ITM model), the :data:`RERANK_TOP` best
  candidates of each query are re-scored by BLIP's image-text matching probability (weight
  :data:`W_RERANK`). The model is only asked when the query has words for it (object names or
  colours); otherwise the cues alone rank.

CLIP and BLIP load through :mod:`spotdiff.backends` (same weights resolution and offline rules
as the ImgDiff backends); the CLIP tokenizer is read from the same place as the model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import cv2
import numpy as np

from .._errors import WeightsNotFoundError
from .._registry import Registry
from .match import EPS, match_cues
from .query import Query

if TYPE_CHECKING:
    from .ground import GroundingPair

__all__ = [
    "RANKERS",
    "RERANK_TOP",
    "W_MODEL",
    "W_RERANK",
    "ClipRanker",
    "CuesRanker",
    "Ranker",
    "get_ranker",
    "list_rankers",
    "model_text",
    "register_ranker",
]

#: name -> ranker factory.
RANKERS: Registry[Any] = Registry("grounding backend")
#: Weight of the CLIP cue in the match logit.
W_MODEL = 1.0
#: Weight of the BLIP re-ranking cue, and how many candidates it re-scores per query.
W_RERANK = 1.0
RERANK_TOP = 5

Ranked = tuple[np.ndarray, dict[str, np.ndarray]]
_BLUR_SIDE = 336
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "vocab.txt")


@runtime_checkable
class Ranker(Protocol):
    """Scores a pair's candidates against queries (module docstring)."""

    name: str

    def rank(self, pair: GroundingPair, queries: Sequence[Query]) -> list[Ranked]: ...


def register_ranker(
    name: str, *, aliases: tuple[str, ...] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering a ranker factory (keyword options only) under ``name``."""
    return RANKERS.register(name, aliases=aliases)


def get_ranker(name: str, /, **options: Any) -> Ranker:
    """Build the registered ranker ``name`` (unknown names / options raise, listing the valid
    ones)."""
    return RANKERS.get(name, **options)


def list_rankers() -> list[str]:
    """Sorted names of the registered rankers."""
    return RANKERS.names()


class CuesRanker:
    """The model-free ranker: :func:`.match.match_cues` for each query."""

    name = "cues"

    def rank(self, pair: GroundingPair, queries: Sequence[Query]) -> list[Ranked]:
        return [match_cues(pair.features, q) for q in queries]


@register_ranker("cues", aliases=("classical", "model_free"))
def _cues() -> CuesRanker:
    """Model-free cues: kind, colours, position, size (no model)."""
    return CuesRanker()


def model_text(query: Query, role: str) -> str | None:
    """The text CLIP / BLIP compare with a region for ``query`` in image ``role``
    (``"before"`` or ``"after"``): its object words and the colours of that role, or None when
    the query has no word a model can use."""
    words = list(query.unknown)
    colours = [c.name for c in query.colours if c.role in (role, "any")]
    if not words and not colours:
        return None
    noun = " ".join(words) if words else "object"
    return "a photo of a " + " ".join([*colours, noun])


def _isolations(img: np.ndarray, boxes: np.ndarray, *, blur: bool = True) -> list[np.ndarray]:
    """For each box: the crop (box grown by 10 %), then (``blur``) the whole image blurred
    outside the box (drawn at most :data:`_BLUR_SIDE` px wide: the model sees 224 px)."""
    h, w = img.shape[:2]
    s = min(1.0, _BLUR_SIDE / max(h, w))
    small = cv2.resize(
        img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA
    )
    blurred = cv2.GaussianBlur(small, (0, 0), sigmaX=max(1.5, small.shape[1] / 60))
    out = []
    for x1, y1, x2, y2 in np.asarray(boxes, dtype=np.float64):
        gx, gy = 0.1 * (x2 - x1) + 2, 0.1 * (y2 - y1) + 2
        cx1, cy1 = int(max(0, x1 - gx)), int(max(0, y1 - gy))
        cx2, cy2 = int(min(w, np.ceil(x2 + gx))), int(min(h, np.ceil(y2 + gy)))
        out.append(np.ascontiguousarray(img[cy1 : max(cy2, cy1 + 1), cx1 : max(cx2, cx1 + 1)]))
        if blur:
            iso = blurred.copy()
            bx1, by1 = int(max(0, x1 * s)), int(max(0, y1 * s))
            bx2, by2 = int(np.ceil(x2 * s)), int(np.ceil(y2 * s))
            iso[by1:by2, bx1:bx2] = small[by1:by2, bx1:bx2]
            out.append(iso)
    return out


class ClipRanker:
    """Cues plus CLIP (and optionally BLIP ITM) similarity; see the module docstring.

    Args:
        clip: a loaded :class:`~spotdiff.backends.ClipEmbedder`.
        tokenizer: its text tokenizer.
        blip: a loaded :class:`~spotdiff.backends.BlipMatcher` for re-ranking, or None.
    """

    name = "clip"

    def __init__(self, clip: Any, tokenizer: Any, blip: Any = None) -> None:
        self.clip = clip
        self.tokenizer = tokenizer
        self.blip = blip
        self.tally: Counter = Counter()

    def _image_embeddings(self, pair: GroundingPair) -> np.ndarray:
        """(2, 2, N, D): [image 1 / 2][crop / blur] embeddings, computed once per pair."""
        key = ("clip", self.clip.source)
        if key not in pair.cache:
            images = [*_isolations(pair.img1, pair.boxes), *_isolations(pair.img2, pair.boxes)]
            emb = self.clip.embed(images, tally=self.tally)
            n = len(pair.boxes)
            pair.cache[key] = emb.reshape(2, n, 2, -1).transpose(0, 2, 1, 3)
        return pair.cache[key]

    def _text_embeddings(self, texts: list[str]) -> np.ndarray:
        from .._optional import require

        torch = require("torch", purpose="the CLIP grounding backend")
        model = self.clip.model
        limit = int(model.config.text_config.max_position_embeddings)
        enc = self.tokenizer(
            texts, padding=True, truncation=True, max_length=limit, return_tensors="pt"
        )
        with torch.inference_mode():
            out = model.text_model(
                input_ids=enc["input_ids"].to(self.clip.device),
                attention_mask=enc["attention_mask"].to(self.clip.device),
            )
            feats = model.text_projection(out.pooler_output).float()
            feats = torch.nn.functional.normalize(feats, dim=-1).cpu().numpy()
        self.tally["clip_text"] += 1
        return feats

    def rank(self, pair: GroundingPair, queries: Sequence[Query]) -> list[Ranked]:
        ranked = [match_cues(pair.features, q) for q in queries]
        n = len(pair.boxes)
        wanted: list[tuple[int, str, str]] = []  # (query index, role, text)
        for qi, q in enumerate(queries):
            roles = {"added": ("after",), "removed": ("before",)}.get(q.kind or "", ())
            if not roles:
                roles = ("before",) if q.image == 1 else ("after",) if q.image == 2 else ()
            for role in roles or ("before", "after"):
                text = model_text(q, role)
                if text is not None:
                    wanted.append((qi, role, text))
        if not wanted or n == 0:
            return ranked
        images = self._image_embeddings(pair)
        texts = sorted({t for _, _, t in wanted})
        text_emb = dict(zip(texts, self._text_embeddings(texts), strict=True))
        sims: dict[int, list[np.ndarray]] = {}
        for qi, role, text in wanted:
            side = images[0 if role == "before" else 1]  # (2, N, D)
            sims.setdefault(qi, []).append((side @ text_emb[text]).sum(axis=0))
        for qi, parts in sims.items():
            sim = np.mean(parts, axis=0) * 50.0  # two isolations summed, CLIP scale 100 / 2
            p = np.exp(sim - sim.max())
            cue = p / p.max()
            logits, cues = ranked[qi]
            cues["model"] = cue
            ranked[qi] = (logits + W_MODEL * np.log(EPS + cue), cues)
        if self.blip is not None:
            self._rerank(pair, queries, ranked)
        return ranked

    def _rerank(self, pair: GroundingPair, queries: Sequence[Query], ranked: list[Ranked]) -> None:
        for qi, q in enumerate(queries):
            role = "before" if q.kind == "removed" or q.image == 1 else "after"
            text = model_text(q, role)
            if text is None:
                continue
            logits, cues = ranked[qi]
            top = np.argsort(-logits, kind="stable")[:RERANK_TOP]
            img = pair.img1 if role == "before" else pair.img2
            crops = _isolations(img, pair.boxes[top], blur=False)
            prob = self.blip.match(crops, [text], tally=self.tally)[:, 0]
            cue = np.ones(len(logits))
            cue[top] = prob / max(float(prob.max()), 1e-6)
            cues["rerank"] = cue
            ranked[qi] = (logits + W_RERANK * np.log(EPS + cue), cues)


def load_clip_tokenizer(source: str) -> Any:
    """The tokenizer saved with the CLIP model ``source`` (same resolution and offline rules as
    the model: :func:`spotdiff.backends._hf.resolve_and_load`)."""
    from ..backends._hf import resolve_and_load
    from ..backends._spec import CLIP

    def load(path: str, kwargs: dict) -> Any:
        import os

        import transformers

        if os.path.isdir(path) and not any(
            os.path.isfile(os.path.join(path, f)) for f in _TOKENIZER_FILES
        ):  # transformers would build an empty tokenizer without a word
            raise WeightsNotFoundError(
                f"the CLIP model at {path} has no tokenizer (none of {', '.join(_TOKENIZER_FILES)}"
                f"); save it beside the model with tokenizer.save_pretrained({path!r})"
            )
        try:
            return transformers.AutoTokenizer.from_pretrained(path, **kwargs)
        except (OSError, ValueError, TypeError) as exc:
            raise WeightsNotFoundError(
                f"the CLIP model at {path} has no usable tokenizer ({type(exc).__name__}: "
                f"{exc}); save it beside the model with tokenizer.save_pretrained({path!r})"
            ) from exc

    return resolve_and_load(CLIP, source, load)


@register_ranker("clip", aliases=("models",))
def _clip(
    clip: str | None = None,
    blip: str | None = None,
    device: Any = None,
    batch_size: int = 32,
) -> ClipRanker:
    """Cues plus CLIP (ReCLIP-style isolations) and optional BLIP ITM re-ranking."""
    from ..backends import get_backend
    from ..backends._spec import CLIP

    source = clip or CLIP.default
    embedder = get_backend(
        "similarity", "clip", source=source, device=device, batch_size=batch_size
    )
    tokenizer = load_clip_tokenizer(source)
    matcher = None
    if blip is not None:
        matcher = get_backend("matching", "blip", source=blip, device=device, batch_size=batch_size)
    return ClipRanker(embedder, tokenizer, matcher)
