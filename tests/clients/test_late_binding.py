"""gradserve/_late.py: the names lower SDK layers read are all filled once `import gradserve` is done,
and a name nobody filled says so (instead of an AttributeError deep in Tensor arithmetic)."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

import gradserve
from gradserve._late import _Late, late

SDK = Path(gradserve.__file__).parent


def _late_reads() -> set[str]:
    """Every `late.NAME` the SDK's modules read."""
    names = set()
    for p in SDK.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "late" \
                    and node.attr != "bind":
                names.add(node.attr)
    return names


def test_every_name_read_is_bound_after_import():
    reads = _late_reads()
    assert {"ops", "binary", "getitem", "decide", "explore", "initializer", "trace_graph"} <= reads
    assert reads <= set(vars(late)), f"read but never bound: {sorted(reads - set(vars(late)))}"
    assert late.ops is gradserve.ops and late.trace_graph is gradserve.trace_graph


def test_an_unbound_name_is_a_clear_error():
    fresh = _Late()
    with pytest.raises(RuntimeError, match="'ops' is used before the module that provides it was imported"):
        fresh.ops
    with pytest.raises(AttributeError):  # dunders stay AttributeErrors (copy, pickle, hasattr probes)
        fresh.__deepcopy__
    fresh.bind(ops=gradserve.ops)
    assert fresh.ops is gradserve.ops


def test_a_private_module_imported_first_still_gets_the_whole_sdk():
    # importing gradserve._tensor runs gradserve/__init__ first, which imports every layer that fills _late
    code = ("import numpy as np; from gradserve._tensor import Tensor; "
            "x = Tensor(np.array([1.0, 2.0], np.float32)); "
            "print((-x).sum().item(), Tensor(shape=(2,), dtype=None, init='ones').asnumpy().tolist())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["-3.0", "[1.0,", "1.0]"]
