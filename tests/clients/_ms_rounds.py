"""The check every differential round's generator gets (tests/clients/test_ms_differential1x.py): the same seed
draws the same programs, each compiles, and the sample covers the round's forms, modes and spellings."""
from __future__ import annotations

from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import ms_differential as msd  # noqa: E402


def checked_programs(make, seed: int, *, forms: set, spellings: tuple, modes: set = frozenset()) -> list:
    """make(seed, 400, available)'s programs, after asserting the above (forms exactly, modes at least)."""
    first, again = make(seed, 400, msd._available), make(seed, 400, msd._available)
    assert first == again
    for prog in first:
        compile(prog["src"], prog["name"], "exec")
    assert {p["api"].split(".")[0] for p in first} == forms
    assert {p["mode"] for p in first} >= modes
    text = "\n".join(p["src"] for p in first)
    for spelling in spellings:
        assert spelling in text, spelling
    return first
