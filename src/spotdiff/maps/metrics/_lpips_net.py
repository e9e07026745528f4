"""The LPIPS network: backbone taps, unit-normalised feature differences, linear heads.

Pure torch (no torchvision, no ``lpips`` package). The backbones are built layer for layer like
torchvision's ``vgg16().features`` and ``alexnet().features`` so that torchvision checkpoint keys
(``features.0.weight``, ...) load unchanged; the taps and the rest follow the LPIPS paper and the
``lpips`` 0.1.4 package (Zhang et al., "The Unreasonable Effectiveness of Deep Features as a
Perceptual Metric", CVPR 2018), v0.1:

* inputs in [-1, 1] go through the ScalingLayer ``(x - shift) / scale`` with
  ``shift = (-0.030, -0.088, -0.188)`` and ``scale = (0.458, 0.448, 0.450)``;
* the features after ReLUs ``relu1_2, relu2_2, relu3_3, relu4_3, relu5_3`` (VGG16, torchvision
  ``features`` indices 3, 8, 15, 22, 29) or ``relu1 ... relu5`` (AlexNet, indices 1, 4, 7, 9, 11)
  are unit-normalised across channels, ``f / (||f||_2 + 1e-10)``;
* their squared differences go through one bias-free 1x1 convolution per layer (channels
  64, 128, 256, 512, 512 for VGG16; 64, 192, 384, 256, 256 for AlexNet) to one channel;
* the scalar is the sum over layers of the spatial means, the map the sum over layers of the
  bilinear (``align_corners=False``) upsamplings to the input size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ARCHS",
    "SCALE",
    "SHIFT",
    "BackboneArch",
    "LPIPSNet",
    "layer_distances",
    "lpips_from_layers",
    "lpips_map_from_layers",
    "scale_inputs",
    "unit_normalize",
]

SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
EPS = 1e-10

# A layer: ("conv", out_channels, kernel, stride, padding) | ("relu",) | ("pool", kernel, stride).
Layer = tuple


@dataclass(frozen=True)
class BackboneArch:
    """A backbone as data: its ``features`` layers, where LPIPS taps them, and the tap widths.

    Attributes:
        name: ``"vgg"`` or ``"alex"``.
        layers: torchvision's ``features`` up to the last tap, in order (same indices).
        taps: exclusive end index of each slice; the output of layer ``taps[k] - 1`` is tapped.
        channels: channels of each tap (the input widths of the linear heads).
        min_size: smallest input height / width the backbone accepts.
    """

    name: str
    layers: tuple[Layer, ...]
    taps: tuple[int, ...]
    channels: tuple[int, ...]
    min_size: int

    def conv_indices(self) -> tuple[int, ...]:
        """Indices of the convolutions in ``features`` (the only layers with parameters)."""
        return tuple(i for i, layer in enumerate(self.layers) if layer[0] == "conv")


def _vgg16_layers() -> tuple[Layer, ...]:
    # torchvision cfg "D" without the final max-pool (index 30), which LPIPS never reaches.
    cfg = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512)
    layers: list[Layer] = []
    for v in cfg:
        if v == "M":
            layers.append(("pool", 2, 2))
        else:
            layers += [("conv", v, 3, 1, 1), ("relu",)]
    return tuple(layers)


_ALEX_LAYERS: tuple[Layer, ...] = (
    ("conv", 64, 11, 4, 2),
    ("relu",),
    ("pool", 3, 2),
    ("conv", 192, 5, 1, 2),
    ("relu",),
    ("pool", 3, 2),
    ("conv", 384, 3, 1, 1),
    ("relu",),
    ("conv", 256, 3, 1, 1),
    ("relu",),
    ("conv", 256, 3, 1, 1),
    ("relu",),
)

ARCHS: dict[str, BackboneArch] = {
    "vgg": BackboneArch(
        name="vgg",
        layers=_vgg16_layers(),
        taps=(4, 9, 16, 23, 30),
        channels=(64, 128, 256, 512, 512),
        min_size=16,
    ),
    "alex": BackboneArch(
        name="alex",
        layers=_ALEX_LAYERS,
        taps=(2, 5, 8, 10, 12),
        channels=(64, 192, 384, 256, 256),
        min_size=31,
    ),
}


def build_features(arch: BackboneArch) -> nn.Sequential:
    """torchvision-compatible ``features`` (keys ``"{index}.weight"``, ``"{index}.bias"``)."""
    modules: list[nn.Module] = []
    channels = 3
    for layer in arch.layers:
        if layer[0] == "conv":
            _, out, kernel, stride, padding = layer
            modules.append(nn.Conv2d(channels, out, kernel, stride=stride, padding=padding))
            channels = out
        elif layer[0] == "relu":
            modules.append(nn.ReLU(inplace=True))
        else:
            modules.append(nn.MaxPool2d(kernel_size=layer[1], stride=layer[2]))
    return nn.Sequential(*modules)


def scale_inputs(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """LPIPS v0.1 ScalingLayer: ``(x - shift) / scale`` per channel.

    Args:
        x: (N, 3, H, W) float in [-1, 1].
        shift, scale: (1, 3, 1, 1) float, see :data:`SHIFT` and :data:`SCALE`.
    """
    return (x - shift) / scale


def unit_normalize(features: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Divide each pixel's feature vector by its L2 norm across channels (plus ``eps``).

    Args:
        features: (N, C, h, w) float. Computed in at least float32 so that ``eps`` does not
            underflow in half precision (all-zero ReLU vectors then stay 0 instead of NaN).

    Returns:
        (N, C, h, w) float32 (or float64 for float64 input), unit length or zero per pixel.
    """
    f = features if features.dtype == torch.float64 else features.float()
    norm = torch.sqrt(torch.sum(f * f, dim=1, keepdim=True))
    return f / (norm + eps)


