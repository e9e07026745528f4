"""LPIPS weights as data: one frozen spec per backbone, resolution, reading and checking.

Each part (backbone, heads) is a :class:`~spotdiff.backends._spec.WeightsSpec`, resolved like
every other model's weights: the files or directories passed as ``weights=``, then the local
caches, then a download into ``$SPOTDIFF_HOME/lpips/`` only when no offline variable is set
(``SPOTDIFF_OFFLINE``, ``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE``) and a fast probe says the
host answers (:mod:`spotdiff.backends._network`), else
:class:`~spotdiff._errors.WeightsNotFoundError` naming the exact files expected. The caches
searched, in order:

* backbone: ``$SPOTDIFF_HOME/lpips/`` (default ``~/.cache/spotdiff/lpips/``), then torch hub's
  ``<torch.hub.get_dir()>/checkpoints/`` (where torchvision caches its downloads);
* heads: ``$SPOTDIFF_HOME/lpips/``, then ``<installed lpips package>/weights/v0.1/`` (located with
  ``importlib.util.find_spec``, without importing ``lpips``, which needs torchvision).

Checkpoint formats understood (found by their keys, whatever the file name):

* torchvision full-model state dicts (``features.{i}.weight`` / ``.bias``; ``classifier.*``
  ignored), e.g. ``vgg16-397923af.pth``, ``alexnet-owt-7be5be79.pth``;
* ``lpips`` v0.1 head files (``lin{k}.model.1.weight``), e.g. ``vgg.pth``, ``alex.pth``;
* a whole ``lpips.LPIPS`` state dict (``net.slice{s}.{i}.*`` and ``lin{k}.model.1.weight``),
  which supplies both parts; a ``{"state_dict": ...}`` wrapper and a ``module.`` prefix are
  unwrapped.

Files are read with ``torch.load(..., map_location="cpu", weights_only=True)``.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..._errors import InvalidOptionError, WeightsNotFoundError
from ...backends._network import download_blocker, offline_reason
from ...backends._spec import WeightsSpec, download_host, resolve_file, weights_problem
from ._lpips_net import ARCHS

__all__ = [
    "SPECS",
    "LPIPSWeightsSpec",
    "WeightsArg",
    "backbone_dirs",
    "check_state",
    "heads_dirs",
    "load_lpips_state",
    "lpips_package_weights_dir",
    "read_checkpoint",
    "split_checkpoint",
    "spotdiff_home",
    "weight_paths",
]

PathLike = str | os.PathLike[str]
WeightsArg = PathLike | Sequence[PathLike] | None

_TORCHVISION_URL = "https://download.pytorch.org/models/"
_LPIPS_URL = "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/"


def _conv_keys(net: str) -> tuple[str, ...]:
    idx = ARCHS[net].conv_indices()
    return tuple(f"features.{i}.{p}" for i in idx for p in ("weight", "bias"))


def _head_keys(net: str) -> tuple[str, ...]:
    return tuple(f"lin{k}.model.1.weight" for k in range(len(ARCHS[net].channels)))


_ALTERNATIVE = "pass weights=<file(s) or directory>, or use pretrained=False for random weights"


@dataclass(frozen=True)
class LPIPSWeightsSpec:
    """Where one LPIPS variant's weights come from.

    Attributes:
        net: ``"vgg"`` or ``"alex"``.
        backbone: torchvision's checkpoint (``default`` is its hub cache file name, ``url``
            where it is downloaded from).
        heads: the ``lpips`` package's v0.1 head file.
        backbone_keys: parameter keys the backbone file must hold (torchvision names).
        head_keys: parameter keys the heads file must hold (``lpips`` names).
    """

    net: str
    backbone: WeightsSpec
    heads: WeightsSpec
    backbone_keys: tuple[str, ...]
    head_keys: tuple[str, ...]

    @property
    def backbone_file(self) -> str:
        return self.backbone.default

    @property
    def backbone_desc(self) -> str:
        return self.backbone.description

    @property
    def heads_file(self) -> str:
        return self.heads.default

    @property
    def heads_desc(self) -> str:
        return self.heads.description


def _part(net: str, part: str, file: str, url: str, description: str) -> WeightsSpec:
    return WeightsSpec(
        name=f"lpips_{net}_{part}",
        default=file,
        library="torch",
        extra="torch",
        preprocessing="RGB in [-1, 1] (normalize=True maps [0, 1] inputs)",
        kind="url",
        url=url,
        description=description,
        alternative=_ALTERNATIVE,
    )


def _spec(net: str, backbone_file: str, backbone_desc: str) -> LPIPSWeightsSpec:
    """``net``'s weights: torchvision's ``backbone_file`` and the lpips package's ``<net>.pth``."""
    return LPIPSWeightsSpec(
        net=net,
        backbone=_part(
            net, "backbone", backbone_file, _TORCHVISION_URL + backbone_file, backbone_desc
        ),
        heads=_part(
            net, "heads", f"{net}.pth", _LPIPS_URL + f"{net}.pth", "LPIPS v0.1 linear heads"
        ),
        backbone_keys=_conv_keys(net),
        head_keys=_head_keys(net),
    )


