"""What the ms_differential tests share: benchmarks/ and its mindspore_suite/ on sys.path (the harness's modules), and
a fixture under which `import mindspore` gives gradserve (mindspore_suite's rename-only shim), against the real server."""
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