def layer_distances(net: LPIPSNet, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    """Per-layer LPIPS distance maps at each tap's own resolution.

    Args:
        net: the network (backbone and heads).
        x, y: (N, 3, H, W) float in [-1, 1] (already mapped from [0, 1] if needed).

    Returns:
        One (N, 1, h_k, w_k) float tensor per tap, >= 0 for the trained (non-negative) heads;
        float32 unless the inputs are float64.
    """
    n = x.shape[0]
    h = scale_inputs(torch.cat([x, y]), net.shift, net.scale)
    out: list[torch.Tensor] = []
    start = 0
    for end, head in zip(net.arch.taps, net.heads, strict=True):
        h = net.features[start:end](h)
        start = end
        f = unit_normalize(h)
        diff = (f[:n] - f[n:]) ** 2
        out.append(F.conv2d(diff, head.weight.to(diff.dtype)))
    return out


def lpips_from_layers(layers: list[torch.Tensor]) -> torch.Tensor:
    """Scalar LPIPS per sample: sum over layers of the spatial mean. Returns (N,)."""
    return torch.stack([d.mean(dim=(2, 3)) for d in layers]).sum(dim=0)[:, 0]


def lpips_map_from_layers(layers: list[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
    """Per-pixel LPIPS map: sum over layers of the bilinear upsampling to ``size``.

    Returns:
        (N, 1, H, W). Its spatial mean equals :func:`lpips_from_layers` exactly when every tap's
        size divides ``size`` (VGG16 with H and W multiples of 16); otherwise it is close but
        not equal, as in the ``lpips`` package's ``spatial=True`` mode.
    """
    total = F.interpolate(layers[0], size=size, mode="bilinear", align_corners=False)
    for d in layers[1:]:
        total = total + F.interpolate(d, size=size, mode="bilinear", align_corners=False)
    return total


class LPIPSNet(nn.Module):
    """Backbone ``features`` (torchvision layout) plus one 1x1 bias-free head per tap.

    State dict keys: ``features.{i}.weight`` / ``features.{i}.bias`` (as torchvision's) and
    ``heads.{k}.weight`` of shape (1, C_k, 1, 1) (``lin{k}.model.1.weight`` in the ``lpips``
    package). Parameters are frozen (``requires_grad=False``); gradients still flow to the inputs.
    The module stays in eval mode (it has no dropout or batch norm, so the mode changes nothing).
    Random initialisation is torch's default, with the heads made non-negative (as training
    clamps them), so a random-weight LPIPS is still >= 0 and 0 only where the features agree.
    """

    def __init__(self, net: str = "vgg") -> None:
        super().__init__()
        self.arch = ARCHS[net]
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1), persistent=False)
        self.features = build_features(self.arch)
        self.heads = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in self.arch.channels)
        with torch.no_grad():  # trained heads are clamped >= 0; keep random ones so too
            for head in self.heads:
                head.weight.abs_()
        self.sources: dict[str, str] = {}  # part -> file the weights came from (if loaded)
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
        """See :func:`layer_distances`."""
        return layer_distances(self, x, y)
