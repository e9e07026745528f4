"""Speed of the HTML report at 10,000 rows: the build, and the page in a real browser.

Rows: ``spotdiff.viz.build_report`` over ``--rows`` find records (a synthetic summary.jsonl whose
pairs point at 20 real 640x400 pictures; a third unchanged, one in 50 failed, up to 4 regions
each), then the page opened from file:// in Debian's Chromium through Playwright: time to the
page being ready (data.js parsed, list and first pair drawn), one keyboard step to the next
pair, a status filter over all rows, a name search, and a scroll to the end of the list. The
sizes of the page's code (assets/) and of data.js are printed too. Medians of ``--repeats``.

    python benchmarks/bench_report.py            # needs /usr/bin/chromium and playwright
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from _common import markdown_table
from spotdiff.viz.report._browser import CHROMIUM_ARGS, chromium_path


def _rows(root: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    pictures = []
    for i in range(20):
        img = rng.integers(0, 255, (400, 640, 3), dtype=np.uint8)
        path = root / f"img{i}.png"
        Image.fromarray(img).save(path)
        pictures.append(str(path))
    results = root / "summary.jsonl"
    kinds = ("added", "removed", "changed")
    with open(results, "w") as handle:
        for i in range(n):
            record = {"schema_version": 1, "name": f"shot_{i:05d}"}
            if i % 50 == 7:
                record |= {"image1": pictures[i % 20], "error": "not an image spotdiff can read"}
            else:
                k = 0 if i % 3 == 0 else int(rng.integers(1, 5))
                regions = []
                for _ in range(k):
                    x, y = (int(v) for v in rng.integers(0, 560, 2))
                    regions.append(
                        {
                            "box": [x, y % 320, x + 40, y % 320 + 30],
                            "score": round(float(rng.random()), 6),
                            "area": 900,
                            "kind": kinds[int(rng.integers(0, 3))],
                        }
                    )
                record |= {
                    "image1": pictures[i % 20],
                    "image2": pictures[(i + 1) % 20],
                    "size": [640, 400],
                    "aligned": False,
                    "transform": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                    "regions": regions,
                }
            handle.write(json.dumps(record) + "\n")
    return results


def _page_times(index: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1400, "height": 850})
        start = time.perf_counter()
        page.goto(index.as_uri())
        page.wait_for_function("window.spotdiffReport && window.spotdiffReport.ready")
        out["page ready"] = time.perf_counter() - start

        def timed(name: str, action) -> None:
            t = time.perf_counter()
            action()
            page.evaluate("new Promise(r => requestAnimationFrame(() => r()))")
            out[name] = time.perf_counter() - t

        timed("next pair (j)", lambda: page.keyboard.press("j"))
        timed("filter: errors", lambda: page.click("#status-filter button[data-status=error]"))
        timed("filter: all", lambda: page.click("#status-filter button[data-status=all]"))
        timed("search 'shot_09'", lambda: page.fill("#search", "shot_09"))
        page.fill("#search", "")
        timed(
            "scroll to the end",
            lambda: page.locator("#list").evaluate(
                "e => { e.scrollTop = e.scrollHeight; e.dispatchEvent(new Event('scroll')); }"
            ),
        )
        out["rows in the DOM"] = page.locator("#list .row").count()
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from spotdiff.viz import build_report

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results = _rows(root, args.rows)
        builds, pages = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            info = build_report(results, root / "report")
            builds.append(time.perf_counter() - start)
            pages.append(_page_times(info.index))
        code = sum(p.stat().st_size for p in (root / "report" / "assets").iterdir())
        data = (root / "report" / "data.js").stat().st_size
    rows = [[f"build_report ({args.rows:,} rows)", statistics.median(builds) * 1000]]
    for key in pages[0]:
        if key == "rows in the DOM":
            continue
        rows.append([f"page: {key}", statistics.median(p[key] for p in pages) * 1000])
    print(markdown_table(["step", "median ms"], rows))
    print(
        f"\npage code (assets/): {code / 1024:.0f} KB; data.js: {data / 1024 / 1024:.1f} MB; "
        f"list rows in the DOM: {pages[0]['rows in the DOM']} of {args.rows:,}"
    )


if __name__ == "__main__":
    main()
