"""The HTML report in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium).

The page is opened from file:// as a user would. .ci/run installs chromium when it is missing,
so these tests run in CI; on a machine without it (or without the playwright package) they are
skipped with the reason.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile

import numpy as np
import pytest
from PIL import Image

from spotdiff.viz.report import build_report
from spotdiff.viz.report._browser import CHROMIUM_ARGS, chromium_path

CHROMIUM = chromium_path()
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set SPOTDIFF_CHROMIUM)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)

RED, BLUE = (220, 30, 30), (30, 60, 220)


def _save(path, colour, size=(200, 100)):
    Image.fromarray(np.full((size[1], size[0], 3), colour, np.uint8)).save(path)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    _save(root / "red.png", RED)
    _save(root / "blue.png", BLUE)
    _save(root / "heat.png", (250, 250, 0))
    identity = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    rows = []
    for i in range(30):
        regions = (
            []
            if i % 3 == 1
            else [
                {
                    "box": [20, 20, 60, 50],
                    "score": round(0.3 + i / 100, 3),
                    "area": 900,
                    "kind": "added" if i % 2 else "removed",
                },
                {"box": [120, 40, 180, 90], "score": 0.2, "area": 800, "kind": "changed"},
            ]
        )
        rows.append(
            {
                "schema_version": 1,
                "name": f"pair{i:02d}",
                "image1": str(root / "red.png"),
                "image2": str(root / "blue.png"),
                "size": [200, 100],
                "aligned": False,
                "transform": identity,
                "regions": regions,
                "heatmap": str(root / "heat.png"),
            }
        )
    rows.append(
        {
            "schema_version": 1,
            "name": "broken",
            "image1": str(root / "red.png"),
            "error": "no file named broken.* in shots",
        }
    )
    build_report(rows, root / "rep", run_seconds=3.0)
    return (root / "rep" / "index.html").as_uri()


@pytest.fixture(scope="module")
def browser():
    # a fresh profile: launch_persistent_context takes the --user-data-dir Playwright manages
    profile = tempfile.mkdtemp(prefix="spotdiff-chromium-")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=list(CHROMIUM_ARGS),
            headless=True,
            viewport={"width": 1200, "height": 760},
        )
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser, report):
    pg = browser.new_page()
    pg.set_default_timeout(5000)
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.goto(report)
    pg.wait_for_function("window.spotdiffReport && window.spotdiffReport.ready")
    yield pg
    pg.close()
    assert errors == []


def _pixel(page, x, y):
    shot = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    return tuple(np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"))[0, 0])


def _close(colour, expected, tol=40):
    return all(abs(int(a) - b) <= tol for a, b in zip(colour, expected, strict=True))


def test_summary_and_lazy_virtual_list(page):
    summary = page.locator("#summary").inner_text()
    for text in ("PAIRS\n31", "WITH DIFFERENCES\n20", "UNCHANGED\n10", "ERRORS\n1", "3.0 s"):
        assert text in summary
    assert page.locator("#count").inner_text() == "31 pairs"
    rows = page.locator("#list .row")
    assert 0 < rows.count() < 31  # only the rows in view (and a few more) are in the page
    assert rows.first.locator("img").get_attribute("loading") == "lazy"
    assert page.locator("#pair-name").inner_text() == "broken"  # sorted by name


def test_filters_and_sort(page):
    page.click("#status-filter button[data-status=error]")
    assert page.locator("#count").inner_text() == "1 of 31 pairs"
    page.click("#status-filter button[data-status=all]")
    page.fill("#search", "pair1")
    assert page.locator("#count").inner_text() == "10 of 31 pairs"
    page.fill("#search", "")
    page.select_option("#kind-filter", "added")
    assert page.locator("#count").inner_text() == "10 of 31 pairs"
    page.select_option("#kind-filter", "")
    page.fill("#score-filter", "0.5")
    # 0.3 + i / 100 >= 0.5: i = 20..29 with regions (not 22, 25, 28)
    assert page.locator("#count").inner_text() == "7 of 31 pairs"
    page.fill("#score-filter", "0")
    page.select_option("#sort", "score")
    page.locator("#list").evaluate("e => { e.scrollTop = 0; }")
    top = page.locator('#list .row[data-pos="0"]')
    assert top.get_attribute("data-name") == "pair29"


def test_slider_drag_moves_the_visible_split(page):
    page.click("#status-filter button[data-status=diff]")
    page.keyboard.press("2")
    page.keyboard.press("b")  # boxes off: the pixels read are the pictures'
    page.click("#zoom button[data-zoom=fit]")
    vp = page.locator("#stage .viewport").bounding_box()
    y = vp["y"] + vp["height"] / 2
    left, right = vp["x"] + vp["width"] * 0.35, vp["x"] + vp["width"] * 0.65
    assert _close(_pixel(page, left, y), RED) and _close(_pixel(page, right, y), BLUE)
    knob = page.locator("#stage .split .knob").bounding_box()
    page.mouse.move(knob["x"] + knob["width"] / 2, knob["y"] + knob["height"] / 2)
    page.mouse.down()
    page.mouse.move(vp["x"] + vp["width"] * 0.8, knob["y"] + 5, steps=5)
    page.mouse.up()
    split = page.evaluate("window.spotdiffReport.state.split")
    assert 78 < split < 82
    assert _close(_pixel(page, right, y), RED)  # image 1 now shows up to 80%
    assert _close(_pixel(page, vp["x"] + vp["width"] * 0.9, y), BLUE)
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("window.spotdiffReport.state.split") == pytest.approx(split - 5)


def test_onion_opacity_blends(page):
    page.keyboard.press("j")  # the first row (by name) is the error row
    page.click("#modes button[data-mode=onion]")
    page.uncheck("#boxes")
    page.locator("#opacity").fill("100")
    vp = page.locator("#stage .viewport").bounding_box()
    x, y = vp["x"] + vp["width"] * 0.5, vp["y"] + vp["height"] / 2
    assert _close(_pixel(page, x, y), BLUE)
    page.locator("#opacity").fill("0")
    assert _close(_pixel(page, x, y), RED)


def test_keyboard_navigation_views_boxes_and_zoom(page):
    assert page.locator("#pair-name").inner_text() == "broken"
    page.keyboard.press("j")
    assert page.locator("#pair-name").inner_text() == "pair00"
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.locator("#pair-name").inner_text() == "pair00"
    assert page.locator("#list .row.selected").get_attribute("data-name") == "pair00"
    assert page.locator("#stage svg.boxes g").count() == 4  # 2 regions in each of 2 panes
    labels = page.locator("#stage svg.boxes text").all_text_contents()
    assert labels[:2] == ["1", "2"]
    page.keyboard.press("b")
    assert page.locator("#stage svg.boxes").count() == 0
    page.keyboard.press("b")
    assert page.locator("#stage svg.boxes").count() == 2  # one per pane, side by side
    before = page.locator("#stage .canvas").first.get_attribute("style")
    page.keyboard.press("+")
    transforms = {
        c.get_attribute("style").split("transform:")[1]
        for c in page.locator("#stage .canvas").all()
    }
    assert len(transforms) == 1 and before.split("transform:")[1] not in transforms  # in sync
    page.keyboard.press("4")
    assert page.locator("#modes button.on").inner_text() == "heatmap"
    assert page.locator("#stage img[alt=heatmap]").count() == 1
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()


def test_error_row_shows_its_message(page):
    page.click("#status-filter button[data-status=error]")
    page.locator("#list .row").first.click()
    assert page.locator("#info .error-box").inner_text() == (
        "Error: no file named broken.* in shots"
    )
    assert page.locator("#list .row .badge.error").count() == 1


def test_region_row_zooms_to_the_box(page):
    page.keyboard.press("j")
    page.locator("#info tr.region").first.click()
    assert page.evaluate("window.spotdiffReport.state.zoom.s") > 3
