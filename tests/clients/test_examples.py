"""Every seed example script, run in-process against the engine-backed fake server, prints the
numbers of seed_expected.md; and each script is the seed's code with only its imports changed.
(tests/clients/test_e2e.py runs the same scripts as processes against a real gradserve-server.)"""
import contextlib
import io
import runpy

import numpy as np
import pytest

from ._examples import EXAMPLES, ROWS, SHARED, expected, printed_numbers, seed_lines

pytestmark = pytest.mark.skipif(SHARED is None, reason="../shared/reference/seed_expected.md is not present")

# Lines of the examples that the seed states in prose rather than code.
PROSE = {"all_inputs": {"self.grad_op = ops.GradOperation(get_all=True)"}}


def test_every_row_has_an_example():
    assert set(expected()) == set(ROWS.values())
    for script in ROWS.values():
        assert (EXAMPLES / f"{script}.py").exists()


@pytest.mark.parametrize("script", sorted(ROWS.values()))
def test_example_prints_the_seed_values(script, fake):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        runpy.run_path(str(EXAMPLES / f"{script}.py"), run_name="__main__")
    got = printed_numbers(buf.getvalue())
    want = expected()[script]
    assert len(got) == len(want), buf.getvalue()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("script", sorted(ROWS.values()))
def test_example_is_the_seed_code_with_only_imports_changed(script):
    seed = seed_lines()
    src = (EXAMPLES / f"{script}.py").read_text()
    body = src.split('"""', 2)[2]  # drop the docstring
    for line in body.splitlines():
        s = " ".join(line.split())
        if not s or s.startswith(("import ", "from ")) or s.startswith("gs.set_context("):
            continue
        assert s in seed or s in PROSE.get(script, ()), f"{script}: line not in the seed: {s!r}"
