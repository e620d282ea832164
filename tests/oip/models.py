"""The test model repository: the seed's networks as repository entries, and UM-Bridge's test model."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from e2e.helpers import cube_net, matmul_net, sin_cos_net, sin_net, slow_net
from engine import GraphBuilder
from engine.serialize import graph_to_json

F64 = np.float64


def um_net() -> dict:
    """f(x, y) = (sin(x) * y, x * x * y) (elementwise) with x: (3,), y: (3,) float64: two inputs, two outputs."""
    gb = GraphBuilder("um")
    x, y = gb.input((3,), "float64", name="x"), gb.input((3,), "float64", name="y")
    return graph_to_json(gb.build((gb.mul(gb.sin(x), y), gb.mul(gb.mul(x, x), y))))


def logpost_net() -> dict:
    """log p(theta) = -0.5 * |theta - mu|^2, mu = (1, -2): a Gaussian posterior for the docs' sampler."""
    gb = GraphBuilder("logpost")
    theta = gb.input((2,), "float64", name="theta")
    mu = gb.param("mu", np.array([1.0, -2.0], F64), dtype="float64")
    d = gb.sub(theta, mu)
    return graph_to_json(gb.build(gb.mul(gb.sum(gb.mul(d, d)), gb.scalar(-0.5, "float64"))))


DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "bool")


def dtypes_net(dtypes=DTYPES) -> dict:
    """One (2, 3) input of each dtype (by default every one but float32/64 the engine has); outputs x + x
    each (bool: not x)."""
    gb = GraphBuilder("dtypes")
    xs = [gb.input((2, 3), dt, name=dt) for dt in dtypes]
    return graph_to_json(gb.build(tuple(gb.logical_not(x) if dt == "bool" else gb.add(x, x)
                                        for x, dt in zip(xs, dtypes))))


def bf16_net() -> dict:
    """f(x) = (x * x, exp(x)), x: (2, 3) bfloat16: each node computes in float32 and rounds once."""
    gb = GraphBuilder("bf16")
    x = gb.input((2, 3), "bfloat16", name="x")
    return graph_to_json(gb.build((gb.mul(x, x), gb.exp(x))))


def simple_net(dtype: str = "int32") -> dict:
    """Triton's example model `simple`: (INPUT0 + INPUT1, INPUT0 - INPUT1) of two [1, 16] tensors."""
    gb = GraphBuilder("simple")
    a, b = gb.input((1, 16), dtype, name="INPUT0"), gb.input((1, 16), dtype, name="INPUT1")
    return graph_to_json(gb.build((gb.add(a, b), gb.sub(a, b))))


MODELS = {
    "seed_grad": (matmul_net(), {"kind": "grad"}),
    "seed_grad_all": (matmul_net(), {"kind": "grad", "get_all": True}),
    "seed_sens": (matmul_net(), {"kind": "grad", "sens_param": True}),
    "seed_weights": (matmul_net(), {"kind": "grad", "get_by_list": True}),
    "seed_jvp": (sin_cos_net(), {"kind": "jvp"}),
    "seed_vjp": (sin_cos_net(), {"kind": "vjp"}),
    "seed_cube_eval": (cube_net(), {"kind": "eval"}),
    "sin_hessian": (sin_net(), {"kind": "hessian"}),
    "um": (um_net(), {"kind": "eval"}),
    "logpost": (logpost_net(), {"kind": "grad"}),
    "slow": (slow_net(256, 100), {"kind": "eval"}),
    "dtypes": (dtypes_net(), {"kind": "eval"}),
    "narrow_ints": (dtypes_net(("int8", "uint8")), {"kind": "eval"}),  # (gRPC's typed contents: no FP16 input)
    "counted": (cube_net(), {"kind": "eval"}),
    "bf16": (bf16_net(), {"kind": "eval"}),
}


def write_model(root: Path, name: str, graph, config) -> Path:
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "graph.json").write_text(graph if isinstance(graph, str) else json.dumps(graph))
    (d / "config.json").write_text(config if isinstance(config, str) else json.dumps(config))
    return d


def write_repository(root: Path) -> Path:
    for name, (g, cfg) in MODELS.items():
        write_model(root, name, g, cfg)
    return root
