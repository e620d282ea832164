"""service.millis.ms3: an answer's timing figure to three decimals, as round(ms, 3) gives it but for exact ties."""
import numpy as np

from service.millis import ms3


def test_ms3_is_round_to_three_decimals_away_from_ties():
    rng = np.random.default_rng(0)
    xs = np.concatenate([rng.random(20000) * 10.0 ** rng.integers(-4, 5, 20000), [0.0, 0.001, 0.0104, 7.25, 1e6 / 3]])
    for x in map(float, xs):
        got = ms3(x)
        frac = x * 1e3 - np.floor(x * 1e3)
        if abs(frac - 0.5) > 1e-6:  # (a tie to within the product's rounding: either neighbour is right)
            assert got == round(x, 3), x
        else:
            assert abs(got - x) <= 0.0005 + 1e-12, x
        assert len(repr(got).split(".")[1]) <= 3 or "e" in repr(got), (x, got)  # what the answer's JSON shows
