"""Typed engine errors. Each names what is wrong and where (node, field, shapes).

The service maps these to HTTP status / gRPC codes; the engine knows nothing of either.
"""
from __future__ import annotations


class EngineError(Exception):
    """Base of all engine errors. `code` is a stable machine-readable name."""

    code = "engine_error"

    def __init__(self, message: str, *, node: str | None = None, path: str | None = None, **detail):
        self.message = message
        self.node = node
        self.path = path
        self.detail = {k: v for k, v in detail.items() if v is not None}
        where = []
        if node:
            where.append(f"node {node}")
        if path:
            where.append(f"at {path}")
        super().__init__(f"{message}" + (f" ({', '.join(where)})" if where else ""))

    def to_dict(self) -> dict:
        d = {"code": self.code, "message": str(self)}
        detail = dict(self.detail)
        if self.node:
            detail["node"] = self.node
        if self.path:
            detail["path"] = self.path
        d["detail"] = detail
        return d


class InvalidGraph(EngineError):
    """Malformed graph: bad JSON, undefined variable, cycle, wrong arity or attrs."""

    code = "invalid_graph"


class UnknownOp(InvalidGraph):
    code = "unknown_op"


class ShapeError(EngineError):
    """Shapes or dtypes do not fit an op, an input or a sens."""

    code = "shape_error"


class DifferentiationError(EngineError):
    """The requested derivative is not defined: integer input, missing rule, bad position."""

    code = "differentiation_error"


class LimitExceeded(EngineError):
    """A configured bound was exceeded. `setting` names it as data (the caller's knob: max_nodes,
    max_work, max_job_bytes, max_depth, max_jacobian_basis, max_elements, ...), `limit` is its
    value and `value` what was asked for (or reached when the build stopped), all in `detail`."""

    code = "limit_exceeded"

    def __init__(self, message: str, *, setting: str, limit: int | None = None, value: int | None = None,
                 node: str | None = None, path: str | None = None, **detail):
        super().__init__(message, node=node, path=path, setting=setting, limit=limit, value=value, **detail)
        self.setting = setting
        self.limit = limit
        self.value = value
