"""The code's shape (issue #11): op properties declared once on the op, imports pointing one way,
short functions. Static checks over the source, so they hold for code added later too."""
from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from engine.ops import OPS
from engine.ops.registry import FLAGS, OpDef, flagged

ROOT = Path(__file__).resolve().parents[2]
PASSES = ["engine/builder.py", "engine/simplify.py", "engine/optimize.py", "engine/contract.py", "engine/executor.py"]


# -- op flags -----------------------------------------------------------------------------------
def test_every_flag_a_pass_reads_is_declared_on_opdef():
    fields = {f.name for f in dataclasses.fields(OpDef)}
    assert set(FLAGS) <= fields
    read = set()
    for path in PASSES:
        src = (ROOT / path).read_text()
        # op definitions are read as OPS[name].flag, od.flag or op.flag
        read |= set(re.findall(r"\b(?:od|op|OPS\[[^\]]+\])\.([a-z_]+)\b", src))
    used_flags = read & (fields - {"name", "arity", "infer", "attrs", "n_outputs", "min_arity", "doc"})
    assert used_flags, "the passes read no flag: the pattern above is out of date"
    assert used_flags <= set(FLAGS) | {"nondiff"}, f"undeclared flags read: {used_flags - set(FLAGS)}"


def test_passes_keep_no_private_op_lists():
    """A set or tuple of three or more op names in a pass is a property that belongs on the ops."""
    names = set(OPS)
    for path in PASSES:
        tree = ast.parse((ROOT / path).read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Set, ast.Tuple, ast.List)):
                consts = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                ops = [c for c in consts if c in names]
                # the sign identities of absorb_neg (neg/add/sub/mul/div) are rules about those ops
                if len(ops) >= 3 and set(ops) != {"neg", "add", "sub", "mul", "div"}:
                    pytest.fail(f"{path}:{node.lineno}: op list {ops}: declare it as a flag on the ops")


def test_flags_are_consistent():
    for name in flagged("commutative"):
        assert OPS[name].arity == 2, name
    for name in flagged("broadcasts"):
        assert OPS[name].arity == 2, name
    for name in flagged("fold"):  # folding works on Python floats of every operand
        assert OPS[name].arity in (1, 2), name
    assert flagged("sign_symmetric") >= {"neg", "sum", "reshape", "matmul"}
    assert "index_scatter" in flagged("linear") and "index_scatter" not in flagged("sign_symmetric")
    assert {n for n, op in OPS.items() if not op.cse} == {"identity"}
    with pytest.raises(ValueError, match="unknown flag"):
        from engine.ops.registry import defop

        defop("never_registered", 1, lambda avals: avals, comutative=True)


