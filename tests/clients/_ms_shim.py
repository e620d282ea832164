"""What the ms_differential tests share: benchmarks/ and its mindspore_suite/ on sys.path (the harness's modules), and
a fixture under which `import mindspore` gives gradserve (mindspore_suite's rename-only shim), against the real server,
and the check every round's program generator passes."""
import importlib.util
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "benchmarks"), os.path.join(ROOT, "benchmarks", "mindspore_suite")]


@pytest.fixture
def mindspore_is_gradserve(on_real_server):
    spec = importlib.util.spec_from_file_location("_ms_shim", os.path.join(ROOT, "benchmarks", "mindspore_suite",
                                                                         "conftest.py"))
    shim = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shim)
    finder = shim._Alias()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if n == "mindspore" or n.startswith("mindspore.")]:
            del sys.modules[name]


def assert_programs_reproducible(programs, seed: int, count: int, available, unlisted: tuple = ()) -> None:
    """A round's generator (`programs(seed, count, available)`) gives the same programs for the same seed, each
    compiles, and each calls an API the harness lists as available (holders in `unlisted` are the round's own: round
    7's nn layers are built by the generator, not looked up)."""
    first, again = programs(seed, count, available), programs(seed, count, available)
    assert first == again
    for prog in first:
        compile(prog["src"], prog["name"], "exec")
        holder, name = prog["api"].split(".")
        assert holder in unlisted or available(holder, name), prog["api"]


def in_mode(graph: bool, fn):
    """fn() with the shimmed `mindspore` in GRAPH_MODE (graph) or PYNATIVE_MODE, the mode before restored after
    (the differential rounds' tests run each program in both)."""
    import mindspore as ms
    mode = ms.get_context("mode")
    ms.set_context(mode=ms.GRAPH_MODE if graph else ms.PYNATIVE_MODE)
    try:
        return fn()
    finally:
        ms.set_context(mode=mode)
