"""Every seed row has an example script, and each script is the seed's code with only its imports
changed. That each prints the numbers of seed_expected.md is checked against a real gradserve-server
(tests/clients/test_e2e.py), not against a stand-in."""
import pytest

from ._examples import EXAMPLES, ROWS, expected, seed_lines

# Lines of the examples that the seed states in prose rather than code.
PROSE = {"all_inputs": {"self.grad_op = ops.GradOperation(get_all=True)"}}


def test_every_row_has_an_example():
    assert set(expected()) == set(ROWS.values())
    for script in ROWS.values():
        assert (EXAMPLES / f"{script}.py").exists()


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
