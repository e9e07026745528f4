from __future__ import annotations

import pytest

from spotdiff import InvalidOptionError, UnknownNameError
from spotdiff._registry import Registry


def _make():
    reg: Registry[int] = Registry("widget")

    @reg.register("alpha_beta", aliases=("ab",))
    def _ab(scale: int = 1) -> int:
        return 10 * scale

    return reg


def test_lookup_is_case_dash_and_alias_insensitive():
    reg = _make()
    assert reg.get("alpha_beta") == 10
    assert reg.get("Alpha-Beta", scale=2) == 20
    assert reg.get("AB") == 10
    assert "ab" in reg and "x" not in reg and 3 not in reg
    assert reg.names() == ["alpha_beta"] and len(reg) == 1 and list(reg) == ["alpha_beta"]


def test_unknown_name_lists_close_matches_and_valid_names():
    reg = _make()
    with pytest.raises(
        UnknownNameError, match=r"unknown widget 'alpha_bet'\. Did you mean 'alpha_beta'"
    ):
        reg.get("alpha_bet")
    with pytest.raises(UnknownNameError, match="Valid names: alpha_beta"):
        reg.get("zzz")
    with pytest.raises(InvalidOptionError, match="must be a name"):
        reg.get(5)  # type: ignore[arg-type]


def test_collisions_raise():
    reg = _make()
    with pytest.raises(InvalidOptionError, match="already registered"):
        reg.register("AB")(lambda: 1)
    with pytest.raises(InvalidOptionError, match="already registered"):
        reg.register("alpha-beta")(lambda: 1)


def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError):
        _make().get("ab", colour="red")
