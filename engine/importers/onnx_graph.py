"""ONNX (default domain, static shapes) -> `gradserve.graph/1`. The one converter: the server's
`POST /v1/graphs` (application/onnx), the SDK's `from_onnx` and `python -m engine.importers` use it.

An ONNX model is untrusted data: external-data tensors, custom domains (but for the com.microsoft ops
onnx_contrib.py composes) and model-local functions are refused before anything is decoded; sub-graphs
(If / Loop, onnx_control.py) are walked first against a nesting limit, with the node count summed over all of them; sizes are checked against
the caller's limits before any tensor is materialised, and nothing a model names is read, imported or run. Float
initializers become parameters (trainable, except batch-norm running statistics); integer ones and
shape arithmetic (Shape, Gather, Concat, ... on constants) are folded into constants.
"""
from __future__ import annotations

import math
import re
from types import SimpleNamespace
from typing import Any, Iterable

import numpy as np

from .graph_writer import GraphWriter, ModelLimitExceeded, UnsupportedModel
from .onnx_contrib import CONTRIB, DOMAIN as CONTRIB_DOMAIN
from .onnx_control import CONTROL_HANDLERS, Scope, static_trips
from .onnx_ml import DOMAIN as ML_DOMAIN, ML
from .onnx_ml_classify import CLASSIFY
from .onnx_ml_svm import SVM
from .onnx_ml_trees import TREES
from .onnx_preview import DOMAIN as PREVIEW_DOMAIN, PREVIEW
from .onnx_training import DOMAIN as TRAINING_DOMAIN, TRAINING
from .graph_writer import NP_DTYPES
from .onnx_ops import HANDLERS, NARROW_CARRIER, _np_dtype, fold, widen_narrow
from .onnx_prefold import PreFold
from . import onnx_attention, onnx_detection, onnx_featurizers, onnx_layers, onnx_pointwise, onnx_quant, onnx_recent, onnx_rnn, onnx_seq, onnx_spectral  # noqa: F401,E402 (add rules)

MAX_SUBGRAPH_DEPTH = 8  # nesting of If / Loop sub-graphs (limits["max_subgraph_depth"] overrides)


def load_model(model):
    """A ModelProto from a ModelProto, bytes, or (SDK / command line only) a path."""
    import onnx

    if isinstance(model, onnx.ModelProto):
        return model
    if isinstance(model, (bytes, bytearray, memoryview)):
        m = onnx.ModelProto()
        try:
            m.ParseFromString(bytes(model))
        except Exception as e:  # noqa: BLE001 - protobuf's DecodeError and friends
            raise UnsupportedModel(f"the body is not an ONNX model (protobuf decode failed: {e})") from None
        return m
    with open(model, "rb") as f:  # a local path the caller chose; external data is still refused
        return load_model(f.read())


