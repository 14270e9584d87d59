"""The meters' bars agree with their numbers: empty only at the lowest value, full only at the
highest, never a step back as the value rises (issue 14: no off-by-rounding between the
console's bar and the number line mode says)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from game.engine.runtime import Meter


@st.composite
def meters(draw: st.DrawFn) -> tuple[Meter, int]:
    low = draw(st.integers(-20, 20))
    high = draw(st.integers(low + 1, low + 40))
    value = draw(st.integers(low - 5, high + 5))
    return Meter("trust", value, low, high), draw(st.integers(2, 12))


@given(meters())
def test_a_bar_is_empty_or_full_only_at_the_ends_of_its_range(drawn: tuple[Meter, int]) -> None:
    meter, cells = drawn
    filled = meter.filled(cells)
    assert 0 <= filled <= cells
    assert (filled == 0) == (meter.value <= meter.low)
    assert (filled == cells) == (meter.value >= meter.high)


@given(meters())
def test_a_bar_never_shrinks_as_its_value_rises(drawn: tuple[Meter, int]) -> None:
    meter, cells = drawn
    higher = Meter(meter.name, meter.value + 1, meter.low, meter.high)
    assert higher.filled(cells) >= meter.filled(cells)


def test_trust_one_of_ten_is_not_drawn_as_none() -> None:
    # round() drew 1 of 10 in five cells as none (0.5 rounds to even) and 5 as 2 of 5.
    bars = [Meter("trust", v, 0, 10).filled(5) for v in range(11)]
    assert bars == [0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5]
