"""Difference maps with the gradient strategy, per metric: spotdiff's Finder against the computation
difference-finder 0.0.4 performs (its Finder cannot be imported here: it needs torchvision), side
by side in one run.

difference-finder's path, restated: images as (1, C, H, W) float tensors; ``target.requires_grad``;
the metric (``nn.MSELoss``, ``20 log10(1 / sqrt(mse))``, pytorch-msssim ``ssim`` / ``ms_ssim`` on
NCHW input); ``torch.autograd.grad``; channel mean. LPIPS is timed for spotdiff only (random
weights; difference-finder's needs the lpips package and downloaded weights), one timed run.
Both sides get contiguous NCHW float tensors, as difference-finder's loader (ToTensor) makes.

Run: python benchmarks/bench_maps.py [--sizes 1920x1080,3840x2160] [--repeats 5] [--metrics ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from _common import markdown_table, median_ms, photo_pair


def _difference_finder_metric(name):
    from pytorch_msssim import ms_ssim, ssim

    def mse(a, b):
        return torch.nn.functional.mse_loss(a, b)

    def psnr(a, b):
        return 20 * torch.log10(1.0 / torch.sqrt(torch.mean((a - b) ** 2)))

    return {"mse": mse, "psnr": psnr, "ssim": ssim, "ms_ssim": ms_ssim}.get(name)


def _difference_finder_map(metric, img1, img2):
    target = img1.clone().requires_grad_(True)
    scalar = metric(img2, target).mean()
    (grad,) = torch.autograd.grad(scalar, target)
    return grad[0].mean(dim=0).numpy()


def main() -> None:
    from spotdiff.maps import Finder, get_metric

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1920x1080,3840x2160")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--metrics", default="mse,psnr,ssim,ms_ssim,lpips")
    parser.add_argument(
        "--lpips-max-pixels",
        type=int,
        default=1920 * 1080,
        help="LPIPS (VGG16) only up to this many pixels: its backward pass at 4K needs > 24 GB",
    )
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    rows = []
    for size in args.sizes.split(","):
        width, height = (int(v) for v in size.lower().split("x"))
        a, b = photo_pair(width, height)
        # contiguous NCHW float tensors, as torchvision's ToTensor (difference-finder's loader) gives
        t1 = (torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255).contiguous()
        t2 = (torch.from_numpy(b).permute(2, 0, 1)[None].float() / 255).contiguous()
        for name in args.metrics.split(","):
            if name == "lpips" and width * height > args.lpips_max_pixels:
                # measured: VGG16 forward + backward at 3840x2160 grew past 24 GB (OOM-killed)
                rows.append((size, name, "skipped: > --lpips-max-pixels", "n/a", "n/a"))
                continue
            metric = get_metric(name, pretrained=False) if name == "lpips" else get_metric(name)
            finder = Finder(strategy="gradient", metric=metric, device="cpu")  # CPU vs CPU
            # VGG16 forward + backward at 4K takes minutes on 2 cores: one timed run after warm-up
            repeats = 1 if name == "lpips" else args.repeats
            ours = median_ms(lambda f=finder, a=t1, b=t2: f.run(a, b), repeats=repeats)
            peer_metric = _difference_finder_metric(name)
            if peer_metric is None:
                rows.append((size, name, ours, "n/a", "n/a"))
                continue
            peer = median_ms(
                lambda m=peer_metric, a=t1, b=t2: _difference_finder_map(m, a, b),
                repeats=args.repeats,
            )
            rows.append((size, name, ours, peer, f"{peer / ours:.2f}x"))
            print(rows[-1], file=sys.stderr, flush=True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU\n")
    header = ["size", "metric", "spotdiff Finder (ms)", "difference-finder path (ms)", "speed-up"]
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
