"""LPIPS, the learned perceptual image patch similarity (Zhang et al., CVPR 2018), in pure torch.

Reproduces ``lpips.LPIPS(net=..., version="0.1")(x, y, normalize=True)`` of the ``lpips`` 0.1.4
package (and its ``spatial=True`` map) without torchvision or ``lpips``: the backbone is torchvision's
VGG16 / AlexNet ``features`` rebuilt layer for layer (see :mod:`._lpips_net`) and the weights are
resolved like every model's (see :mod:`._lpips_weights`): torchvision's backbone checkpoint
(``vgg16-397923af.pth`` / ``alexnet-owt-7be5be79.pth``) and the ``lpips`` v0.1 heads
(``vgg.pth`` / ``alex.pth``), from ``weights=``, ``$SPOTDIFF_HOME/lpips/`` (default
``~/.cache/spotdiff/lpips/``), torch hub's ``checkpoints/`` directory or an installed ``lpips``
package, else downloaded into ``$SPOTDIFF_HOME/lpips/`` when no offline variable is set
(``SPOTDIFF_OFFLINE``, ``HF_HUB_OFFLINE``) and the host answers a fast probe.

Lower is more similar; 0 for identical images.

The network gives one distance map per backbone tap at that tap's resolution
(:func:`._lpips_net.layer_distances`); both outputs derive from these maps, as in the reference:
the scalar is the sum of their spatial means, the (N, 1, H, W) map the sum of their bilinear
upsamplings. The two agree (``map.mean() == scalar``) when every tap's size divides the image
size (VGG16 with H, W multiples of 16) and differ by ~1e-4 relative otherwise (AlexNet's
stride-4 first layer).
"""

from __future__ import annotations

import copy
import threading

import torch

from ..._errors import InvalidOptionError, LayoutError
from . import register_metric
from ._base import Metric, check_pair, check_reduction, reduce
from ._lpips_net import ARCHS, LPIPSNet, layer_distances, lpips_from_layers, lpips_map_from_layers
from ._lpips_weights import (
    SPECS,
    WeightsArg,
    check_state,
    load_lpips_state,
    spotdiff_home,
    weight_paths,
)

__all__ = ["LPIPS", "build_lpips_net", "clear_lpips_cache", "lpips", "lpips_map"]


def _check_net(net: str) -> str:
    if not isinstance(net, str) or net not in SPECS:
        raise InvalidOptionError(
            f"LPIPS net must be one of {', '.join(repr(n) for n in SPECS)}, got {net!r}"
        )
    return net


def build_lpips_net(
    net: str = "vgg", *, pretrained: bool = True, weights: WeightsArg = None
) -> LPIPSNet:
    """Build the LPIPS network (CPU, float32, frozen, eval mode).

    Args:
        net: ``"vgg"`` (VGG16 backbone) or ``"alex"`` (AlexNet backbone).
        pretrained: load the backbone and heads (local files, else a download when allowed);
            False keeps torch's default random initialisation, heads made non-negative (for
            tests and shapes; its distances are a pseudo-metric but not perceptual).
        weights: None (search the caches), a file, a directory, or a list of them; see
            :func:`._lpips_weights.load_lpips_state`.

    Raises:
        WeightsNotFoundError: ``pretrained=True`` and a file is neither local nor downloadable;
            the message names the exact files expected and why nothing was downloaded.
        InvalidOptionError: unknown ``net``, ``weights`` with ``pretrained=False``, or a file that
            is unreadable or holds another network's weights.
    """
    spec = SPECS[_check_net(net)]
    model = LPIPSNet(net)
    if not pretrained:
        if weights is not None:
            raise InvalidOptionError(
                f"weights={weights!r} is given but pretrained=False; pass pretrained=True to "
                "load them, or drop weights= for random weights."
            )
        return model
    state, sources = load_lpips_state(spec, weights)
    expected = {k: v.shape for k, v in model.state_dict().items()}
    check_state(state, expected, spec, sources)
    model.load_state_dict({k: state[k] for k in expected})
    model.sources = {part: str(path) for part, path in sources.items()}
    return model


def _check_pair(x: torch.Tensor, y: torch.Tensor, net: str) -> None:
    min_size = ARCHS[net].min_size
    check_pair(
        x,
        y,
        metric=f"LPIPS(net={net!r})",
        min_size=min_size,
        min_size_hint="upsample them first" + ("" if net == "vgg" else " or use net='vgg' (16)"),
    )
    if x.shape[1] not in (1, 3):
        raise LayoutError(
            f"LPIPS expects RGB tensors (N, 3, H, W) (or (N, 1, H, W), repeated to RGB), got "
            f"shape {tuple(x.shape)}"
        )


def _prepare(x: torch.Tensor, normalize: bool, dtype: torch.dtype) -> torch.Tensor:
    x = x.to(dtype)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    return 2 * x - 1 if normalize else x


def _layers(
    model: LPIPSNet, x: torch.Tensor, y: torch.Tensor, normalize: bool
) -> list[torch.Tensor]:
    _check_pair(x, y, model.arch.name)
    dtype = model.shift.dtype
    return layer_distances(model, _prepare(x, normalize, dtype), _prepare(y, normalize, dtype))


