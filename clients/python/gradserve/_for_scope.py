"""A name a `for` body (or its target) assigns, nothing bound before the loop, read after it: MindSpore 2.10's
graph refuses it (UnboundLocalError "The local variable 'y' defined in the 'for' loop body cannot be used outside
of the loop body. Please define variable 'y' before 'for'.", over a range, tuple, list, Tensor, zip or enumerate,
unrolled or not), where Python's loop keeps the last pass's value. This pass of the rewrite (before pass 0) puts
around each such `for` a note of the names unbound where it starts and, after it, an unbinding of those
(_graph_unbound.unbound_for: under GRAPH_MODE's semantics only), so a later read is MindSpore's error. Only names
read somewhere after the loop are handled: one the body alone uses stays as it is (the functions passes 3 and 4
make of an enclosing `if` / `while` return every name their body assigns)."""
from __future__ import annotations

import ast

_H = "_gs_"  # the helpers' name inside rewritten code (_rewrite's)
FOR_NOTE = "_gs_forundef"  # a loop's note of its unbound names


def _stmt(src: str, at: ast.stmt, keep: bool = False) -> ast.stmt:
    s = ast.parse(src).body[0]
    for n in ast.walk(s):
        if isinstance(n, (ast.stmt, ast.expr)):
            n.lineno, n.end_lineno = at.lineno, at.lineno  # (a read's error points at the loop's line)
            n.col_offset, n.end_col_offset = at.col_offset, at.col_offset
        if isinstance(n, ast.Name) and n.id == "locals":
            setattr(n, "_gs_own", True)  # (_rewrite._names_read: not the user's locals())
    if keep:
        setattr(s, "_gs_keep", True)  # (pass 3 leaves it a Python `if`: its test is a Python bool)
    return s


class ForScope(ast.NodeTransformer):
    def __init__(self, fdef: ast.FunctionDef):
        self.n = 0
        a = fdef.args
        self.params = {p.arg for p in a.posonlyargs + a.args + a.kwonlyargs + [v for v in (a.vararg, a.kwarg) if v]}
        # names the function body's own plain assignments bind (bound for certain after their line: no note)
        self.top = [(s.lineno, t.id) for s in fdef.body if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign))
                    for t in (s.targets if isinstance(s, ast.Assign) else [s.target]) if isinstance(t, ast.Name)]
        self.loads = [(n.lineno, n.col_offset, n.id) for n in ast.walk(fdef)  # (the user's: an earlier pass's
                      if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and hasattr(n, "lineno")]  # have none)

    def _read_after(self, node: ast.For) -> set[str]:
        end = (getattr(node, "end_lineno", None) or getattr(node, "lineno", 0), getattr(node, "end_col_offset", 0) or 0)
        return {name for line, col, name in self.loads if (line, col) >= end}

    def _own_scope(self, node: ast.AST) -> ast.AST:
        return node  # (a nested def's loops are its own scope's: rewritten when it runs)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _own_scope

    def visit_For(self, node: ast.For):
        self.generic_visit(node)
        stored = {n.id for s in [node.target, *node.body] for n in ast.walk(s)
                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        bound = self.params | {name for line, name in self.top if line < node.lineno}
        names = sorted(n for n in stored & self._read_after(node) - bound if not n.startswith(_H))
        if not names:
            return node
        self.n += 1
        undef = f"{FOR_NOTE}{self.n}"
        pre = _stmt(f"{undef} = {_H}.undefined(locals(), {tuple(names)!r})", node)
        post = [_stmt(f"if {_H}.unbound_for({n!r}, {undef}, locals()):\n    del {n}", node, keep=True) for n in names]
        return [pre, node, *post]
