"""Every spotdiff error is a SpotdiffError and the built-in error callers already catch."""

from __future__ import annotations

import pytest

from spotdiff import _errors


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (_errors.InvalidOptionError, ValueError),
        (_errors.UnknownNameError, ValueError),
        (_errors.ImageReadError, ValueError),
        (_errors.LayoutError, ValueError),
        (_errors.SizeMismatchError, ValueError),
        (_errors.PairingError, ValueError),
        (_errors.MissingDependencyError, ImportError),
        (_errors.WeightsNotFoundError, FileNotFoundError),
    ],
)
def test_errors_subclass_spotdiff_and_builtin(error, builtin):
    assert issubclass(error, _errors.SpotdiffError) and issubclass(error, builtin)
    with pytest.raises(builtin, match="what to do"):
        raise error("what came; what to do")


def test_unknown_name_is_an_invalid_option_and_warning_category():
    assert issubclass(_errors.UnknownNameError, _errors.InvalidOptionError)
    assert issubclass(_errors.SpotdiffWarning, UserWarning)
    assert sorted(_errors.__all__) == sorted(
        n for n in dir(_errors) if n[0].isupper() and not n.startswith("_")
    )