# -- import direction ----------------------------------------------------------------------------
def _module_graph(pkg_dir: Path, pkg: str) -> dict[str, set[str]]:
    """Module -> project modules it imports (module level or inside functions)."""
    mods = {}
    for p in pkg_dir.rglob("*.py"):
        rel = p.relative_to(pkg_dir.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = p
    graph: dict[str, set[str]] = {}
    for mod, p in mods.items():
        is_pkg = p.name == "__init__.py"
        here = mod.split(".") if is_pkg else mod.split(".")[:-1]
        deps = set()
        for node in ast.walk(ast.parse(p.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = here[:len(here) - node.level + 1] if node.level else []
                root = ".".join(base + ([node.module] if node.module else []))
                targets = [root] + [f"{root}.{a.name}" for a in node.names]
            for t in targets:
                if t in mods and t != mod:
                    deps.add(t)
        graph[mod] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _without_packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """A package's __init__ re-exports its modules; importing pkg.mod runs pkg/__init__ first but
    that is not a dependency of pkg.mod on the package's other modules."""
    return {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_engine_modules():
    assert _cycles(_without_packages(_module_graph(ROOT / "engine", "engine"))) == []


def test_no_import_cycle_among_sdk_modules():
    # lower layers reach upper ones through gradserve/_late.py (filled by the upper layers when imported)
    assert _cycles(_without_packages(_module_graph(ROOT / "clients/python/gradserve", "gradserve"))) == []


# The SDK's layers, lowest first: a module imports its own layer or lower ones (within a layer the cycle
# test above keeps the order). Upward calls go through gradserve/_late.py. A new module joins a layer here.
SDK_LAYERS = [
    ("base", ["dtype", "errors", "_private_arrays", "_views", "_catalog", "_shape_rules", "_infer", "_version", "_wire", "_late", "_misc", "_join_kinds", "_seq_twins", "_dynamic_len", "_jit_forbidden", "_slice_bounds", "_top_types",
              "_proto", "_extends", "_jit_config",
              "importers._shared"]),  # the importers' graph writer and composites: NumPy only (ops/_householder runs them)
    ("data", ["_tensor", "_calling_errors", "_seq_operands", "_sparse", "_cell_buffers", "_cell_insert", "_state_dict", "_eager", "common.dtype", "common.tensor", "common.sparse_tensor", "common.parameter", "common.initializer",
              "_tensor_function"]),
    ("transport", ["_shm", "_weights_by_hash", "_transport", "_client", "_lane", "_context_checks", "context"]),
    ("trace", ["_amp_cast", "_lifted", "_pyguard", "_param_state", "_attr_writes", "_graph_print", "_ir_dump", "_graph_steps", "_inplace_state", "_nonfinite_attrs", "_value_reads", "_vjp_handover", "_hook_probes", "_twins", "_same_args", "_trace", "_if_alias", "_bprop", "_jit", "_hooks", "_overload_errors"]),
    ("ops", ["ops", "_vmap", "_vmap_out", "_vmap_ensemble", "_jacobian", "_taylor", "_dynindex", "numpy", "_numpy_creation", "_numpy_math", "_numpy_stats", "_numpy_funcs", "_numpy_logic", "scipy", "scipy.fft", "scipy.linalg", "scipy.ops", "scipy.utils"]),
    ("nn", ["_branch_join", "_seq_setitem", "_join_probe", "_branches", "_graph_raise", "_while", "_member_in", "_graph_dict", "_graph_minmax", "_graph_enumerate", "_graph_isinstance", "_graph_names", "_graph_globals", "_graph_lists", "_graph_zero_div", "_graph_attr", "_graph_shift", "_graph_index", "_private_names", "_graph_unbound", "_for_scope", "_rewrite", "_switch_layer", "_cellbase", "_training", "_function", "_mindir", "nn"]),
    ("front", ["gradserve", "common", "common.api", "importers", "_support", "graph", "_checkpoint", "_callbacks", "_on_request_exit", "_model", "amp", "train", "dataset", "mint", "runtime", "device_context", "experimental",
               "_c_expression", "_c_dataengine", "_checkparam", "log", "mindrecord", "rewrite", "profiler", "communication",
               "ops.function"]),  # MindSpore's spelling: re-exports, and custom_vjp (a Cell)
]


def _sdk_layer(mod: str) -> int:
    name = mod.removeprefix("gradserve.") if mod != "gradserve" else mod
    best = None  # the longest listed prefix decides (common.initializer over common)
    for rank, (_, members) in enumerate(SDK_LAYERS):
        for m in members:
            if (name == m or name.startswith(m + ".")) and (best is None or len(m) > len(best[1])):
                best = (rank, m)
    assert best is not None, f"{mod} is in no SDK layer: add it to SDK_LAYERS in {Path(__file__).name}"
    return best[0]


def test_sdk_imports_point_down_the_layers():
    graph = _without_packages(_module_graph(ROOT / "clients/python/gradserve", "gradserve"))
    for m in graph:  # every module has its place, even one nothing imports yet
        _sdk_layer(m)
    upward = [f"{m} ({SDK_LAYERS[_sdk_layer(m)][0]}) -> {d} ({SDK_LAYERS[_sdk_layer(d)][0]})"
              for m, deps in sorted(graph.items()) for d in sorted(deps) if _sdk_layer(d) > _sdk_layer(m)]
    assert upward == []


# -- function length -----------------------------------------------------------------------------
MAX_LINES = 80
# (by name: "_proto" as a folder matched neither service/proto nor service/oip_proto, whose protoc output was
# measured as if written by hand)
GENERATED = ("_pb2.py", "_pb2_grpc.py", "_shape_rules.py")


def _long_functions(root: Path) -> list[str]:
    out = []
    for p in sorted(root.rglob("*.py")):
        if p.name.endswith(GENERATED):
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_LINES:
                    out.append(f"{p.relative_to(ROOT)}:{node.lineno} {node.name} ({n} lines)")
    return out


@pytest.mark.parametrize("where", ["engine", "service", "clients/python/gradserve"])
def test_no_function_over_80_lines(where):
    assert _long_functions(ROOT / where) == []