class _Ctx:
    def __init__(self, m, limits: dict):
        import onnx
        from onnx import numpy_helper

        self.onnx, self.np_helper = onnx, numpy_helper
        self.limits = limits
        self.w = GraphWriter(m.graph.name or "onnx")
        self.env: dict[str, str] = {}
        self.consts: dict[str, np.ndarray] = {}
        self.seqs: dict[str, list[str]] = {}  # ONNX sequences: their tensors' values (onnx_seq.py)
        self.inits = {t.name: t for t in m.graph.initializer}
        self.frozen: set[str] = set()
        self.scalar_weights: set[str] = set()  # 0-d float initializers the caller names as weights
        self.opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), 0)
        self.opset_imports = {o.domain: o.version for o in m.opset_import}
        self.depth = 0

    def visible(self, name: str) -> bool:
        return name in self.env or name in self.consts or name in self.inits or name in self.seqs

    def graph_consumers(self, name: str) -> list:
        """The nodes of the graph being converted that read `name` (None stands for the graph's output)."""
        g = self.current_graph
        return [n for n in g.node if name in n.input] + [None for o in g.output if o.name == name]

    def is_read(self, name: str) -> bool:
        """Whether a node of the graph being converted (or one of its sub-graphs), or the graph's output, reads it."""
        return bool(self.graph_consumers(name)) or any(name in _subgraph_reads(n) for n in self.current_graph.node)

    def subgraph(self, graph, base: str) -> "_SubCtx":
        return _SubCtx(self, graph, base)

    def convert(self, graph) -> list[str]:
        """The nodes of `graph` into this scope's writer (a sub-graph's scope, or a branch taken statically)."""
        return convert_graph(self, graph)

    # -- values ---------------------------------------------------------------------------------
    def array(self, t, where: str) -> np.ndarray:
        if t.data_location == self.onnx.TensorProto.EXTERNAL or len(t.external_data):
            raise UnsupportedModel(f"tensor {t.name!r} ({where}) refers to external data (a file); "
                                   "external data is refused: embed the weights in the model")
        if any(d < 0 for d in t.dims):  # numpy's reshape would read -4 as "the rest": a different model
            raise UnsupportedModel(f"tensor {t.name!r} ({where}) has a negative dimension: dims {list(t.dims)}")
        n = math.prod(t.dims)
        if self.limits.get("max_elements") is not None and n > self.limits["max_elements"]:
            raise ModelLimitExceeded(f"tensor {t.name!r} ({where}) has {n} elements, above the limit "
                                     f"max_elements={self.limits['max_elements']}", "max_elements",
                                     self.limits["max_elements"])
        try:
            a = self.np_helper.to_array(t)
        except Exception as e:  # noqa: BLE001 - malformed tensor data
            raise UnsupportedModel(f"tensor {t.name!r} ({where}) cannot be decoded: {e}") from None
        a = widen_narrow(a)
        if (a.dtype.kind not in "biuf" and a.dtype.name != "bfloat16") or a.dtype.name not in NP_DTYPES:
            raise UnsupportedModel(f"tensor {t.name!r} ({where}) has dtype {a.dtype}, which gradserve graphs do "
                                   "not carry")
        return a  # every integer type as declared (uint8 / int8 too: the engine carries them)

    def is_const(self, name: str) -> bool:
        if name in self.consts:
            return True
        t = self.inits.get(name)
        return t is not None and t.data_type not in (self.onnx.TensorProto.FLOAT, self.onnx.TensorProto.DOUBLE,
                                                    self.onnx.TensorProto.FLOAT16, self.onnx.TensorProto.BFLOAT16)

    def cval(self, name: str, node) -> np.ndarray:
        """The value of an input that must be a constant (a shape, axes, pads...)."""
        if name in self.consts:
            return self.consts[name]
        if name in self.inits:
            return self.array(self.inits[name], f"input of node {node.name!r}")
        raise UnsupportedModel(f"op {node.op_type} (node {node.name!r}, opset {self.opset}): input {name!r} "
                               "must be a constant here (shapes and axes are static in gradserve graphs)",
                               op=node.op_type, node=node.name, version=self.opset)

    def val(self, name: str) -> str:
        v = self.env.get(name)
        if v is not None:
            return v
        if name in self.seqs:
            raise UnsupportedModel(f"value {name!r} is a sequence: only the sequence ops read it (a sequence as a "
                                   "model output, a loop state or a branch result is not imported)")
        if name in self.consts:
            v = self.w.const(self.consts[name])
        elif name in self.inits:
            a = self.array(self.inits[name], "initializer")
            if not self.is_const(name) and (a.ndim > 0 or name in self.scalar_weights):
                v = self.w.param(name, a, trainable=name not in self.frozen)
            else:  # integer tensors and 0-d floats are constants, not weights (unless named: scalar_weights)
                v = self.w.const(a)
        else:
            raise UnsupportedModel(f"value {name!r} is used before it is defined")
        self.env[name] = v
        return v


_CAPTURE = SimpleNamespace(name="(read by a sub-graph)", op_type="capture")


