"""Model weights described as data, and where to find them.

A :class:`WeightsSpec` names a backend's default weights (a Hugging Face hub id or a file name),
the files a local copy must hold, where a download comes from, the spotdiff extra that installs
its library and the preprocessing the weights expect. One resolution order serves every model
(CLIP, BLIP, FastSAM, LPIPS):

1. an explicit local path (a directory for transformers models, a file otherwise);
2. local caches: Data-Juicer's model homes, so a Data-Juicer installation's downloads are
   reused (``$DATA_JUICER_EXTERNAL_MODELS_HOME/<name>``, ``$DATA_JUICER_MODELS_CACHE/<file>``,
   default ``~/.cache/data_juicer/models``), the Hugging Face cache (``$HF_HUB_CACHE``, else
   ``$HF_HOME/hub``, else ``~/.cache/huggingface/hub``), and each model's own folders;
3. a download, only when no offline variable is set (``SPOTDIFF_OFFLINE``, ``HF_HUB_OFFLINE``,
   ``TRANSFORMERS_OFFLINE``) and a fast probe says the host is reachable
   (:mod:`._network`: decided once per process, at most 1.5 s).

The environment is read at each call (not at import), so a test or a worker can change it.
When weights are missing and cannot be fetched, :class:`~spotdiff._errors.WeightsNotFoundError`
names the exact paths expected, why nothing was downloaded, and what to do; a message mentions
an offline variable only when it is set.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._errors import WeightsNotFoundError
from ._network import download_blocker, download_file, hub_host, is_network_error, offline_reason

__all__ = [
    "BLIP_ITM",
    "CLIP",
    "FASTSAM",
    "SPECS",
    "WeightsSpec",
    "data_juicer_model_dirs",
    "download_host",
    "hf_cache_dir",
    "hub_cache_path",
    "hub_offline",
    "local_candidates",
    "missing_weights",
    "resolve_file",
]

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
#: Where a download comes from: a hub repository, a URL, or ultralytics' GitHub assets.
KINDS = ("hub", "url", "ultralytics")


@dataclass(frozen=True)
class WeightsSpec:
    """Where a model's weights come from and what they expect.

    Attributes:
        name: backend name (``"clip"``, ``"blip_itm"``, ``"fastsam"``, ``"lpips_vgg_heads"``).
        default: default source: a hub id (``"openai/clip-vit-base-patch32"``) or a file name
            (``"FastSAM-x.pt"``).
        required: files a local copy (a directory) must contain (``("config.json",)``).
        library: import name of the library that loads it (``"transformers"``).
        extra: spotdiff extra that installs the library.
        preprocessing: what the weights expect, in words (for docs and error messages).
        kind: where a download comes from, one of :data:`KINDS`.
        url: the file's address, for ``kind="url"``.
        description: what the file is, in words (``"torchvision VGG16 backbone"``).
        alternative: the way out without these weights, for error messages.
    """

    name: str
    default: str
    required: tuple[str, ...] = ()
    library: str = "transformers"
    extra: str = "models"
    preprocessing: str = ""
    kind: str = "hub"
    url: str | None = None
    description: str = ""
    alternative: str = "use backend='classical' (no model weights)"


CLIP = WeightsSpec(
    name="clip",
    default="openai/clip-vit-base-patch32",
    required=("config.json", "preprocessor_config.json"),
    preprocessing="RGB, shorter side resized to 224 (bicubic), centre crop 224, CLIP mean/std",
)
BLIP_ITM = WeightsSpec(
    name="blip_itm",
    default="Salesforce/blip-itm-base-coco",
    required=("config.json", "preprocessor_config.json"),
    preprocessing="RGB resized to 384x384 (bicubic), CLIP mean/std; BERT word pieces",
)
FASTSAM = WeightsSpec(
    name="fastsam",
    default="FastSAM-x.pt",
    library="ultralytics",
    extra="fastsam",
    preprocessing="BGR uint8, letterboxed to imgsz (ultralytics does it)",
    kind="ultralytics",
)

SPECS: dict[str, WeightsSpec] = {s.name: s for s in (CLIP, BLIP_ITM, FASTSAM)}


def hub_offline() -> bool:
    """True when ``SPOTDIFF_OFFLINE``, ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is true."""
    return offline_reason() is not None


def download_host(spec: WeightsSpec) -> str:
    """The host a download of ``spec`` comes from (probed before any download)."""
    if spec.kind == "url" and spec.url:
        return urllib.parse.urlsplit(spec.url).netloc
    if spec.kind == "ultralytics":
        return "github.com"
    return hub_host()


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache: ``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or the default."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface"
    )
    return Path(home).expanduser() / "hub"


def hub_cache_path(repo_id: str) -> Path:
    """Folder of ``repo_id`` in the hub cache (``models--org--name``)."""
    return hf_cache_dir() / ("models--" + repo_id.replace("/", "--"))


def data_juicer_model_dirs() -> list[Path]:
    """Data-Juicer's model folders: ``$DATA_JUICER_EXTERNAL_MODELS_HOME`` entries, then its cache."""
    dirs = [
        Path(p.strip()).expanduser()
        for p in os.environ.get("DATA_JUICER_EXTERNAL_MODELS_HOME", "").split(os.pathsep)
        if p.strip()
    ]
    cache_home = os.environ.get("DATA_JUICER_CACHE_HOME") or os.path.join(
        os.environ.get("CACHE_HOME", "~/.cache"), "data_juicer"
    )
    models = os.environ.get("DATA_JUICER_MODELS_CACHE") or os.path.join(cache_home, "models")
    dirs.append(Path(models).expanduser())
    return dirs


