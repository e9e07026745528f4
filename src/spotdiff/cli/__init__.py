"""The ``spotdiff`` command line.

One file per command; each calls the public function with the same parameter names. Errors that
spotdiff raises on purpose (bad input, bad options) print one line on stderr and exit with code 2;
``SPOTDIFF_DEBUG=1`` shows the traceback instead. Any other exception (a bug) also exits 2, never
1 (which means "differences found"), with one line that says so. Every Python warning raised
while a command runs becomes one line ``spotdiff: warning: ...`` (``_common.warnings_to_stderr``).
Nothing heavy (torch, models) is imported until a command needs it.
"""

from __future__ import annotations

import os
import sys

import typer

from .._errors import SpotdiffError
from ._common import warnings_to_stderr

try:  # typer >= 0.22 vendors click; older releases raise click's own exceptions
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as _click_errors

__all__ = ["app", "main"]

app = typer.Typer(
    name="spotdiff",
    help="Find, localize and explain the differences between two images.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"spotdiff {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Find, localize and explain the differences between two images."""


# Commands register themselves on `app` when imported.
from . import bench as _bench  # noqa: E402, F401
from . import figure as _figure  # noqa: E402, F401
from . import find as _find  # noqa: E402, F401
from . import ground as _ground  # noqa: E402, F401
from . import imgdiff as _imgdiff  # noqa: E402, F401
from . import map as _map  # noqa: E402, F401
from . import report as _report  # noqa: E402, F401


def _fail(message: str) -> int:
    line = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    sys.stderr.write(f"spotdiff: error: {line}\n")
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 differences found where documented, 2 error)."""
    debug = os.environ.get("SPOTDIFF_DEBUG", "") not in ("", "0")
    try:
        with warnings_to_stderr():
            code = app(args=argv, prog_name="spotdiff", standalone_mode=False)
    except _click_errors.UsageError as exc:
        if debug:
            raise
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        return _fail(f"{exc.format_message()}{hint}")
    except typer.Abort:
        return _fail("aborted")
    except _click_errors.ClickException as exc:
        if debug:
            raise
        return _fail(exc.format_message())
    except (SpotdiffError, OSError) as exc:
        if debug:
            raise
        return _fail(str(exc))
    except KeyboardInterrupt:
        sys.stderr.write("spotdiff: interrupted\n")
        return 130
    except Exception as exc:  # a bug: still one line and exit 2, never 1 ("differences found")
        if debug:
            raise
        return _fail(
            f"unexpected {type(exc).__name__}: {exc} (a bug in spotdiff; rerun with "
            "SPOTDIFF_DEBUG=1 for the traceback and report it)"
        )
    return code if isinstance(code, int) else 0