@register_metric("lpips")
class LPIPS(Metric):
    """LPIPS distance between two image batches, per sample and per pixel.

    Args:
        net: ``"vgg"`` (default, as difference-finder uses) or ``"alex"`` (the ``lpips``
            package's default).
        pretrained: load the weights (local files, else a download when allowed, see
            :mod:`._lpips_weights`); False gives random weights.
        weights: explicit file(s) or directory searched before the caches.
        normalize: True: inputs are in [0, 1] and are mapped to [-1, 1]; False: inputs are
            already in [-1, 1], as the ``lpips`` package expects by default.

    Inputs ``x``, ``y``: float (N, 3, H, W) (or (N, 1, H, W), repeated to RGB), same shape, at
    least 16 (VGG) / 31 (AlexNet) pixels high and wide, on the module's device; they are cast to
    the module's dtype. Gradients flow to both inputs; the weights are frozen.

    Reference: with the same weights, ``forward`` equals ``lpips.LPIPS(net=net)(x, y,
    normalize=True)`` and ``map`` equals ``lpips.LPIPS(net=net, spatial=True)(...)`` of
    ``lpips`` 0.1.4 (checked to 1e-8 against its code on random backbones and its v0.1 heads).
    """

    name = "lpips"
    higher_is_better = False

    def __init__(
        self,
        *,
        net: str = "vgg",
        pretrained: bool = True,
        weights: WeightsArg = None,
        normalize: bool = True,
    ) -> None:
        super().__init__()
        self.net = build_lpips_net(net, pretrained=pretrained, weights=weights)
        self.normalize = bool(normalize)
        self._options = {"net": net, "pretrained": pretrained, "normalize": self.normalize}

    def layers(self, img1: torch.Tensor, img2: torch.Tensor) -> list[torch.Tensor]:
        """Per-layer distance maps, one (N, 1, h_k, w_k) per tap, at each tap's resolution."""
        return _layers(self.net, img1, img2, self.normalize)

    def forward(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        """LPIPS per sample: (N,) in ``img1``'s dtype, >= 0 for the trained heads, 0 if img1 == img2.

        The sum over layers of each layer map's spatial mean (the reference definition). It
        equals ``map(img1, img2).mean((1, 2, 3))`` exactly when the taps divide the image size (VGG16
        with H and W multiples of 16) and differs by about 1e-4 relative otherwise.
        """
        return lpips_from_layers(self.layers(img1, img2)).to(img1.dtype)

    def map(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        """Per-pixel LPIPS: (N, 1, H, W) in ``img1``'s dtype, the layer maps upsampled and summed."""
        return lpips_map_from_layers(self.layers(img1, img2), tuple(img1.shape[-2:])).to(img1.dtype)


# (net, pretrained, weights, spotdiff home, torch hub dir) -> CPU float32 master network;
# (master key, device, dtype) -> copy on that device and dtype.
_MASTERS: dict[tuple, LPIPSNet] = {}
_NETS: dict[tuple, LPIPSNet] = {}
_LOCK = threading.Lock()


def _weights_key(weights: WeightsArg) -> tuple[str, ...] | None:
    if weights is None:
        return None
    return tuple(str(p.resolve()) for p in weight_paths(weights))


def _cached_net(
    net: str, pretrained: bool, weights: WeightsArg, device: torch.device, dtype: torch.dtype
) -> LPIPSNet:
    master_key = (
        _check_net(net),
        bool(pretrained),
        _weights_key(weights),
        str(spotdiff_home()),
        torch.hub.get_dir(),
    )
    key = (master_key, str(device), dtype)
    with _LOCK:
        if key not in _NETS:
            if master_key not in _MASTERS:
                _MASTERS[master_key] = build_lpips_net(net, pretrained=pretrained, weights=weights)
            master = _MASTERS[master_key]
            same = device.type == "cpu" and dtype == torch.float32
            _NETS[key] = master if same else copy.deepcopy(master).to(device=device, dtype=dtype)
        return _NETS[key]


def _checked_layers(
    img1: torch.Tensor,
    img2: torch.Tensor,
    net: str,
    pretrained: bool,
    weights: WeightsArg,
    normalize: bool,
) -> list[torch.Tensor]:
    """Validate the pair and the net, then the cached network's per-layer features of img1 and img2."""
    _check_pair(img1, img2, _check_net(net))
    model = _cached_net(net, pretrained, weights, img1.device, img1.dtype)
    return _layers(model, img1, img2, normalize)


def lpips(
    img1: torch.Tensor,
    img2: torch.Tensor,
    *,
    net: str = "vgg",
    pretrained: bool = True,
    weights: WeightsArg = None,
    normalize: bool = True,
    reduction: str = "none",
) -> torch.Tensor:
    """LPIPS per sample; see :class:`LPIPS` for the other arguments.

    Args:
        reduction: ``"none"`` -> (N,), ``"mean"`` / ``"sum"`` over the batch -> 0-d tensor.

    Returns:
        (N,) (or 0-d) tensor in ``img1``'s dtype, >= 0, 0 for identical images. The network is
        built once per (net, pretrained, weights, cache directories, device, dtype) and reused;
        :func:`clear_lpips_cache` drops them.
    """
    check_reduction(reduction)
    layers = _checked_layers(img1, img2, net, pretrained, weights, normalize)
    return reduce(lpips_from_layers(layers).to(img1.dtype), reduction)


def lpips_map(
    img1: torch.Tensor,
    img2: torch.Tensor,
    *,
    net: str = "vgg",
    pretrained: bool = True,
    weights: WeightsArg = None,
    normalize: bool = True,
) -> torch.Tensor:
    """Per-pixel LPIPS, (N, 1, H, W) in ``img1``'s dtype; see :class:`LPIPS` for the arguments."""
    layers = _checked_layers(img1, img2, net, pretrained, weights, normalize)
    return lpips_map_from_layers(layers, tuple(img1.shape[-2:])).to(img1.dtype)


def clear_lpips_cache() -> None:
    """Forget the networks cached by :func:`lpips` and :func:`lpips_map`."""
    with _LOCK:
        _MASTERS.clear()
        _NETS.clear()