def local_candidates(source: str) -> list[Path]:
    """Local paths that may hold ``source``: itself, then under Data-Juicer's model folders."""
    path = Path(source).expanduser()
    out = [path]
    if not path.is_absolute():
        out += [d / source for d in data_juicer_model_dirs()]
    return out


def is_hub_id(source: str) -> bool:
    """Whether ``source`` reads as a hub id (``org/name`` or ``name``), not a path."""
    return bool(_HUB_ID.match(source)) and not source.startswith((".", "~"))


def _how_to_fix(spec: WeightsSpec, source: str, searched: Sequence[Path]) -> str:
    if spec.kind == "hub":
        fetch = (
            f"put the saved model (save_pretrained) at one of those paths; for a hub id, run "
            f"`hf download {source}` on a machine with internet and copy its cache folder"
        )
    elif spec.kind == "url":
        where = searched[0] if searched else source
        fetch = f"download {spec.url} and put it at {where}"
    else:
        fetch = (
            f"put {Path(source).name} at one of those paths (ultralytics publishes it among "
            "its GitHub release assets)"
        )
    offline = offline_reason()
    if offline is not None:
        fetch += f", or unset {offline.split()[0]} to allow a download"
    return f"{fetch}, or {spec.alternative}" if spec.alternative else fetch


def weights_problem(spec: WeightsSpec, source: str, searched: Sequence[Path], why: str) -> str:
    """``"<what> not found locally (<why>); expected at: <paths>"``: one part of a message."""
    what = f"{spec.name} weights {source!r}"
    if spec.description:
        what += f" ({spec.description})"
    paths = ", ".join(os.path.abspath(p) for p in searched) or "(no local path)"
    return f"{what} not found locally ({why}); expected at: {paths}"


def missing_weights(
    spec: WeightsSpec,
    source: str,
    searched: Sequence[Path],
    why: str,
    *,
    download_error: BaseException | None = None,
) -> WeightsNotFoundError:
    """A :class:`WeightsNotFoundError` naming the paths expected, why, and what to do.

    The error's ``short`` attribute is a few words for one-line summaries
    (``"weights not found locally"``).
    """
    if download_error is not None:
        why = f"{why}; the download failed: {type(download_error).__name__}: {download_error}"
    err = WeightsNotFoundError(
        f"{weights_problem(spec, source, searched, why)}. To fix: "
        f"{_how_to_fix(spec, source, searched)}"
    )
    err.short = "weights not found locally" + (
        ", download failed" if download_error is not None else ""
    )
    return err


def resolve_file(
    spec: WeightsSpec,
    source: str | os.PathLike[str] | None = None,
    *,
    dirs: Sequence[Path] = (),
    download_to: Path | None = None,
) -> Path | str:
    """The local file of a single-file model, downloading it when allowed.

    Args:
        spec: the weights (``kind`` ``"url"`` or ``"ultralytics"``).
        source: an explicit path or a file name; None: ``spec.default``.
        dirs: folders searched for the file name, in order, after ``source`` itself.
        download_to: where a ``kind="url"`` download is written (atomically).

    Returns:
        The first existing file; else, when a download is allowed, the downloaded file
        (``kind="url"``) or the bare asset name for ultralytics to download.

    Raises:
        WeightsNotFoundError: nothing local and no download possible (the message names every
            path searched and why).
    """
    name = os.fspath(source) if source is not None else spec.default
    path = Path(name).expanduser()
    searched = [path] + [Path(d) / path.name for d in dirs]
    searched = list(dict.fromkeys(searched))
    for candidate in searched:
        if candidate.is_file():
            return candidate
    if path.name != name and spec.kind == "ultralytics":  # a path, not an asset name
        raise missing_weights(spec, name, searched, "no such file")
    blocker = download_blocker(download_host(spec))
    if blocker is not None:
        raise missing_weights(spec, name, searched, blocker)
    if spec.kind == "ultralytics":
        return path.name
    if spec.kind != "url" or not spec.url or download_to is None:
        raise missing_weights(spec, name, searched, "no download address")
    try:
        return download_file(spec.url, download_to)
    except Exception as exc:
        if not is_network_error(exc):
            raise
        raise missing_weights(spec, name, searched, "not cached", download_error=exc) from exc