class _SubCtx(_Ctx):
    """The scope of a sub-graph (If branch, Loop body), written as a function of the graph. A value
    of an enclosing scope that it reads becomes an input of the function (`captures`: outer name ->
    input), or a constant when it is static (shapes, axes); its own initializers are constants."""

    def __init__(self, parent: _Ctx, graph, base: str):
        self.onnx, self.np_helper, self.limits, self.opset = parent.onnx, parent.np_helper, parent.limits, parent.opset
        self.parent, self.depth, self.frozen = parent, parent.depth + 1, parent.frozen
        self.opset_imports = parent.opset_imports
        self.w = parent.w.function_writer(base)
        self.env, self.inits, self.captures, self.seqs = {}, {}, {}, {}
        self.consts = {t.name: self.array(t, "sub-graph initializer") for t in graph.initializer}

    def declare(self, name: str, shape, dtype) -> str:
        """An input of the function that is not a capture (a loop's iteration number and state)."""
        self.env[name] = self.w.input(name, shape, dtype)
        return self.env[name]

    def _outer(self, name: str) -> bool:
        return name not in self.env and name not in self.consts and name not in self.seqs and self.parent.visible(name)

    def visible(self, name: str) -> bool:
        return name in self.env or name in self.consts or name in self.seqs or self.parent.visible(name)

    def is_const(self, name: str) -> bool:
        return self.parent.is_const(name) if self._outer(name) else name in self.consts

    def cval(self, name: str, node) -> np.ndarray:
        return self.parent.cval(name, node) if self._outer(name) else super().cval(name, node)

    def val(self, name: str) -> str:
        if not self._outer(name):
            return super().val(name)
        if self.parent.is_const(name):
            self.consts[name] = self.parent.cval(name, _CAPTURE)
            return super().val(name)
        shape, dtype = self.parent.w.avals[self.parent.val(name)]
        self.captures[name] = self.env[name] = self.w.input(name, shape, dtype)
        return self.env[name]

    def capture(self, name: str) -> str:
        """`name` as an input of this function even when unused (branches of one cond take the same)."""
        if name not in self.captures:
            shape, dtype = self.parent.w.avals[self.parent.val(name)]
            self.captures[name] = self.w.input(name, shape, dtype)
        return self.captures[name]



def _attrs(node, ctx) -> dict[str, Any]:
    onnx = ctx.onnx
    out = {}
    for a in node.attribute:
        if a.ref_attr_name:
            raise UnsupportedModel(f"node {node.name!r}: attribute references belong to ONNX functions")
        if a.type == onnx.AttributeProto.GRAPH and (node.op_type in CONTROL_HANDLERS or node.domain == PREVIEW_DOMAIN):
            out[a.name] = a.g  # converted by the op's handler, in a scope of its own (a preview op's: in its body)
        elif a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
            raise UnsupportedModel(f"op {node.op_type} (node {node.name!r}, opset {ctx.opset}) carries a sub-graph: "
                                   "only If, Loop and Scan sub-graphs are imported", op=node.op_type, node=node.name,
                                   version=ctx.opset)
        elif a.type == onnx.AttributeProto.TENSOR:
            out[a.name] = ctx.array(a.t, f"attribute {a.name} of node {node.name!r}")
        elif a.type in (onnx.AttributeProto.SPARSE_TENSOR, onnx.AttributeProto.SPARSE_TENSORS,
                        onnx.AttributeProto.TENSORS, onnx.AttributeProto.TYPE_PROTO, onnx.AttributeProto.TYPE_PROTOS):
            raise UnsupportedModel(f"node {node.name!r}: attribute {a.name} of this type is not supported")
        else:
            v = onnx.helper.get_attribute_value(a)
            out[a.name] = v.decode() if isinstance(v, bytes) else (
                [x.decode() if isinstance(x, bytes) else x for x in v] if isinstance(v, list) else v)
    return out


# The ops accepted outside the default domain, by domain.
DOMAIN_OPS = {CONTRIB_DOMAIN: CONTRIB, TRAINING_DOMAIN: TRAINING, ML_DOMAIN: {**ML, **CLASSIFY, **TREES, **SVM}, PREVIEW_DOMAIN: PREVIEW}


