"""MindSpore's documented examples (the `Examples:` block of each public API's docstring, with the output its
docs print) run through the rename-only shim against a real gradserve server, compared numerically.

  MS_PYTHON extract OUT.json            # with MindSpore's Python: the examples of every listed module's API
  python doc_examples.py run EX.json RES.json [--modules ops,nn] [--timeout S] [--reference]
  python doc_examples.py report RES.json [-v] [--before OLD.json] [--against MS_RES.json]

The docstrings are read from MindSpore at run time (never stored in this repository). `run` uses this
checkout's SDK through conftest.py's shim (`import mindspore` is `import gradserve`) and a server it starts on
free loopback ports; `--reference` runs the same examples on MindSpore itself (MS_PYTHON) instead, to tell a
wrong doc from a wrong gradserve. Outcome per example: pass, mismatch (printed numbers differ beyond rtol
1e-4 / atol 1e-5: silently wrong), error (an exception, a crash or a timeout: missing API), skipped (reason).
"""
from __future__ import annotations

import argparse
import ast
import collections
import contextlib
import doctest
import io
import json
import linecache
import os
import re
import signal
import subprocess
import sys
import tempfile
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RTOL, ATOL = 1e-4, 1e-5

# module label -> how to reach its public callables from `import mindspore` (evaluated in MindSpore's Python)
MODULES = {
    "ops": "mindspore.ops",
    "ops.operations": "mindspore.ops.operations",
    "nn": "mindspore.nn",
    "Tensor": "mindspore.Tensor",
    "numpy": "mindspore.numpy",
    "scipy.linalg": "mindspore.scipy.linalg",
    "scipy.optimize": "mindspore.scipy.optimize",
}

# an example calling one of these prints numbers MindSpore's generator chose: not comparable
RANDOM = re.compile(r"\b(random|rand|randn|randint|randperm|uniform|normal|standard_normal|standard_laplace|"
                    r"multinomial|gamma|poisson|dropout\w*|Dropout\w*|shuffle|RandomChoice\w*|random_\w+|"
                    r"Uniform\w*|Normal\b|TruncatedNormal|XavierUniform|HeUniform|HeNormal|"
                    r"RandomCategorical|LogUniformCandidateSampler|set_seed|get_seed|bernoulli|"
                    r"choice_with_mask|sample\w*|categorical|laplace|rrelu|RReLU|rand\w*_like|Cauchy|StandardNormal|"
                    r"StandardLaplace|Multinomial|Gamma|Poisson|UniformInt|UniformReal|RandomGamma|RandomPoisson)\b")
DEVICE = re.compile(r"device_target\s*=\s*['\"](Ascend|GPU)|\bcommunication\b|\binit\(\)|get_rank|"
                    r"\bmindspore\.mint\.distributed|\bcomm_func\b")


# ----------------------------------------------------------------------------------------- extraction
def _platforms(doc: str) -> list[str]:
    m = re.search(r"Supported Platforms:\s*\n((?:\s*``\w+``\s*)+)", doc)
    return re.findall(r"``(\w+)``", m.group(1)) if m else []


def _members(label: str):
    import mindspore  # noqa: F401  (MindSpore's Python only)
    import importlib
    path = MODULES[label]
    if label == "Tensor":
        holder = mindspore.Tensor
    else:
        holder = importlib.import_module(path)
    for name in sorted(dir(holder)):
        if name.startswith("_"):
            continue
        try:
            yield name, getattr(holder, name)
        except Exception:  # some lazy attributes fail to build outside a device context
            continue


def extract(out: str) -> None:
    """Every listed module's public members with an Examples block; an example shown again under another name
    (ops.abs and Tensor.abs share a docstring) counts once per module."""
    parser = doctest.DocTestParser()
    found = []
    for label in MODULES:
        seen = set()
        for name, obj in _members(label):
            if label == "ops" and isinstance(obj, type):  # primitives: counted under ops.operations
                continue
            doc = getattr(obj, "__doc__", None)
            if not isinstance(doc, str) or ">>>" not in doc:
                continue
            try:
                steps = [(e.source, e.want, _directives(e)) for e in parser.get_examples(doc)]
            except ValueError:  # a malformed docstring block: counts as no example
                continue
            key = tuple(s for s, _, _ in steps)
            if not steps or key in seen:
                continue
            seen.add(key)
            found.append({"module": label, "api": f"{MODULES[label]}.{name}", "platforms": _platforms(doc),
                          "steps": steps})
    with open(out, "w") as f:
        json.dump(found, f)
    print(f"{len(found)} examples: " + ", ".join(f"{k} {v}" for k, v in
                                               collections.Counter(e["module"] for e in found).items()))


