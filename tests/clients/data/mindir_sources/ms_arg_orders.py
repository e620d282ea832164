"""MindSpore 2.10's argument order of each primitive (its generated `ops/auto_generate/gen_ops_prim.py`: `__call__`'s
inputs, then `__init__`'s arguments: the order a PRIMITIVE_FUNCTION node of a MindIR file carries them in) as
`../mindspore210_prim_arg_orders.json`, read by tests/clients/test_mindir.py. Run with MindSpore's Python."""
import ast, json, os
import mindspore

src = os.path.join(os.path.dirname(mindspore.__file__), "ops", "auto_generate", "gen_ops_prim.py")
orders = {}
for c in ast.parse(open(src).read()).body:
    if isinstance(c, ast.ClassDef):
        fns = {b.name: [a.arg for a in b.args.args[1:]] for b in c.body if isinstance(b, ast.FunctionDef)}
        if "__call__" in fns:
            orders[c.name] = [fns["__call__"], fns.get("__init__", [])]
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "mindspore210_prim_arg_orders.json"), "w") as f:
    json.dump(orders, f, separators=(",", ":"), sort_keys=True)
print(len(orders), "primitives")