def check_model(m, limits: dict) -> None:
    """Refusals that need no decoding: custom domains, local functions, external data, size. A custom domain is
    refused where a node uses it (`_walk`): an opset import alone loads nothing (ONNX's expanded FlexAttention
    tests import ai.onnx.preview and use only default-domain ops)."""
    _check_opset(m)
    if len(m.functions):
        raise UnsupportedModel(f"the model defines local functions ({m.functions[0].domain}.{m.functions[0].name}): "
                               "refused (custom op domains)")
    n_nodes = _walk(m.graph, limits, 0, Scope.of(m.graph, None, top=True, fold=PreFold(m, _attrs).value))
    max_nodes = limits.get("max_nodes")
    if max_nodes is not None and n_nodes > max_nodes:
        raise ModelLimitExceeded(f"the model has {n_nodes} nodes (sub-graphs included), a Loop / Scan body once a "
                                 f"trip where its trip count is a constant: above the limit "
                                 f"max_nodes={max_nodes}", "max_nodes", max_nodes)
    # (a server's max_work: each node is a converter step and then a loaded equation at least; past it the model
    # was converted and loaded whole, seconds of the server's threads, before the converted graph's 413)
    max_work = limits.get("max_work")
    if max_work is not None and n_nodes > max_work:
        raise ModelLimitExceeded(f"the model has {n_nodes} nodes (sub-graphs included), a Loop / Scan body once a "
                                 "trip where its trip count is a constant, each at least a step of "
                                 f"work to convert and build: above the limit max_work={max_work}", "max_work",
                                 max_work)
    if len(m.graph.sparse_initializer):
        raise UnsupportedModel("sparse initializers are not supported")


def _check_opset(m) -> None:
    """The default domain's version must be one ONNX defines: ops read it (Softmax's axis, Resize's modes, ...), so
    a model importing none (read as 0: the oldest rules) or one past the installed onnx's newest (rules not known
    here) would convert with meanings its exporter did not give (ONNX's checker refuses both too)."""
    import onnx

    versions = sorted({o.version for o in m.opset_import if o.domain in ("", "ai.onnx")})
    newest = onnx.defs.onnx_opset_version()
    if not versions and not any(n.domain in ("", "ai.onnx") for n in m.graph.node):
        return  # (no op of the default domain: ONNX's training-op tests import ai.onnx.preview.training alone)
    if not versions:
        raise UnsupportedModel("the model's opset_import names no version of the default ONNX domain: its ops' "
                               f"meaning depends on it (import one in 1..{newest})")
    if len(versions) > 1 or not 1 <= versions[0] <= newest:
        raise UnsupportedModel(f"the model's opset_import gives the default ONNX domain version(s) {versions}: "
                               f"one version in 1..{newest} (this importer's onnx {onnx.__version__}) is needed",
                               version=versions[0])


def _walk(graph, limits: dict, depth: int, scope: Scope) -> int:
    """Nodes of `graph` and all its sub-graphs (a Loop / Scan body once a trip, where the trip count is a constant
    in `scope`: onnx_control.static_trips), refusing custom domains and external data anywhere and nesting deeper
    than the limit, before anything is decoded."""
    cap = limits.get("max_subgraph_depth", MAX_SUBGRAPH_DEPTH)
    if depth > cap:
        raise ModelLimitExceeded(f"sub-graph {graph.name!r} is nested {depth} deep, above the limit "
                                 f"max_subgraph_depth={cap}", "max_subgraph_depth", cap)
    for t in graph.initializer:
        if t.data_location == 1 or len(t.external_data):
            raise UnsupportedModel(f"initializer {t.name!r} refers to external data (a file): refused; "
                                   "embed the weights in the model")
    n = len(graph.node)
    for node in graph.node:
        known = DOMAIN_OPS.get(node.domain, {})
        if node.domain not in ("", "ai.onnx") and node.op_type not in known:
            raise UnsupportedModel(f"op {node.domain}.{node.op_type} (node {node.name!r}) is in a custom domain: "
                                   "refused, its ops are not implemented here" +
                                   (f" (of {node.domain}, known: {', '.join(sorted(known))})" if known else ""),
                                   op=node.op_type, node=node.name)
        for a in node.attribute:
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                body = _walk(g, limits, depth + 1, Scope.of(g, scope))
                n += body * static_trips(node, scope, limits, len(g.node)) if a.name == "body" else body
    return n