SPECS: dict[str, LPIPSWeightsSpec] = {
    "vgg": _spec("vgg", "vgg16-397923af.pth", "torchvision VGG16 backbone"),
    "alex": _spec("alex", "alexnet-owt-7be5be79.pth", "torchvision AlexNet backbone"),
}


def spotdiff_home() -> Path:
    """``$SPOTDIFF_HOME`` if set, else ``~/.cache/spotdiff``."""
    env = os.environ.get("SPOTDIFF_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "spotdiff"


def lpips_package_weights_dir() -> Path | None:
    """``<lpips package>/weights/v0.1`` of an installed ``lpips``, found without importing it."""
    try:
        found = importlib.util.find_spec("lpips")
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations))) / "weights" / "v0.1"


def backbone_dirs() -> tuple[Path, ...]:
    """Local caches searched for the backbone file, in order."""
    return (spotdiff_home() / "lpips", Path(torch.hub.get_dir()) / "checkpoints")


def heads_dirs() -> tuple[Path, ...]:
    """Local caches searched for the heads file, in order."""
    pkg = lpips_package_weights_dir()
    return (spotdiff_home() / "lpips",) + ((pkg,) if pkg is not None else ())


def read_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    """Read a state dict of tensors from ``path`` (CPU, ``weights_only=True``).

    Raises:
        InvalidOptionError: the file is not a readable torch checkpoint of tensors.
    """
    try:
        obj: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InvalidOptionError(
            f"cannot read LPIPS weights file {path}: {type(exc).__name__}: {exc}. Expected a "
            "state dict saved with torch.save (a torchvision backbone checkpoint or an lpips "
            "v0.1 heads file); replace or delete the file."
        ) from exc
    for wrapper in ("state_dict", "model"):
        if isinstance(obj, Mapping) and isinstance(obj.get(wrapper), Mapping):
            obj = obj[wrapper]
    if not isinstance(obj, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        raise InvalidOptionError(
            f"LPIPS weights file {path} holds a {type(obj).__name__}, not a state dict of "
            "tensors; expected a torchvision backbone checkpoint or an lpips v0.1 heads file."
        )
    return dict(obj)


_BACKBONE_KEY = re.compile(r"^(?:module\.)?(?:features|net\.slice\d+)\.(\d+)\.(weight|bias)$")
_HEAD_KEY = re.compile(r"^(?:module\.)?lin(\d+)\.model\.\d+\.weight$")


def split_checkpoint(
    state: Mapping[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Split a checkpoint into (backbone, heads) in :class:`LPIPSNet` key names.

    Backbone keys become ``features.{i}.weight|bias`` (from torchvision ``features.{i}.*`` or
    lpips ``net.slice{s}.{i}.*``); head keys ``lin{k}.model.{j}.weight`` become
    ``heads.{k}.weight``. Other keys (``classifier.*``, ...) are dropped. Either part may be empty.
    """
    backbone: dict[str, torch.Tensor] = {}
    heads: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if m := _BACKBONE_KEY.match(key):
            backbone[f"features.{m[1]}.{m[2]}"] = value
        elif m := _HEAD_KEY.match(key):
            heads[f"heads.{m[1]}.weight"] = value
    return backbone, heads


def weight_paths(weights: WeightsArg) -> list[Path]:
    """``weights=`` as a list of paths (``~`` expanded); raise on anything else."""
    if weights is None:
        return []
    if isinstance(weights, (str, os.PathLike)):
        return [Path(weights).expanduser()]
    if isinstance(weights, Sequence) and all(isinstance(w, (str, os.PathLike)) for w in weights):
        return [Path(w).expanduser() for w in weights]
    raise InvalidOptionError(
        f"weights must be None, a path or a list of paths (files or directories), "
        f"got {type(weights).__name__}"
    )


def _missing_message(
    spec: LPIPSWeightsSpec, missing: dict[str, tuple[WeightsSpec, list[Path], str]]
) -> str:
    home = spotdiff_home() / "lpips"
    problems = "; ".join(
        weights_problem(part, part.default, [d / part.default for d in dirs], why)
        for part, dirs, why in missing.values()
    )
    urls = " and ".join(part.url or part.default for part, _, _ in missing.values())
    also = " (`pip install lpips` also ships the heads)" if "heads" in missing else ""
    offline = offline_reason()
    allow = f", or unset {offline.split()[0]} to allow a download" if offline else ""
    return (
        f"LPIPS(net={spec.net!r}) needs {spec.backbone_file} ({spec.backbone_desc}) and "
        f"{spec.heads_file} ({spec.heads_desc}): {problems}. To fix: download {urls}{also} "
        f"into {home}{os.sep} (or set SPOTDIFF_HOME; the backbone may also sit in torch hub's "
        f"checkpoints directory){allow}, or {_ALTERNATIVE}."
    )


def _locate_parts(
    spec: LPIPSWeightsSpec, searches: dict[str, tuple[WeightsSpec, list[Path]]]
) -> dict[str, Path]:
    """The file of each part: found in its folders, else downloaded when every missing part
    may be (one message names all that are missing otherwise)."""
    found: dict[str, Path] = {}
    missing: dict[str, tuple[WeightsSpec, list[Path], str]] = {}
    for part, (wspec, dirs) in searches.items():
        path = next((d / wspec.default for d in dirs if (d / wspec.default).is_file()), None)
        if path is not None:
            found[part] = path
            continue
        blocker = download_blocker(download_host(wspec))
        missing[part] = (wspec, dirs, blocker or "")
    if any(why for _, _, why in missing.values()):
        raise WeightsNotFoundError(
            _missing_message(
                spec, {p: (w, d, why or "not cached") for p, (w, d, why) in missing.items()}
            )
        )
    home = spotdiff_home() / "lpips"
    for part, (wspec, dirs, _) in missing.items():
        found[part] = Path(
            resolve_file(wspec, wspec.default, dirs=dirs, download_to=home / wspec.default)
        )
    return found


def load_lpips_state(
    spec: LPIPSWeightsSpec, weights: WeightsArg = None
) -> tuple[dict[str, torch.Tensor], dict[str, Path]]:
    """Find, read and merge the backbone and heads of ``spec`` (explicit -> caches -> download).

    Args:
        spec: the variant's spec.
        weights: None (caches only), or a path / list of paths: files (classified by their keys;
            one file may supply both parts) and directories (searched for ``spec``'s file names
            before the caches).

    Returns:
        (state, sources): ``state`` in :class:`LPIPSNet` key names (``features.*``,
        ``heads.*``), ``sources`` mapping ``"backbone"`` and ``"heads"`` to the file used.

    Raises:
        WeightsNotFoundError: an explicit path does not exist, or a part is nowhere to be found
            and cannot be downloaded (the message names every file expected, and why).
        InvalidOptionError: a file is unreadable, or a file found by name lacks its part.
    """
    parts: dict[str, dict[str, torch.Tensor]] = {}
    sources: dict[str, Path] = {}
    explicit_dirs: list[Path] = []
    for path in weight_paths(weights):
        if path.is_dir():
            explicit_dirs.append(path)
            continue
        if not path.is_file():
            raise WeightsNotFoundError(
                f"weights={str(path)!r}: no such file or directory; pass the path of "
                f"{spec.backbone_file} and/or {spec.heads_file}, or a directory holding them."
            )
        state = read_checkpoint(path)
        backbone, heads = split_checkpoint(state)
        if not backbone and not heads:
            raise InvalidOptionError(
                f"{path} holds neither backbone keys ({', '.join(spec.backbone_keys[:2])}, ...) "
                f"nor LPIPS head keys ({', '.join(spec.head_keys[:2])}, ...); "
                f"it has {_preview(state)}"
            )
        for part, found in (("backbone", backbone), ("heads", heads)):
            if found:
                if part in parts:
                    raise InvalidOptionError(
                        f"weights gives two {part} checkpoints: {sources[part]} and {path}; "
                        "pass one."
                    )
                parts[part], sources[part] = found, path

    searches = {
        "backbone": (spec.backbone, [*explicit_dirs, *backbone_dirs()]),
        "heads": (spec.heads, [*explicit_dirs, *heads_dirs()]),
    }
    found_paths = _locate_parts(spec, {k: v for k, v in searches.items() if k not in parts})
    for part, path in found_paths.items():
        state = read_checkpoint(path)
        found = split_checkpoint(state)[0 if part == "backbone" else 1]
        if not found:
            keys = spec.backbone_keys if part == "backbone" else spec.head_keys
            raise InvalidOptionError(
                f"{path} should hold the {part} of LPIPS(net={spec.net!r}) (keys "
                f"{', '.join(keys[:2])}, ...) but has {_preview(state)}; replace or delete it."
            )
        parts[part], sources[part] = found, path
    return {**parts["backbone"], **parts["heads"]}, sources


def _preview(state: Mapping[str, torch.Tensor], n: int = 4) -> str:
    keys = list(state)
    more = f", ... ({len(keys)} keys)" if len(keys) > n else ""
    return f"keys {', '.join(keys[:n]) or '(none)'}{more}"


def check_state(
    state: Mapping[str, torch.Tensor],
    expected: Mapping[str, torch.Size],
    spec: LPIPSWeightsSpec,
    sources: Mapping[str, Path],
) -> None:
    """Check that ``state`` has exactly the keys and shapes of ``expected`` (the module's).

    Raises:
        InvalidOptionError: naming the file, the first missing key or wrong shape.
    """
    for key, shape in expected.items():
        part = "heads" if key.startswith("heads.") else "backbone"
        source = sources.get(part, "weights")
        name = f"lin{key.split('.')[1]}.model.1.weight" if part == "heads" else key
        if key not in state:
            raise InvalidOptionError(
                f"{source} lacks {name!r} needed by LPIPS(net={spec.net!r}) (expected the "
                f"{spec.backbone_desc if part == 'backbone' else spec.heads_desc}, like "
                f"{spec.backbone_file if part == 'backbone' else spec.heads_file})"
            )
        if state[key].shape != shape:
            raise InvalidOptionError(
                f"{source}: {name!r} has shape {tuple(state[key].shape)} but LPIPS(net="
                f"{spec.net!r}) expects {tuple(shape)}; is it the checkpoint of another network?"
            )
