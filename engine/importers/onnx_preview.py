"""ai.onnx.preview ops that ONNX defines by a (context-dependent) function body, imported as that body: the
schema builds the body for the node's attributes (FlexAttention inlines its score_mod / prob_mod graphs there) and
input types, the body's values are renamed into the node's scope and converted as default-domain nodes. Only the
ops named in PREVIEW are accepted from that domain (onnx_graph refuses the rest)."""
from __future__ import annotations

import numpy as np

from .graph_writer import UnsupportedModel

DOMAIN = "ai.onnx.preview"


def _input_types(ctx, node) -> list[bytes]:
    """The node's inputs as serialized TypeProtos (an absent optional input: an empty one)."""
    from onnx import TypeProto, helper

    out = []
    for name in node.input:
        if not name:
            out.append(TypeProto().SerializeToString())
            continue
        v = ctx.val(name)
        et = helper.np_dtype_to_tensor_dtype(np.dtype(ctx.w.dtype(v)))
        out.append(helper.make_tensor_type_proto(et, list(ctx.w.shape(v))).SerializeToString())
    return out


def _body(ctx, node):
    """The schema's function body for this node (the newest at or below the model's ai.onnx.preview opset)."""
    from onnx import FunctionProto, defs

    version = ctx.opset_imports.get(DOMAIN, 1)
    try:
        schema = defs.get_schema(node.op_type, version, DOMAIN)
    except Exception:  # noqa: BLE001 (onnx's SchemaError: no such op at that version)
        raise UnsupportedModel(f"{DOMAIN}.{node.op_type} has no schema at opset {version}") from None
    ctx_versions = [v for v in schema.context_dependent_function_opset_versions if v <= version]
    plain = [v for v in schema.function_opset_versions if v <= version]
    fn = FunctionProto()
    if ctx_versions:
        fn.ParseFromString(schema.get_context_dependent_function_with_opset_version(
            max(ctx_versions), node.SerializeToString(), _input_types(ctx, node)))
    elif plain:
        fn.ParseFromString(schema.get_function_with_opset_version(max(plain)))
    else:
        raise UnsupportedModel(f"{DOMAIN}.{node.op_type} has no function body at opset {version}")
    return schema, fn


def _renamed(node, schema, fn, prefix: str) -> list:
    """The body's nodes with the function's inputs / outputs as the node's and its own values prefixed; attribute
    references resolved from the node (else the schema's default, else dropped)."""
    from onnx import NodeProto

    names = dict(zip(fn.input, node.input))
    names.update({o: n for o, n in zip(fn.output, node.output) if n})
    given = {a.name: a for a in node.attribute}
    out = []
    for b in fn.node:
        n = NodeProto()
        n.CopyFrom(b)
        if any(a.type in (a.GRAPH, a.GRAPHS) for a in n.attribute):
            raise UnsupportedModel(f"{DOMAIN}.{node.op_type}: its function body has a sub-graph (not expanded here)")
        n.name = prefix + b.name
        n.input[:] = [names.get(i, prefix + i) if i else "" for i in b.input]
        n.output[:] = [names.get(o, prefix + o) if o else "" for o in b.output]
        attrs = []
        for a in n.attribute:
            if a.ref_attr_name:
                src = given.get(a.ref_attr_name)
                if src is None and a.ref_attr_name in schema.attributes and \
                        schema.attributes[a.ref_attr_name].default_value.name:
                    src = schema.attributes[a.ref_attr_name].default_value
                if src is None:
                    continue
                a2 = type(a)()
                a2.CopyFrom(src)
                a2.name = a.name
                a = a2
            attrs.append(a)
        del n.attribute[:]
        n.attribute.extend(attrs)
        out.append(n)
    return out


def _expand(ctx, node, attrs):
    from onnx import helper

    schema, fn = _body(ctx, node)
    nodes = _renamed(node, schema, fn, f"{node.name or node.op_type}__{len(ctx.w.nodes)}__")
    outs = [o for o in node.output if o]
    g = helper.make_graph(nodes, f"{node.op_type}_body", [], [helper.make_empty_tensor_value_info(o) for o in outs])
    outer = ctx.current_graph
    try:
        got = dict(zip(outs, ctx.convert(g)))
    finally:
        ctx.current_graph = outer
    return [got.get(o) for o in node.output]


PREVIEW = {"FlexAttention": _expand}