def onnx_to_writer(model, *, input_shapes: dict | None = None, limits: dict | None = None,
                   scalar_weights: Iterable[str] = (), outputs: Iterable[str] | None = None):
    """Convert; returns (GraphWriter, output names). `input_shapes` fixes dynamic input dims;
    `scalar_weights` names 0-d float initializers that are weights (a scalar nn.Parameter: ONNX does not tell
    one from an exporter's scalar constants, e.g. the dynamo exporter's `val_N`, so by default they are
    constants); `outputs` names the graph outputs to import, in that order (the nodes only the others need are
    not converted: a classifier's ZipMap output, say)."""
    limits = limits or {}
    m = load_model(model)
    try:
        return _model_to_writer(m, input_shapes, limits, tuple(scalar_weights),
                                None if outputs is None else tuple(outputs))
    except UnsupportedModel as e:
        e.in_model(m.graph.name or "onnx")
        raise


def _fixed_dims(name: str, declared: list, given: list) -> list:
    """input_shapes fixes the file's dynamic dims only: a static dim is what the exporter traced (a TorchScript file
    without dynamic_axes bakes the batch into its Reshape constants, so another batch would be read silently wrong;
    onnxruntime refuses such an input too)."""
    if declared and (len(given) != len(declared) or any(
            d is not None and d > 0 and g != d for d, g in zip(declared, given))):
        raise UnsupportedModel(f"input_shapes[{name!r}] = {given} contradicts the model's declared shape "
                               f"{['?' if d is None else d for d in declared]}: only its dynamic dims can be fixed")
    return given


def _subgraph_reads(node) -> set:
    """Every name the nodes of `node`'s sub-graphs read (outer-scope values among them), at any depth."""
    names: set = set()
    for a in node.attribute:
        for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
            for n in g.node:
                names.update(n.input)
                names |= _subgraph_reads(n)
    return names


def selected_graph(graph, names: tuple):
    """`graph` with only the outputs `names` (in that order) and the nodes they need; its inputs and value_info
    (declared shapes some handlers read); the initializers stay the model's (read through the context)."""
    import onnx

    known = {o.name: o for o in graph.output}
    if not names or len(set(names)) != len(names) or any(n not in known for n in names):
        raise UnsupportedModel(f"outputs={list(names)}: expected distinct names among the model's outputs "
                               f"{list(known)}")
    need, keep = set(names), []
    for node in reversed(graph.node):
        if need.intersection(node.output):
            keep.append(node)
            need.update(node.input)
            need |= _subgraph_reads(node)
    g = onnx.GraphProto(name=graph.name, input=graph.input, value_info=graph.value_info)
    g.node.extend(reversed(keep))
    g.output.extend(known[n] for n in names)
    return g


