"""Readable text form of a graph (for logs, errors and debugging)."""
from __future__ import annotations

from .ir import Graph, UniqueNames, tree_flatten


def format_graph(g: Graph, indent: str = "") -> str:
    n = UniqueNames()

    def attr(k, v) -> str:
        if hasattr(v, "shape") and hasattr(v, "dtype"):  # a tensor attribute: its type, not its data
            return f"{k}=<{v.dtype}[{','.join(map(str, v.shape))}]>"
        return f"{k}={v!r}"

    lines = []
    for fname, fg in g.functions.items():
        if fname != g.name:
            lines.append(format_graph(fg, indent) + "\n")
    ins = ", ".join(f"{n(v)}: {v.aval}" for v in g.inputs)
    ps = ", ".join(f"{n(p)}: {p.aval}" for p in g.params)
    lines.append(f"{indent}def {g.name}({ins}){f' params({ps})' if ps else ''}:")
    for e in g.eqns:
        attrs = ", ".join(attr(k, v) for k, v in e.attrs.items())
        outs = ", ".join(f"{n(o)}: {o.aval}" for o in e.outputs)
        lines.append(f"{indent}  {outs} = {e.op}({', '.join(n(x) for x in e.inputs)}{', ' if attrs and e.inputs else ''}{attrs})")

    def tree(t):
        if isinstance(t, tuple):
            return "(" + ", ".join(tree(s) for s in t) + ("," if len(t) == 1 else "") + ")"
        return n(t)

    lines.append(f"{indent}  return {tree(g.outputs)}")
    return "\n".join(lines)