def _directives(example: doctest.Example) -> list[str]:
    names = {v: k for k, v in doctest.OPTIONFLAGS_BY_NAME.items()}
    return [names[flag] for flag, on in example.options.items() if on and flag in names]


# ----------------------------------------------------------------------------------------- comparison
_DTYPE = re.compile(r"\b(?:mindspore\.|mstype\.|np\.|numpy\.)?(?:b?float|Float|BFloat|int|Int|uint|UInt|bool|Bool|"
                    r"complex|Complex)(?:\d+|_)?\b|dtype\s*=\s*[\w.]+|shape\s*=\s*[\[(][^\])]*[\])]")
_NUMBER = re.compile(r"[-+]?(?:nan|inf)\b|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|\b(?:True|False)\b", re.I)


def _numbers(text: str) -> list[float]:
    values = []
    for token in _NUMBER.findall(_DTYPE.sub(" ", text)):
        low = token.lower()
        values.append(1.0 if low == "true" else 0.0 if low == "false" else float(low))
    return values


def _words(text: str) -> str:
    return " ".join(re.sub(r"[\[\](),=:]", " ", _DTYPE.sub(" ", text)).split()).lower()


def outputs_match(got: str, want: str) -> tuple[bool, str]:
    """(same, why not). Numbers in order within rtol/atol (NaN equals NaN); dtype names, `dtype=` and `shape=`
    fields, brackets and spacing are formatting. Without numbers, the words must match."""
    if got.strip() == want.strip():
        return True, ""
    w, g = _numbers(want), _numbers(got)
    if not w and not g:
        same = _words(got) == _words(want)
        return same, "" if same else "text differs"
    if len(w) != len(g):
        return False, f"{len(g)} numbers printed, docs show {len(w)}"
    for i, (a, b) in enumerate(zip(g, w)):
        if not (a == b or (a != a and b != b) or abs(a - b) <= ATOL + RTOL * abs(b)):
            return False, f"number {i}: {a!r}, docs show {b!r}"
    return True, ""


def skip_reason(example: dict) -> str | None:
    source = "".join(s for s, _, _ in example["steps"])
    wants = "".join(w for _, w, _ in example["steps"])
    if example["platforms"] and "CPU" not in example["platforms"]:
        return "not supported on CPU (docs' Supported Platforms)"
    if any("SKIP" in d for _, _, d in example["steps"]):
        return "marked +SKIP in the docs"
    if DEVICE.search(source):
        return "needs a device or a cluster"
    if RANDOM.search(source):
        return "random output"
    if "..." in wants and any("ELLIPSIS" in d for _, _, d in example["steps"]) or re.search(r"\.\.\.\s*$", wants):
        return "output elided in the docs"
    return None


# ----------------------------------------------------------------------------------------- running
# what MindSpore's examples take as already imported (many of them use these names without importing them)
PRELUDE = ("import numpy as np\nimport mindspore\nimport mindspore as ms\n"
           "from mindspore import Tensor, Parameter, nn, ops, context\nimport mindspore.numpy as mnp\n"
           "from mindspore import dtype as mstype\nfrom mindspore.ops import operations as P\n")
MARK = "@@doc-example-result@@ "  # a result line among whatever else the library prints on fd 1

class _Timeout(Exception):
    pass


def _on_alarm(*_):
    raise _Timeout()


