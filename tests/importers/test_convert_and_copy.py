"""The convert command, and the SDK's copy of the converter staying the engine's."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from engine import evaluate
from engine.serialize import graph_from_json

from .models import cnn, cnn_input, to_onnx

ROOT = Path(__file__).resolve().parents[2]


def test_convert_command_writes_graph_json(tmp_path):
    m, x = cnn(), cnn_input()
    src, out = tmp_path / "cnn.onnx", tmp_path / "cnn.json"
    src.write_bytes(to_onnx(m, x))
    r = subprocess.run([sys.executable, "-m", "engine.importers", str(src), "-o", str(out)], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert doc["format"] == "gradserve.graph/1"
    y = evaluate(graph_from_json(doc), x.numpy())
    np.testing.assert_allclose(np.asarray(y), m(x).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_convert_command_names_the_unsupported_op(tmp_path):
    class Coin(torch.nn.Module):
        def forward(self, x):
            return torch.bernoulli(torch.sigmoid(x))  # a random op: refused by name

    src = tmp_path / "s.onnx"
    torch.onnx.export(Coin(), (torch.randn(2, 3),), str(src), dynamo=False, opset_version=17)
    r = subprocess.run([sys.executable, "-m", "engine.importers", str(src)], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 2 and "op Bernoulli" in r.stderr and "opset 17" in r.stderr, r.stderr


def test_sdk_copy_of_the_converter_is_current():
    spec = importlib.util.spec_from_file_location("gen_importers", ROOT / "clients/python/tools/gen_importers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    target = ROOT / "clients/python/gradserve/importers/_shared"
    for name, text in mod.render().items():
        assert (target / name).read_text() == text, \
            f"{name} is stale: run python clients/python/tools/gen_importers.py"


def test_sdk_copy_imports_no_engine():
    import ast

    for path in (ROOT / "clients/python/gradserve/importers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            assert not any(n == "engine" or n.startswith("engine.") for n in names), (path, names)


def test_importing_gradserve_loads_no_framework():
    """torch, jax and onnx are optional extras: `import gradserve` pulls in none of them."""
    code = ("import sys, gradserve; heavy = [m for m in ('torch', 'jax', 'onnx') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
