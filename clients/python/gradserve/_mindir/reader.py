"""Read a MindIR file (MindSpore's `export(..., file_format="MINDIR")`) into plain data: nodes, constants,
parameters, inputs and outputs. Nothing here runs a model; `replay.py` does, through the SDK's ops.

A MindIR graph is a list of nodes in topological order. Each node names its inputs by the names of graph inputs,
parameters, `Constant` nodes or earlier nodes' outputs, and its operation by a key into the model's `primitives`
(`REF::MatMul:4`): MindSpore's primitive name (`op_type`), its kind (PRIMITIVE: attributes set at construction;
PRIMITIVE_FUNCTION: every argument an input) and its attributes.

Control flow and nested functions are sub-graphs (the model's `functions`, each a GraphProto with its own inputs:
free variables and parameters a branch reads are passed to it): `Partial(graph name, args...)` binds arguments,
`Switch(cond, a, b)` picks one, and a node whose op_type names a node's output or a function (`REF::<name>`, no
primitive) calls that value with its inputs. A `while` is a function calling itself in tail position. The reader
writes such a call as op_type CALL with the callee as its first input; replay.py / calls.py run them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from . import mindir_pb2 as pb

_A = pb.AttributeProto
# TensorProto.DataType -> NumPy (MindSpore writes FLOAT64 = 17 as well as DOUBLE = 11 for float64)
DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32, 7: np.int64, 9: np.bool_,
           10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64, 14: np.complex64, 15: np.complex128,
           17: np.float64}
_SCALAR_FIELDS = {_A.FLOAT: "f", _A.DOUBLE: "d", _A.BOOL: "i", _A.INT8: "i", _A.INT16: "i", _A.INT32: "i",
                  _A.INT64: "i", _A.UINT8: "i", _A.UINT16: "i", _A.UINT32: "i", _A.UINT64: "i"}
_LIST_FIELDS = {_A.FLOAT: "floats", _A.DOUBLE: "doubles", _A.BOOL: "ints", _A.INT8: "ints", _A.INT16: "ints",
                _A.INT32: "ints", _A.INT64: "ints", _A.UINT8: "ints", _A.UINT16: "ints", _A.UINT32: "ints",
                _A.UINT64: "ints", _A.STRING: "strings"}


class MindIRError(ValueError):
    """A MindIR file gradserve cannot read or run: names the file, the node and what is wrong."""


class Monad:
    """MindSpore's side-effect state tokens (UMonad / IOMonad): ordering only, no value."""


MONAD = Monad()


@dataclass
class Node:
    name: str
    op_type: str            # MindSpore's primitive name: "MatMul", "TupleGetItem", ...
    function_form: bool     # PRIMITIVE_FUNCTION: every argument is an input
    attrs: dict             # the primitive's attributes (PRIMITIVE: its constructor's arguments)
    inputs: list            # names
    outputs: list           # names


CALL = "call"  # a node calling a function value (a sub-graph, a Partial, a Switch's pick): inputs [callee, args...]


@dataclass
class Graph:
    """One sub-graph (MindSpore's FuncGraph): its inputs' names, its nodes, its Constants, its output's name."""
    name: str
    inputs: list
    output: str
    nodes: list
    constants: dict


@dataclass
class MindIRModel:
    """What `gradserve.load` returns: MindSpore's FuncGraph stand-in, run by `nn.GraphCell`."""
    file_name: str
    producer: str
    inputs: list            # [(name, shape, dtype)]
    outputs: list           # names
    params: dict            # graph name -> (key name, np.ndarray)
    constants: dict         # name -> Python / NumPy value
    nodes: list = field(default_factory=list)
    own: tuple | None = None  # a file gradserve wrote: (graph/1 body, parameter values, output avals, updates)
    functions: dict = field(default_factory=dict)  # sub-graph name -> Graph (control flow, nested Cells)
    shared: list | None = None  # the Parameters every GraphCell over this load result uses (MindSpore's graph holds them)


def numpy_dtype(code: int, what: str = "a tensor") -> np.dtype:
    dt = DTYPES.get(code)
    if dt is None:
        name = pb.TensorProto.DataType.Name(code) if code in pb.TensorProto.DataType.values() else code
        raise MindIRError(f"{what}: data type {name} is not supported")
    return np.dtype(dt)


def tensor_value(t) -> np.ndarray:
    dt = numpy_dtype(t.data_type, f"tensor {t.name!r}")
    if t.HasField("external_data"):
        raise MindIRError(f"tensor {t.name!r}: its data is in an external file ({t.external_data.location!r}); "
                          "gradserve reads single-file MindIR models only")
    if t.compression_type not in (0,):
        raise MindIRError(f"tensor {t.name!r}: compressed weights ({pb.TensorProto.CompressionType.Name(t.compression_type)}) "
                          "are not supported")
    shape = tuple(int(d) for d in t.dims)
    if t.raw_data:
        arr = np.frombuffer(t.raw_data, dtype=np.dtype(dt).newbyteorder("<")).astype(dt)
    else:
        for name in ("float_data", "double_data", "int64_data", "int32_data", "uint64_data"):
            if len(getattr(t, name)):
                arr = np.asarray(getattr(t, name), dtype=dt)
                break
        else:
            arr = np.zeros(0, dt)
    if arr.size != int(np.prod(shape, dtype=np.int64)):
        raise MindIRError(f"tensor {t.name!r}: {arr.size} values for shape {shape}")
    return arr.reshape(shape)


