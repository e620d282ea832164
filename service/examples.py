"""Request examples for the OpenAPI page: the seed's MatMul network, built with the engine's
GraphBuilder so that each example is a valid request (a test posts every one of them)."""
from __future__ import annotations

import functools

X = [[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]]
Y = [[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]]


@functools.lru_cache(maxsize=None)
def seed_graph() -> dict:
    """Net(x, y) = MatMul(x * z, y) with parameter z = [1.0]."""
    import numpy as np

    from engine import GraphBuilder
    from engine.serialize import graph_to_json

    gb = GraphBuilder("net")
    x, y = gb.input((2, 3), name="x"), gb.input((3, 3), name="y")
    z = gb.param("z", np.array([1.0], np.float32))
    return graph_to_json(gb.build(gb.matmul(gb.mul(x, z), y)))


@functools.lru_cache(maxsize=None)
def sin_graph() -> dict:
    from engine import GraphBuilder
    from engine.serialize import graph_to_json

    gb = GraphBuilder("f")
    x = gb.input((3,), name="x")
    return graph_to_json(gb.build(gb.sum(gb.sin(x))))


def _t(name, shape, data):
    return {"name": name, "shape": shape, "datatype": "FP32", "data": data}


def _xy():
    return [_t("x", [2, 3], X), _t("y", [3, 3], Y)]


def examples(kind: str) -> dict:
    g = seed_graph()
    if kind == "eval":
        return {"seed": {"summary": "Net(x, y) = MatMul(x * z, y)", "value": {"graph": g, "inputs": _xy()}}}
    if kind == "grad":
        return {
            "input": {"summary": "GradOperation()(Net)(x, y): d/dx", "value": {"graph": g, "inputs": _xy()}},
            "get_all": {"summary": "GradOperation(get_all=True)", "value": {"graph": g, "inputs": _xy(),
                                                                             "get_all": True}},
            "weights": {"summary": "GradOperation(get_by_list=True): d/dz",
                        "value": {"graph": g, "inputs": _xy(), "get_by_list": True}},
            "sens": {"summary": "GradOperation(sens_param=True) with sens s",
                     "value": {"graph": g, "inputs": _xy(),
                               "sens": _t("s", [2, 3], [[0.1, 0.6, 0.2], [0.8, 1.3, 1.1]])}},
        }
    if kind == "jvp":
        return {"seed": {"summary": "jvp with one tangent per input",
                         "value": {"graph": g, "inputs": _xy(),
                                   "tangents": [_t("vx", [2, 3], [1.0] * 6), _t("vy", [3, 3], [1.0] * 9)]}}}
    if kind == "vjp":
        return {"seed": {"summary": "vjp: (out, (d/dx, d/dy))",
                         "value": {"graph": g, "inputs": _xy(), "v": _t("v", [2, 3], [1.0] * 6)}}}
    if kind == "jacobian":
        return {"seed": {"summary": "d out / d x, blocks out.shape + x.shape",
                         "value": {"graph": g, "inputs": _xy(), "positions": 0, "mode": "rev"}}}
    if kind == "hessian":
        return {"sin": {"summary": "Hessian of sum(sin x)",
                        "value": {"graph": sin_graph(), "inputs": [_t("x", [3], [0.1, 0.2, 0.3])]}}}
    if kind == "hvp":
        return {"sin": {"summary": "Hessian of sum(sin x) times v",
                        "value": {"graph": sin_graph(), "inputs": [_t("x", [3], [0.1, 0.2, 0.3])],
                                  "v": [_t("v", [3], [1.0, 1.0, 1.0])]}}}
    if kind == "register":
        return {"seed": {"summary": "register the seed network", "value": {"graph": g}}}
    return {}
