"""A module of the preload test: notes the process that imported it."""

from __future__ import annotations

import os

LOADED_IN = os.getpid()