def _model_to_writer(m, input_shapes: dict | None, limits: dict, scalar_weights: tuple = (),
                     selected: tuple | None = None):
    check_model(m, limits)
    ctx = _Ctx(m, limits)
    for name in scalar_weights:
        t = ctx.inits.get(name)
        if t is None or len(t.dims) or ctx.array(t, "initializer").dtype.kind != "f":
            raise UnsupportedModel(f"scalar weight {name!r}: not a 0-d float initializer of the model (its 0-d "
                                   f"float initializers: {sorted(n for n, i in ctx.inits.items() if not i.dims)})")
    ctx.scalar_weights.update(scalar_weights)
    for n in m.graph.node:  # running statistics are state, not weights
        if n.op_type == "BatchNormalization":
            ctx.frozen.update(n.input[3:5])
    ctx.frozen.update(exporter_constants(m))  # a torch module's buffers, and constants folded from them
    for vi in m.graph.input:
        if vi.name in ctx.inits:
            continue
        tt = vi.type.tensor_type
        if not vi.type.HasField("tensor_type"):
            kind = str(vi.type.WhichOneof("value")).removesuffix("_type")
            raise UnsupportedModel(f"input {vi.name!r} is a {kind}, not a tensor: model inputs of sequence, optional "
                                   "or map type are not modelled")
        dims = []
        for k, d in enumerate(tt.shape.dim):
            dims.append(d.dim_value if d.HasField("dim_value") else None)
        if input_shapes and vi.name in input_shapes:
            dims = _fixed_dims(vi.name, dims, list(input_shapes[vi.name]))
        if any(d is None or d < 0 for d in dims):
            raise UnsupportedModel(f"input {vi.name!r} has a dynamic shape {dims}: gradserve graphs are static; "
                                   f"pass input_shapes={{{vi.name!r}: [...]}}")
        narrow = onnx_quant.narrow_type(ctx.onnx, tt.elem_type)
        if narrow:  # float8 / float4 / 4- and 2-bit integer inputs: given in their carrier, as their initializers
            ctx.env[vi.name] = onnx_quant.narrow_input(ctx, vi.name, ctx.w.input(vi.name, dims, NARROW_CARRIER[narrow]),
                                                       narrow)
            continue
        ctx.env[vi.name] = ctx.w.input(vi.name, dims, _np_dtype(ctx.onnx, tt.elem_type, f"input {vi.name!r}"))
    graph = m.graph if selected is None else selected_graph(m.graph, selected)
    outputs = convert_graph(ctx, graph)
    ctx.w.output_names = [o.name for o in graph.output]  # served under them, as onnxruntime answers
    ctx.w.frozen |= {ctx.env[n] for n in ctx.frozen if n in ctx.env}
    order = {ctx.env.get(t.name): i for i, t in enumerate(m.graph.initializer)}
    ctx.w.params.sort(key=lambda p: order.get(p["name"], len(order)))  # the model's own order
    ctx.w.folded = exporter_folded(m)
    return ctx.w, outputs


_FX_REF = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)")
# FX nodes of ATen factories (no tensor operand): a folded one is a constant of the program, not of parameters
_FACTORY = re.compile(r"(zeros|ones|full|empty|scalar_tensor|arange|linspace|logspace|eye|lift_fresh_copy|"
                      r"new_zeros|new_ones|new_full|new_empty)(_like)?(_default)?(_\d+)?")


def _fx_refs(m) -> set:
    refs: set[str] = set()
    for node in m.graph.node:
        for prop in node.metadata_props:
            if prop.key == "pkg.torch.onnx.fx_node":
                refs.update(_FX_REF.findall(prop.value))
    return refs


def _signature(m, kind: str) -> list[str] | None:
    """The exported program's PARAMETERs or BUFFERs (their module paths), from the graph signature the dynamo
    exporter records in the graph's metadata (`p_conv1_weight: PARAMETER target='conv1.weight'`); None without
    one."""
    for prop in m.graph.metadata_props:
        if prop.key == "pkg.torch.export.ExportedProgram.graph_signature":
            return re.findall(rf"^\w+: {kind} target='([^']*)'", prop.value, re.M)
    return None


def _folded_initializers(m) -> list[str]:
    """Float initializers named after the FX node that computed them (quoted as `%mul` by the remaining nodes'
    `pkg.torch.onnx.fx_node` metadata), folded factories (`zeros_like`, `scalar_tensor_default`) left out."""
    from onnx import TensorProto

    refs, floats = _fx_refs(m), (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16)
    return [t.name for t in m.graph.initializer
            if t.name in refs and t.data_type in floats and not _FACTORY.fullmatch(t.name)]


