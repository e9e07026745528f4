"""How spotdiff opens its reports in a real browser (browser tests, benchmarks, screenshots).

Debian's Chromium (``/usr/bin/chromium``, or ``$SPOTDIFF_CHROMIUM``) driven by Playwright through
``executable_path`` (Playwright's own browser download cannot work on machines without internet),
headless, with the background services that would try the network turned off.
"""

from __future__ import annotations

import os

__all__ = ["CHROMIUM_ARGS", "chromium_path"]

#: Flags for a headless Chromium that never reaches for the network on its own.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str:
    """The Chromium executable: ``$SPOTDIFF_CHROMIUM``, else ``/usr/bin/chromium``."""
    return os.environ.get("SPOTDIFF_CHROMIUM", "/usr/bin/chromium")
