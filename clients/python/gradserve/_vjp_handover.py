"""A vjp of a grad: the hand-over of hook results from the vjp's forward call to its vjp_fn's runs
(ops._autodiff.vjp; the rest of the hooks' probing: _hook_probes).

MindSpore calls a hook of the first pass in the vjp's forward call only. The hooks that read and changed their
gradient there are collected, [(their behaviour, the values they were given, their _Piece or None)] in call order
(vjp_forward, collect); each vjp_fn run takes them, in order, by the same hooks' calls (vjp_backward, taken), and
traces what they returned again for the second pass to differentiate (_hook_probes.Probe._as_handed).
"""
from __future__ import annotations

import contextlib

_collecting: list = [None]
_handing: list = [None]


@contextlib.contextmanager
def vjp_forward():
    """The forward call of a vjp: yields the list its changing hooks' calls are collected in."""
    before, _collecting[0] = _collecting[0], []
    try:
        yield _collecting[0]
    finally:
        _collecting[0] = before


def collecting() -> bool:
    """Whether a vjp's forward call is being run (vjp_forward): its hooks' calls are handed to vjp_fn."""
    return _collecting[0] is not None


@contextlib.contextmanager
def vjp_backward(collected: list):
    """A vjp_fn's run: its hook calls take, by behaviour in order, what its forward call collected."""
    before, _handing[0] = _handing[0], collected
    try:
        yield
    finally:
        _handing[0] = before


def taken(fn, root, behaviour):
    """(values, piece) of the forward's call of this hook (vjp_backward), taken by the run of trace root (each run,
    a rerun too, takes them anew); None where none is. behaviour(fn): what tells the hook's calls apart."""
    if _handing[0] is None:
        return None
    entries = root.__dict__.setdefault("_gs_handed", list(_handing[0]))
    if entries:
        b = behaviour(fn)
        for k, e in enumerate(entries):
            if e[0] == b:
                return entries.pop(k)[1:]
    return None


def collect(root, behaviour) -> None:
    """A vjp's forward call over (vjp_forward): its changing hooks' calls, into the list collected."""
    if _collecting[0] is None:
        return
    calls, pieces = root.__dict__.get("_gs_calls", []), root.__dict__.get("_gs_pieces", {})
    known, results = root.__dict__.get("_gs_known", {}), root.__dict__.get("_gs_results", {})
    for i in sorted(set(known) | set(results)):
        fn = calls[i][0]
        if i in results:
            _collecting[0].append((behaviour(fn), results[i][1], None))
        elif i not in root.__dict__["_gs_done"]:  # (made with its values known, it returned a gradient)
            _collecting[0].append((behaviour(fn), known[i], pieces.get(i)))