def exporter_constants(m) -> set[str]:
    """Initializers of a dynamo export that are the program's constants, not weights: its buffers (by the graph
    signature: rotary tables, running statistics) and, when every parameter is in the file, the values the
    exporter folded (they came from buffers and constants: a position table sliced)."""
    buffers = _signature(m, "BUFFER")
    if buffers is None:  # no signature: nothing is known
        return set()
    return set(buffers) | (set() if exporter_folded(m) else set(_folded_initializers(m)))


def exporter_folded(m) -> list[str]:
    """What torch.onnx's dynamo exporter folded (its constant folding and fusions, `optimize=True`) that loses
    parameters. The exported program's graph signature (graph metadata) lists its parameters; one that no
    initializer is named after is gone from the file: folded into a constant (weight_norm's g v / |v|, a weight
    indexed at constant positions: an Instant-NGP hash grid's `tables[lv]`, a learned position embedding's rows),
    fused (eval batch norm into the convolution before it, which keeps the convolution weight's name for the fused
    value) or stored transposed under a `val_N` name; each is listed as `(parameter bn1.weight)`. When one is, the
    float initializers named after the FX node that computed them (`mul`, `linear_1`, quoted as `%mul` by the
    remaining nodes' `pkg.torch.onnx.fx_node` metadata) are listed before them: gradients reach those values, not
    the parameters. When every parameter is in the file, such initializers came from buffers and constants (a
    sinusoidal position table sliced, rotary angles): nothing a gradient should reach was lost, nothing is listed.
    (Folded factories, `zeros_like`, `scalar_tensor_default`, are never listed.) Without a signature (an older
    exporter), a parameter counts as lost when the remaining nodes quote its placeholder (`%p_bn1_weight`) and
    no initializer carries its name, and the folded values are listed whatever they came from."""
    folded, names = _folded_initializers(m), {t.name for t in m.graph.initializer}
    params = _signature(m, "PARAMETER")
    if params is not None:
        lost = [p for p in params if p not in names]
    else:
        # (a module's own nodes may quote a placeholder by the tail of its path: present if some name ends with it)
        present = tuple("_" + n.replace(".", "_") for n in names)
        lost = sorted(r[2:] for r in _fx_refs(m)
                      if r.startswith("p_") and not any(p.endswith("_" + r[2:]) for p in present))
    # (without a signature, the folded values are listed whatever they came from, as round 10 did)
    return (folded if lost or params is None else []) + [f"(parameter {n})" for n in lost]


def folded_warning(names) -> str:
    """What a user is told about exporter_folded's findings."""
    return (f"initializers {list(names)} are values torch.onnx's dynamo exporter computed when it exported "
            "(constant folding, fusions): the parameters they came from are not in the file, and initializers "
            "computed from them may carry a parameter's name, so gradients are w.r.t. these values (a 0-d one is "
            "a constant: none), not w.r.t. the parameters. Export with torch.onnx.export(..., dynamo=True, "
            "optimize=False) to keep the parameters, or import the module with gradserve.from_torch.")


def convert_graph(ctx, graph) -> list[str]:
    """The nodes of `graph` into ctx's writer; the writer names of the graph's outputs."""
    ctx.current_graph = graph
    for node in graph.node:
        try:
            _convert_node(ctx, graph, node)
        except ModelLimitExceeded:
            raise
        except UnsupportedModel as e:
            if e.op is None:
                e.op, e.node, e.version = node.op_type, node.name, ctx.opset
                e.args = (f"op {node.op_type} (node {node.name!r}, opset {ctx.opset}): {e.args[0]}",)
            raise
        except (IndexError, KeyError, ValueError, TypeError, ZeroDivisionError, OverflowError) as e:
            raise UnsupportedModel(f"op {node.op_type} (node {node.name!r}, opset {ctx.opset}) is malformed: "
                                   f"{type(e).__name__}: {e}", op=node.op_type, node=node.name,
                                   version=ctx.opset) from None
    return [ctx.val(o.name) for o in graph.output]


