"""gradserve's own MindIR files: `export(net, *inputs, file_format="MINDIR")` writes the Cell's traced graph
(`gradserve.graph/1`) in MindIR's container, and `load` reads it back for `nn.GraphCell`.

The container is MindIR's (ModelProto: graph inputs, parameters with their keys, nodes, sub-graphs as
`functions`, outputs with their shapes), the nodes are gradserve's engine ops (`op_type` "REF::gradserve.<op>:k",
each with a PRIMITIVE entry holding its attributes) and the producer is "gradserve": MindSpore cannot run these
files (its loader knows its own primitives only), gradserve runs them exactly as traced.
"""
from __future__ import annotations

import base64

import numpy as np

from . import mindir_pb2 as pb
from .reader import DTYPES, MindIRError, MindIRModel, numpy_dtype, tensor_value

PRODUCER = "gradserve"
_A = pb.AttributeProto
_OP_PREFIX = "gradserve."
# NumPy -> MindIR's TensorProto data type: the reader's table inverted (float64 written as DOUBLE = 11, as MindSpore)
_NP_TO_CODE = {np.dtype(dt): code for code, dt in DTYPES.items() if code != 17}


def array_of(tj: dict) -> np.ndarray:
    """A `gradserve.graph/1` tensor value ({"shape", "dtype", "data" | "b64"}) as an array."""
    dt = np.dtype(tj["dtype"])
    shape = tuple(tj["shape"])
    if "b64" in tj:
        return np.frombuffer(base64.b64decode(tj["b64"]), dtype=dt.newbyteorder("<")).astype(dt).reshape(shape)
    data = np.asarray(tj["data"], dtype=np.float64 if dt.kind == "c" else dt)
    if dt.kind == "c":  # complex elements as [re, im] pairs
        data = (data[..., 0] + 1j * data[..., 1]).astype(dt)
    return data.reshape(shape)


def _tensor(a: np.ndarray, name: str = "", ref_key: str = "") -> pb.TensorProto:
    a = np.asarray(a)
    code = _NP_TO_CODE.get(a.dtype)
    if code is None:
        raise MindIRError(f"tensor {name!r}: dtype {a.dtype} has no MindIR data type")
    t = pb.TensorProto(dims=list(a.shape), data_type=code, name=name,
                       raw_data=np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes())
    if ref_key:
        t.ref_key = ref_key
    return t


def _attr(name: str, v) -> pb.AttributeProto:
    """A JSON-like value (what graph/1 attributes hold) as a typed AttributeProto."""
    a = _A(name=name)
    if v is None:
        a.type = _A.NONE
    elif isinstance(v, bool):
        a.type, a.i = _A.BOOL, int(v)
    elif isinstance(v, int):
        a.type, a.i = _A.INT64, v
    elif isinstance(v, float):
        a.type, a.d = _A.DOUBLE, v
    elif isinstance(v, str):
        a.type, a.s = _A.STRING, v.encode()
    elif isinstance(v, dict) and set(v) == {"tensor"}:
        a.type = _A.TENSOR
        a.t.CopyFrom(_tensor(array_of(v["tensor"])))
    elif isinstance(v, dict):
        a.type = _A.DICT
        a.values.extend(_attr(str(k), x) for k, x in v.items())
    elif isinstance(v, (list, tuple)):
        a.type = _A.LIST
        a.values.extend(_attr("", x) for x in v)
    else:
        raise MindIRError(f"attribute {name!r}: a value of type {type(v).__name__} cannot be written to MindIR")
    return a


def _value(a: pb.AttributeProto):
    t = a.type
    if t == _A.NONE:
        return None
    if t == _A.BOOL:
        return bool(a.i)
    if t == _A.INT64:
        return int(a.i)
    if t == _A.DOUBLE:
        return float(a.d)
    if t == _A.STRING:
        return a.s.decode()
    if t == _A.TENSOR:
        from .._trace import tensor_json

        return {"tensor": tensor_json(tensor_value(a.t))}
    if t == _A.DICT:
        return {v.name: _value(v) for v in a.values}
    if t == _A.LIST:
        return [_value(v) for v in a.values]
    raise MindIRError(f"attribute {a.name!r}: type {_A.AttributeType.Name(t)} is not one gradserve writes")


