"""The browser settings shared by the browser tests and the report benchmark."""

from __future__ import annotations

from spotdiff.viz.report._browser import CHROMIUM_ARGS, chromium_path


def test_chromium_path_default_and_override(monkeypatch):
    monkeypatch.delenv("SPOTDIFF_CHROMIUM", raising=False)
    assert chromium_path() == "/usr/bin/chromium"
    monkeypatch.setenv("SPOTDIFF_CHROMIUM", "/opt/chrome/chrome")
    assert chromium_path() == "/opt/chrome/chrome"


def test_flags_keep_chromium_headless_and_off_the_network():
    assert "--headless" in CHROMIUM_ARGS and "--no-sandbox" in CHROMIUM_ARGS
    assert {"--disable-background-networking", "--disable-component-update"} <= set(CHROMIUM_ARGS)