_DATA_SHAPE = "its output's shape depends on the input's values (gradserve graphs have static shapes)"
_RANDOM = "it draws random numbers (a gradserve graph is a deterministic function of its inputs)"
# Ops refused by design, with the reason the refusal gives (the rest are simply not implemented yet).
_WHY_NOT = {"NonZero": _DATA_SHAPE, "ImageDecoder": "it decodes encoded image bytes: " + _DATA_SHAPE,
            "Bernoulli": _RANDOM, "RandomUniform": _RANDOM, "RandomUniformLike": _RANDOM, "RandomNormal": _RANDOM,
            "RandomNormalLike": _RANDOM, "Multinomial": _RANDOM,
            "Optional": "optional-typed values are not modelled (only OptionalGetElement / OptionalHasElement "
                        "on a tensor or sequence are imported)"}


def _convert_node(ctx, graph, node) -> None:
    attrs = _attrs(node, ctx)
    if fold(ctx, node, attrs):
        return
    if node.domain in DOMAIN_OPS:
        h = DOMAIN_OPS[node.domain][node.op_type]  # (check_model let only these through)
    else:
        h = HANDLERS.get(node.op_type) or CONTROL_HANDLERS.get(node.op_type)
    if h is None:
        why = _WHY_NOT.get(node.op_type)
        raise UnsupportedModel(f"op {node.op_type} (node {node.name!r}, opset {ctx.opset}) is not supported by "
                               "the ONNX importer" + (f": {why}" if why else ""), op=node.op_type, node=node.name,
                               version=ctx.opset)
    outs = h(ctx, node, attrs)
    for i, o in enumerate(node.output):
        if o and i < len(outs) and isinstance(outs[i], list):
            ctx.seqs[o] = outs[i]
        elif o and i < len(outs) and outs[i] is not None:
            ctx.env[o] = outs[i]
        elif o in ctx.consts:  # folded by the handler (SequenceLength)
            continue
        elif o and _used(graph, o):
            raise UnsupportedModel(f"output {i} ({o!r}) is not supported")
    _check_sizes(ctx, node)


def _used(graph, name: str) -> bool:
    return any(name in n.input for n in graph.node) or any(o.name == name for o in graph.output)


def _check_sizes(ctx, node) -> None:
    cap = ctx.limits.get("max_elements")
    if cap is None:
        return
    for o in node.output:
        v = ctx.env.get(o)
        n = math.prod(ctx.w.shape(v)) if v is not None else (ctx.consts[o].size if o in ctx.consts else 0)
        if n > cap:
            raise ModelLimitExceeded(f"node {node.name!r} ({node.op_type}) makes a tensor of {n} elements, above "
                                     f"the limit max_elements={cap}", "max_elements", cap)


def onnx_to_graph(model, *, encode, input_shapes: dict | None = None, limits: dict | None = None,
                  scalar_weights: Iterable[str] = (), outputs: Iterable[str] | None = None, warn=None) -> dict:
    """The graph/1 document of an ONNX model; `encode(array)` writes a tensor's JSON; `warn(message)` hears
    what the caller should tell its user (weights the exporter folded)."""
    w, outputs = onnx_to_writer(model, input_shapes=input_shapes, limits=limits, scalar_weights=scalar_weights,
                                outputs=outputs)
    if warn is not None and w.folded:
        warn(folded_warning(w.folded))
    return w.doc(outputs if len(outputs) != 1 else outputs[0], encode)


def parse_input_shape(text: str) -> tuple[str, list[int]]:
    """`NAME=D1,D2,...` (the converter's --input-shape, the REST route's input_shape) -> (name, dims)."""
    name, _, dims = text.rpartition("=")
    try:
        shape = [int(d) for d in dims.split(",") if d.strip()]
    except ValueError:
        shape = None
    if not name or shape is None:
        raise ValueError(f"an input shape is NAME=D1,D2,..., got {text!r}")
    return name, shape
