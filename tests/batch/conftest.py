"""Worker processes of the batch tests import their tasks from batch_tasks.py (this folder)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _tasks_importable(monkeypatch):
    # a worker gets this process's sys.path when it starts
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
