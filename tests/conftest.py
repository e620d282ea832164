"""Suite-wide: JAX's float64 mode per module or per test, from the `jax_x64` marker (tests/jax_mode.py says why);
the --serial option (the Makefile's two passes: xdist, then the tests marked serial alone)."""
import contextlib
import re

import pytest

from jax_mode import jax_x64


def pytest_configure(config):
    config.addinivalue_line("markers", "jax_x64(on=True): run with JAX's jax_enable_x64 set to `on`, restored after "
                                       "(on a module: also for its module-scoped fixtures)")


def _asked(markers) -> bool | None:
    marks = [m for m in markers if m.name == "jax_x64"]
    return None if not marks else bool(marks[0].args[0] if marks[0].args else marks[0].kwargs.get("on", True))


@contextlib.contextmanager
def _mode(on: bool | None):
    if on is None:
        yield
    else:
        with jax_x64(on):
            yield


@pytest.fixture(scope="module", autouse=True)
def _jax_x64_module(request):
    """A module's mark, set before its module-scoped fixtures (autouse first within a scope) and for all its tests."""
    with _mode(_asked(request.node.iter_markers())):
        yield


@pytest.fixture(autouse=True)
def _jax_x64_test(request):
    """A mark on the test itself (or on its parameter) over its module's."""
    with _mode(_asked(request.node.own_markers)):
        yield



_SERIAL_WORD = re.compile(r"\bserial\b", re.I)


def pytest_addoption(parser):
    parser.addoption("--serial", choices=("with", "without", "only"), default="with",
                     help="tests marked serial: run them with the rest (default), leave them out (the Makefile's "
                          "xdist pass), or run only them (its serial pass); composes with -m")


def pytest_ignore_collect(collection_path, config):
    """`--serial only` (the Makefile's second pass) imports only the test files holding the word "serial" (any
    case): the others hold no serial test, and importing the whole suite's ~600 files only to deselect them costs
    a minute of collection. So a `serial` mark goes in the test file itself (a decorator, a pytestmark, a param's
    marks), never applied from a conftest or a hook."""
    if (config.getoption("serial") == "only" and collection_path.suffix == ".py"
            and collection_path.name.startswith("test_")
            and not _SERIAL_WORD.search(collection_path.read_text(errors="replace"))):
        return True
    return None


def pytest_collection_modifyitems(config, items):
    """`--serial without` / `only`: the tests marked serial left out / kept alone (after -m's selection)."""
    keep = config.getoption("serial")
    if keep == "with":
        return
    chosen, dropped = [], []
    for item in items:
        (chosen if (item.get_closest_marker("serial") is not None) == (keep == "only") else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = chosen
