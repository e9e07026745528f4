"""Tasks of the batch tests, in a module of their own: worker processes import it by name
(pytest's importlib mode gives test modules names no other process can import)."""

from __future__ import annotations

import os


class SquareTask:
    """Setup notes the worker's pid; each row says which worker ran it; payload 3 fails."""

    def setup(self) -> dict:
        return {"pid": os.getpid()}

    def run(self, state: dict, payload: int) -> dict:
        if payload == 3:
            return {"key": payload, "error": "three is bad"}
        return {"key": payload, "square": payload * payload, "_pid": state["pid"]}


class KeyedTask:
    """Rows of the runner tests: ``{"key", "value"}``, ``"error"`` when the payload is bad."""

    def setup(self) -> None:
        return None

    def run(self, state: None, payload: dict) -> dict:
        row = {"key": payload["key"], "value": payload["value"], "_note": "not written"}
        return row | ({"error": "bad"} if payload.get("bad") else {})


class ThreadsTask:
    """Each row says how many threads OpenCV (loaded by the setup) may use in its worker."""

    def setup(self) -> None:
        import cv2  # noqa: F401 - loaded by the setup, as the find task loads it

    def run(self, state: None, payload: int) -> dict:
        import cv2

        return {"key": payload, "cv2": cv2.getNumThreads(), "omp": os.environ["OMP_NUM_THREADS"]}


class PreloadTask:
    """Names a module for the forkserver; each row says which process imported it."""

    preload = ("batch_preloaded",)

    def setup(self) -> None:
        return None

    def run(self, state: None, payload: int) -> dict:
        import batch_preloaded

        return {"key": payload, "loaded_in": batch_preloaded.LOADED_IN, "pid": os.getpid()}


class CountedSetupTask:
    """Each ``setup`` adds its process id as a line of the file ``log``; a row is its payload."""

    def __init__(self, log: str) -> None:
        self.log = log

    def setup(self) -> int:
        with open(self.log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        return os.getpid()

    def run(self, state: int, payload: int) -> dict:
        return {"key": payload, "_pid": state}
