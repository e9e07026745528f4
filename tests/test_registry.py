from __future__ import annotations

import contextlib

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


def test_unknown_option_names_the_valid_options():
    # regression: an unknown option was the factory's TypeError (a traceback, exit 1 in the CLI)
    with pytest.raises(
        InvalidOptionError,
        match=r"^unknown option 'colour' for widget 'alpha_beta'; valid options: scale$",
    ):
        _make().get("ab", colour="red")
    with pytest.raises(InvalidOptionError, match=r"did you mean 'scale'"):
        _make().get("ab", scal=2)


def test_options_of_a_factory():
    reg = _make()
    reg.register("plain")(lambda: 0)
    reg.register("anything")(lambda **kw: len(kw))
    assert reg.options("AB") == ("scale",)
    assert reg.options("plain") == ()
    assert reg.options("anything") is None  # **kwargs: every option goes to the factory
    assert reg.get("anything", a=1, b=2) == 2
    with pytest.raises(InvalidOptionError, match=r"valid options: \(none\)"):
        reg.get("plain", scale=1)


def test_required_option_missing():
    reg: Registry[int] = Registry("widget")
    reg.register("needs")(lambda size: size)
    with pytest.raises(InvalidOptionError, match="needs the option 'size'; valid options: size"):
        reg.get("needs")
    assert reg.get("needs", size=3) == 3


def test_a_bad_value_type_becomes_invalid_option_error():
    reg: Registry[float] = Registry("widget")

    @reg.register("half")
    def _half(value: float = 1.0) -> float:
        return value / 2  # "abc" / 2: TypeError inside the factory

    with pytest.raises(
        InvalidOptionError, match=r"widget 'half' rejects value='abc'.*valid options: value"
    ):
        reg.get("half", value="abc")
    assert reg.get("half", value=3) == 1.5


def test_a_factory_bug_without_options_is_not_disguised():
    reg: Registry[int] = Registry("widget")

    @reg.register("broken")
    def _broken() -> int:
        raise TypeError("a bug")

    with pytest.raises(TypeError, match="a bug") as info:
        reg.get("broken")
    assert not isinstance(info.value, InvalidOptionError)


# ----------------------------------------------------------------------------------------------
# the contract every registry of spotdiff.maps keeps, over every registered name


def _map_registries():
    from spotdiff.maps.metrics import METRICS
    from spotdiff.maps.processors import POSTPROCESSORS, PREPROCESSORS
    from spotdiff.maps.strategies import STRATEGIES

    return {
        "metric": METRICS,
        "strategy": STRATEGIES,
        "pre-processor": PREPROCESSORS,
        "post-processor": POSTPROCESSORS,
    }


# options that make a component buildable offline (LPIPS: random weights, never downloaded)
BASE_OPTIONS = {("metric", "lpips"): {"pretrained": False, "net": "alex"}}
BAD_VALUES = ["abc", float("nan"), float("inf"), -1, None, [1]]


def _every_name():
    return [(kind, name) for kind, reg in _map_registries().items() for name in reg.names()]


@pytest.mark.parametrize(("kind", "name"), _every_name())
def test_every_registered_component_rejects_an_unknown_option(kind, name):
    reg = _map_registries()[kind]
    base = BASE_OPTIONS.get((kind, name), {})
    reg.get(name, **base)  # builds with its defaults
    valid = reg.options(name)
    assert valid is not None  # every map component states its options
    listed = ", ".join(valid) or "(none)"
    with pytest.raises(InvalidOptionError) as info:
        reg.get(name, **base, nope=1)
    assert str(info.value) == (
        f"unknown option 'nope' for {kind} {name!r}; valid options: {listed}"
    )


@pytest.mark.parametrize(("kind", "name"), _every_name())
def test_every_option_takes_a_bad_value_as_a_spotdiff_error(kind, name):
    # a bad value builds (when it means something) or raises a SpotdiffError: never the
    # factory's TypeError / OverflowError, which the CLI would show as a traceback with exit 1
    from spotdiff._errors import SpotdiffError

    reg = _map_registries()[kind]
    base = BASE_OPTIONS.get((kind, name), {})
    for option in reg.options(name):
        for value in BAD_VALUES:
            with contextlib.suppress(SpotdiffError):
                reg.get(name, **{**base, option: value})


def test_the_cli_example_of_the_brief():
    from spotdiff.maps import get_preprocessor

    with pytest.raises(
        InvalidOptionError,
        match=r"^unknown option 'nope' for pre-processor 'highpass_filter'; valid options: factor$",
    ):
        get_preprocessor("highpass_filter", nope=1)