def _example_module(example: dict, path: str):
    """The example's namespace: a module of its own backed by a real file holding its steps (MindSpore's graph
    mode reads a Cell's source through inspect), and each step compiled at its lines in that file."""
    text, codes = PRELUDE, []
    for source, _, _ in example["steps"]:
        tree = ast.parse(source, path, "single")
        ast.increment_lineno(tree, text.count("\n"))
        codes.append(compile(tree, path, "single"))
        text += source
    with open(path, "w") as f:
        f.write(text)
    linecache.checkcache(path)
    module = types.ModuleType("__doc_example__")
    module.__file__ = path
    sys.modules[module.__name__] = module
    exec(compile(PRELUDE, path, "exec"), module.__dict__)
    return module.__dict__, codes


def run_example(example: dict, timeout: float, path: str) -> dict:
    """One example's steps in a fresh namespace, as doctest would ('single' mode echoes bare expressions)."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(int(timeout))
    try:
        index = -1
        scope, codes = _example_module(example, path)
        for index, (code, (_, want, _)) in enumerate(zip(codes, example["steps"])):
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    exec(code, scope)
            except BaseException as exc:  # an expected exception is part of the documented output
                if want.lstrip().startswith("Traceback") and not isinstance(exc, _Timeout):
                    continue
                raise
            if want.lstrip().startswith("Traceback"):
                return {"outcome": "mismatch", "detail": "no exception; docs show one", "step": index}
            same, why = outputs_match(out.getvalue(), want)
            if not same and want.strip():
                return {"outcome": "mismatch", "detail": why, "step": index,
                        "got": out.getvalue()[:400], "want": want[:400]}
        return {"outcome": "pass"}
    except _Timeout:
        return {"outcome": "error", "detail": f"timeout after {timeout:g} s", "step": index}
    except BaseException as exc:
        line = traceback.format_exception_only(type(exc), exc)[-1].strip()
        if isinstance(exc, NameError) and traceback.extract_tb(exc.__traceback__)[-1].filename == path:
            return {"outcome": "skipped", "detail": f"the example uses a name it never defines ({line})"}
        return {"outcome": "error", "detail": line[:300], "step": index}
    finally:
        signal.alarm(0)


def worker(timeout: float) -> None:
    """Examples as JSON lines on stdin; one result line each on stdout (the real stdout: examples print)."""
    if os.environ.get("GS_SHIM") == "1":
        sys.path.insert(0, HERE)
        import conftest  # noqa: F401  (installs the mindspore -> gradserve alias)
    results = os.fdopen(os.dup(1), "w")
    sys.stdout = io.StringIO()
    folder = tempfile.mkdtemp(prefix="doc_examples_")
    for n, line in enumerate(sys.stdin):
        result = run_example(json.loads(line), timeout, os.path.join(folder, f"example_{n}.py"))
        sys.stdout = io.StringIO()
        results.write(MARK + json.dumps(result) + "\n")
        results.flush()


class _Worker:
    """A `worker` subprocess fed one example at a time; one that dies or hangs is replaced, its example an error."""

    def __init__(self, python: str, env: dict, timeout: float):
        self.args = [python, os.path.abspath(__file__), "worker", "--timeout", str(timeout)]
        self.env, self.timeout, self.proc = env, timeout, None

    def ask(self, example: dict) -> dict:
        import select
        if self.proc is None:
            self.proc = subprocess.Popen(self.args, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        self.proc.stdin.write(json.dumps(example) + "\n")
        self.proc.stdin.flush()
        line = " "
        while line and not line.startswith(MARK):
            ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout + 60)  # + a first import
            line = self.proc.stdout.readline() if ready else ""
        if line:
            return json.loads(line[len(MARK):])
        self.close()
        return {"outcome": "error", "detail": "worker crashed" if ready else "worker hung"}

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None


@contextlib.contextmanager
def _gradserve_env():
    """This checkout's SDK through the shim, against a server of this checkout on free loopback ports."""
    sys.path.insert(0, ROOT)
    from benchmarks import _server
    port = _server.free_port()
    server = subprocess.Popen([_server.server_binary()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=_server.server_env(GRADSERVE_PORT=str(port), GRADSERVE_DEVICES="cpu",
                                                     GRADSERVE_GRPC_PORT=str(_server.free_port())))
    try:
        _server.wait_ready(server, f"http://127.0.0.1:{port}/v2/health/ready")
        yield _server.server_env(GRADSERVE_SERVER=f"http://127.0.0.1:{port}", GS_SHIM="1")
    finally:
        _server.stop(server)


def run(examples_path: str, out: str, modules: list[str] | None, timeout: float, reference: bool) -> None:
    examples = [e for e in json.load(open(examples_path)) if not modules or e["module"] in modules]
    results = []
    context = contextlib.nullcontext(dict(os.environ)) if reference else _gradserve_env()
    python = os.environ["MS_PYTHON"] if reference else sys.executable
    with context as env:
        worker_proc = _Worker(python, env, timeout)
        try:
            for i, example in enumerate(examples):
                reason = skip_reason(example)
                result = {"outcome": "skipped", "detail": reason} if reason else worker_proc.ask(example)
                results.append({"module": example["module"], "api": example["api"], **result})
                if i % 100 == 99:
                    print(f"{i + 1}/{len(examples)}", collections.Counter(r["outcome"] for r in results), flush=True)
        finally:
            worker_proc.close()
    with open(out, "w") as f:
        json.dump(results, f, indent=0)
    report(out, verbose=False)


# ----------------------------------------------------------------------------------------- report
def against_reference(results: list[dict], reference: str) -> None:
    """A mismatch with the docs where MindSpore itself (a `run --reference` result) prints the same numbers
    as gradserve is the docs' (another device's output, a doc typo): outcome 'docs differ from MindSpore'."""
    theirs = {r["api"]: r for r in json.load(open(reference))}
    for r in results:
        ms = theirs.get(r["api"], {})
        if r["outcome"] == "mismatch" and ms.get("outcome") == "mismatch" and "got" in r and "got" in ms \
                and outputs_match(r["got"], ms["got"])[0]:
            r["outcome"], r["detail"] = "docs≠ms", f"MindSpore CPU prints the same: {r['detail']}"


def report(path: str, verbose: bool, before: str | None = None, reference: str | None = None) -> None:
    results = json.load(open(path))
    if reference:
        against_reference(results, reference)
    old = {(r["module"], r["api"]): r["outcome"] for r in json.load(open(before))} if before else {}
    table = collections.defaultdict(collections.Counter)
    for r in results:
        table[r["module"]][r["outcome"]] += 1
    print("| module | examples | pass | mismatch | docs≠ms | error | skipped |\n|---|---|---|---|---|---|---|")
    for module, counts in list(table.items()) + [("total", sum(table.values(), collections.Counter()))]:
        print(f"| {module} | {sum(counts.values())} | {counts['pass']} | {counts['mismatch']} | {counts['docs≠ms']} "
              f"| {counts['error']} | {counts['skipped']} |")
    reasons = collections.Counter(re.sub(r"(?<!\w)\d+(\.\d+)?", "N", r["detail"] or "")[:120]
                                  for r in results if r["outcome"] in ("error", "skipped"))
    print("\nmost common error / skip reasons:")
    for why, n in reasons.most_common(30 if verbose else 12):
        print(f"{n:5d}  {why}")
    if reference:
        ms_pass = {r["api"] for r in json.load(open(reference)) if r["outcome"] == "pass"}
        both = collections.Counter((r["module"], r["outcome"] == "pass") for r in results if r["api"] in ms_pass)
        print("\nof the examples MindSpore passes: " + ", ".join(
            f"{m} {both[m, True]}/{both[m, True] + both[m, False]}" for m in table))
    for r in results:
        if verbose and r["outcome"] in ("mismatch", "error"):
            print(f"{r['outcome']:8s} {r['api']}: {r['detail']}")
        if old and old.get((r["module"], r["api"])) == "pass" and r["outcome"] != "pass":
            print(f"LOST     {r['api']}: {r['outcome']} {r['detail']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["extract", "run", "report", "worker"])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--modules", default="")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--reference", action="store_true")
    ap.add_argument("--before")
    ap.add_argument("--against", help="a `run --reference` result: docs mismatches MindSpore shares")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    if a.command == "extract":
        extract(a.paths[0])
    elif a.command == "run":
        run(a.paths[0], a.paths[1], [m for m in a.modules.split(",") if m], a.timeout, a.reference)
    elif a.command == "report":
        report(a.paths[0], a.v, a.before, a.against)
    else:
        worker(a.timeout)


if __name__ == "__main__":
    main()