def attr_value(a):
    """An AttributeProto as a Python value: scalars, strings, tuples / lists (nested), tensors, None, monads."""
    t = a.type
    if t in (_A.TUPLE, _A.LIST):
        vals = [attr_value(v) for v in a.values]
        return tuple(vals) if t == _A.TUPLE else vals
    if t == _A.DICT:
        return {v.name: attr_value(v) for v in a.values}
    if t in _SCALAR_FIELDS:
        lst = getattr(a, _LIST_FIELDS[t])
        v = lst[0] if len(lst) else getattr(a, _SCALAR_FIELDS[t])
        return bool(v) if t == _A.BOOL else v
    if t == _A.STRING:
        return (a.strings[0] if len(a.strings) else a.s).decode()
    if t == _A.TENSOR:
        return tensor_value(a.t)
    if t == _A.TENSORS and len(a.tensors) == 1 and (a.tensors[0].raw_data or len(a.tensors[0].float_data)):
        return tensor_value(a.tensors[0])
    if t == _A.TENSORS and len(a.tensors) == 1 and not any(
            len(getattr(a.tensors[0], f)) for f in ("dims", "raw_data", "float_data", "double_data", "int32_data",
                                                    "int64_data", "uint64_data", "string_data")):
        return numpy_dtype(a.tensors[0].data_type, f"attribute {a.name!r}")  # (a dtype: a tensor with no data)
    if t == _A.NONE:
        return None
    if t in (_A.UMONAD, _A.IOMONAD):
        return MONAD
    raise MindIRError(f"attribute {a.name!r}: a value of type {_A.AttributeType.Name(t)} is not supported")


def parse(file_name, dec_key=None) -> tuple[str, pb.ModelProto]:
    if dec_key is not None:
        raise MindIRError("encrypted MindIR files (dec_key) are not supported by gradserve")
    path = os.fspath(file_name)
    with open(path, "rb") as f:
        data = f.read()
    m = pb.ModelProto()
    try:
        m.ParseFromString(data)
    except Exception as e:  # the protobuf runtime's DecodeError
        raise MindIRError(f"{path}: not a MindIR file ({e})") from None
    if not m.HasField("graph"):
        raise MindIRError(f"{path}: not a MindIR file (no graph)")
    return path, m


def from_model(path: str, m: pb.ModelProto) -> MindIRModel:
    """A MindIR model MindSpore wrote, as the nodes GraphCell replays."""
    prims = {p.name: p for p in m.primitives}
    g = m.graph
    params = {}
    for p in g.parameter:
        params[p.name] = (p.ref_key or p.name.rsplit(":", 1)[-1], tensor_value(p))
    inputs = []
    for i in g.input:
        if not i.tensor:
            raise MindIRError(f"{path}: graph input {i.name!r} is not a tensor")
        t = i.tensor[0]
        inputs.append((i.name, tuple(int(d) for d in t.dims), DTYPES.get(t.data_type)))
    if len(g.output) != 1 and len(m.functions):
        raise MindIRError(f"{path}: a graph with sub-graphs and {len(g.output)} outputs is not supported")
    functions = {f.name for f in m.functions}
    model = MindIRModel(path, m.producer_name, inputs, [o.name for o in g.output], params, {})
    model.nodes = _nodes(path, g, prims, functions, model.constants)
    for f in m.functions:
        if len(f.output) != 1:
            raise MindIRError(f"{path}: sub-graph {f.name!r} has {len(f.output)} outputs, not one")
        consts: dict = {}
        model.functions[f.name] = Graph(f.name, [i.name for i in f.input], f.output[0].name,
                                        _nodes(path, f, prims, functions, consts), consts)
    return model


def _nodes(path: str, g, prims: dict, functions: set, constants: dict) -> list:
    """A graph's nodes; its Constant nodes' values go into `constants`."""
    nodes, made = [], {o for n in g.node for o in n.output}
    for n in g.node:
        if n.op_type == "Constant":
            value = attr_value(n.attribute[0]) if n.attribute else None
            for out in n.output:
                constants[out] = value
            continue
        key = n.op_type[len("REF::"):] if n.op_type.startswith("REF::") else n.op_type
        prim = prims.get(key)
        if prim is None:
            if key in functions or key in made:  # (a call of a sub-graph / of a value)
                nodes.append(Node(n.name, CALL, False, {}, [key, *n.input], list(n.output)))
                continue
            raise MindIRError(f"{path}: node {n.name!r} names primitive {key!r}, which the model does not define")
        attrs = {a.name: attr_value(a) for a in prim.attribute
                 if a.type not in (_A.GRAPH, _A.FUNCTOR, _A.SCALAR_GRAPH_HOLDER)}
        nodes.append(Node(n.name, prim.op_type, prim.prim_type == pb.PrimitiveProto.PRIMITIVE_FUNCTION,
                          attrs, list(n.input), list(n.output)))
    return nodes
