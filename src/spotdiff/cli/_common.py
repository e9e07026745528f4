"""Pieces shared by the CLI commands: option specs, output (table or JSON), progress."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from .._errors import InvalidOptionError

__all__ = ["emit_json", "parse_spec", "progress", "stderr_console"]

T = TypeVar("T")


def _parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_spec(spec: str, option: str) -> tuple[str, dict[str, Any]]:
    """``"name:key=value,key=value"`` -> ``("name", {"key": value})`` (numbers parsed)."""
    name, _, rest = spec.partition(":")
    options: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidOptionError(
                f"{option} {spec!r}: options must look like name:key=value,key=value"
            )
        options[key.strip()] = _parse_value(value.strip())
    return name.strip(), options


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=None, allow_nan=False) + "\n")
    sys.stdout.flush()


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def progress(total: int, description: str, *, enabled: bool = True) -> Iterator[Any]:
    """A Rich progress bar on stderr (hidden when not a terminal or not ``enabled``)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = stderr_console()
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled or not console.is_terminal,
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def each_with_progress(items: Iterable[T], total: int, description: str) -> Iterator[T]:
    with progress(total, description) as advance:
        for item in items:
            yield item
            advance()