def _graph(g: pb.GraphProto, name: str, body: dict, prims: list, out_avals=None) -> None:
    g.name = name
    for i in body["inputs"]:
        vi = g.input.add(name=i["name"])
        vi.tensor.add(dims=list(i["shape"]), data_type=_NP_TO_CODE[np.dtype(i["dtype"])])
    for k, nd in enumerate(body["nodes"]):
        key = f"{_OP_PREFIX}{nd['op']}:{len(prims)}"
        prims.append(pb.PrimitiveProto(name=key, op_type=_OP_PREFIX + nd["op"], prim_type=pb.PrimitiveProto.PRIMITIVE,
                                       attribute=[_attr(k2, v) for k2, v in nd["attrs"].items()]))
        g.node.add(input=nd["inputs"], output=nd["outputs"], name=f"{name}:{k}", op_type=f"REF::{key}")
    flat = _flat(body["outputs"])
    for j, o in enumerate(flat):
        vi = g.output.add(name=o)
        if out_avals is not None:
            shape, dtype = out_avals[j]
            vi.tensor.add(dims=list(shape), data_type=_NP_TO_CODE[np.dtype(dtype)])
    g.attribute.append(_attr("gradserve.outputs", body["outputs"]))
    g.attribute.append(_attr("gradserve.params", [{k: v for k, v in p.items() if k != "value"}
                                                  for p in body.get("params", [])]))


def _flat(tree) -> list:
    return [tree] if isinstance(tree, str) else [x for t in tree for x in _flat(t)]


def write(doc: dict, out_avals: list, updates=()) -> bytes:
    """A `gradserve.graph/1` document (parameters with values) as MindIR bytes; out_avals: [(shape, dtype)] of its
    flattened outputs; updates: the parameters whose new values are its last outputs (assignments in construct)."""
    from .._version import __version__

    m = pb.ModelProto(ir_version="1.1", producer_name=PRODUCER, model_version=str(__version__), little_endian=True,
                      mind_ir_version=3)
    prims: list = []
    _graph(m.graph, doc.get("name") or "graph", doc, prims, out_avals)
    m.graph.attribute.append(_attr("gradserve.updates", list(updates)))
    for p in doc["params"]:
        m.graph.parameter.append(_tensor(array_of(p["value"]), name=p["name"], ref_key=p["name"]))
    for fname, body in (doc.get("functions") or {}).items():
        _graph(m.functions.add(), fname, body, prims)
    m.primitives.extend(prims)
    return m.SerializeToString()


def _body(g: pb.GraphProto, prims: dict) -> dict:
    nodes = []
    for n in g.node:
        p = prims[n.op_type[len("REF::"):]]
        nodes.append({"op": p.op_type[len(_OP_PREFIX):], "inputs": list(n.input), "outputs": list(n.output),
                      "attrs": {a.name: _value(a) for a in p.attribute}})
    extras = {a.name: _value(a) for a in g.attribute if a.name in ("gradserve.outputs", "gradserve.params")}
    if len(extras) != 2:
        raise MindIRError(f"graph {g.name!r}: no gradserve.outputs / gradserve.params attributes (not a file "
                          "gradserve wrote)")
    return {"name": g.name, "inputs": [{"name": i.name, "shape": list(i.tensor[0].dims),
                                        "dtype": numpy_dtype(i.tensor[0].data_type).name} for i in g.input],
            "params": extras["gradserve.params"], "nodes": nodes, "outputs": extras["gradserve.outputs"]}


def read(m: pb.ModelProto):
    """(body, values, out_avals, updates) of a file gradserve wrote: what ImportedCell runs."""
    prims = {p.name: p for p in m.primitives}
    body = _body(m.graph, prims)
    values = {p.name: tensor_value(p) for p in m.graph.parameter}
    if len(m.functions):
        body["functions"] = {f.name: _body(f, prims) for f in m.functions}
    out_avals = [(tuple(int(d) for d in o.tensor[0].dims), numpy_dtype(o.tensor[0].data_type).name)
                 for o in m.graph.output]
    updates: object = next((_value(a) for a in m.graph.attribute if a.name == "gradserve.updates"), [])
    if not isinstance(updates, list):
        raise MindIRError(f"{m.graph.name}: its gradserve.updates attribute is not a list")
    return body, values, out_avals, updates


def model_of(path: str, m: pb.ModelProto) -> MindIRModel:
    """A file gradserve wrote, as the MindIRModel GraphCell runs (its graph/1 body in `own`)."""
    body, values, out_avals, updates = read(m)
    return MindIRModel(path, m.producer_name, [(i["name"], tuple(i["shape"]), np.dtype(i["dtype"]))
                                               for i in body["inputs"]],
                       [], {p["name"]: (p["name"], values[p["name"]]) for p in body["params"]}, {},
                       own=(body, values, out_avals, updates))
