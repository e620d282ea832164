"""Tensors a traced construct writes to Cell attributes (`self.last = x * 2`, `self.buf = self.buf + x`).

MindSpore runs such a write on every call, in both modes, and the attribute then holds that call's forward
value. A trace cannot hold a value, so each write is noted (on the root trace: `note`) and carried out of the
traced code the way Parameter assignments are (_param_state):
- a function traced for a derivative or a call node (grad, value_and_grad, GradOperation, jvp, vjp, nested
  grads: trace_function with attrs="out") gives each Tensor of its own left in an attribute as an extra output
  of its node (`function_outputs`, stopped: no derivative reaches it); the node's output becomes the attribute's
  value in the calling trace (`take`), and so on up to the root;
- the top graph gives the root's as extra outputs of the program (`program_outputs`), whose run sets them to
  its concrete values (_trace._set_attr_writes);
- a function whose forward is not this call's (vjp_fn's rerun: attrs="drop") leaves the attributes as they
  were before it was traced (`restore`);
- a side of a traced `if` (_branches) gives the Tensors it left in attributes as outputs of the cond, the
  other side the attribute's value before the `if` (`side_writes`, `side_values`, `join`);
- a traced Tensor that cannot be carried out (written inside a while loop's body, a vmap, a bprop method) is
  refused by name at the end of the trace (`escaped`) rather than left in the attribute to fail later.
"""
from __future__ import annotations

from typing import Any

from ._hook_probes import HookGrad
from ._tensor import Tensor


class Write:
    """One `obj.name = value` in trace `trace`, where the attribute held `old` just before."""

    __slots__ = ("obj", "name", "value", "trace", "old")

    def __init__(self, obj, name: str, value, trace, old):
        self.obj, self.name, self.value, self.trace, self.old = obj, name, value, trace, old

    def held(self) -> bool:
        """Whether the attribute still holds this write's value (a later write replaces it)."""
        return self.obj.__dict__.get(self.name, MISSING) is self.value

    def traced_in(self, tr) -> bool:
        v = self.value
        return isinstance(v, Tensor) and v._data is None and v._trace is tr and not isinstance(v, HookGrad)


MISSING = object()


def _log(tr) -> list | None:
    return tr.root.__dict__.get("attr_writes")  # (a root trace_program made; None for any other)


def note(tr, obj, name: str, value, old) -> None:
    """`obj.name = value` while trace tr is the innermost one."""
    log = _log(tr)
    if log is not None:
        log.append(Write(obj, name, value, tr, old))


def mark(tr) -> int:
    """Where the writes made from now on start (restore)."""
    log = _log(tr)
    return 0 if log is None else len(log)


def _current(log: list, tr) -> list:
    """The last write of each attribute still held, whose value is a traced Tensor of tr, in write order."""
    seen: dict = {}
    for w in log:
        if w.held() and w.traced_in(tr):
            seen.pop((id(w.obj), w.name), None)
            seen[(id(w.obj), w.name)] = w
    return list(seen.values())


def function_outputs(tr) -> tuple[list, list[str], list]:
    """(the writes of function trace tr left in attributes, their values' names as outputs of tr (stopped: as
    MindSpore's attribute, no derivative reaches them), their avals). Call at the end of tr's trace."""
    log = _log(tr)
    writes = [] if log is None else _current(log, tr)
    names = [tr.emit("stop_gradient", [tr.ref(w.value)], {}, [(w.value.shape, w.value._dtype)])[0]._name
             for w in writes]
    return writes, names, [(tuple(w.value.shape), w.value._dtype) for w in writes]


def take(tr, writes: list, values: list) -> None:
    """A node's attribute outputs, in trace tr: the attributes' values from here (noted as tr's writes)."""
    for w, v in zip(writes, values):
        note(tr, w.obj, w.name, v, w.obj.__dict__.get(w.name, MISSING))
        object.__setattr__(w.obj, w.name, v)


def carry(tr, holder, values: list, prefix: str) -> list[str]:
    """values (traced Tensors of tr) carried out to the program's run as attribute writes would be: set on
    holder as prefix0, prefix1, ... (their names, returned), which the run sets to the concrete values."""
    names = [f"{prefix}{i}" for i in range(len(values))]
    for name, v in zip(names, values):
        note(tr, holder, name, v, holder.__dict__.get(name, MISSING))
        object.__setattr__(holder, name, v)
    return names


def restore(tr, start: int) -> None:
    """Undo the attribute writes noted since mark() gave start (the last first)."""
    log = _log(tr)
    if log is None:
        return
    for w in reversed(log[start:]):
        if w.old is MISSING:
            w.obj.__dict__.pop(w.name, None)
        else:
            object.__setattr__(w.obj, w.name, w.old)
    del log[start:]


def side_writes(tr, start: int) -> dict:
    """The Tensors the side of an `if` traced in tr left in attributes since mark() gave start: {key: (obj,
    name, value, value before the side)}, each referenced in tr (an enclosing value is a capture); the
    attributes are set back to their values before the side (the other side starts from them, the cond's
    outputs end them: join). Call while tr is active."""
    log = _log(tr)
    found: dict = {}
    for w in [] if log is None else log[start:]:
        key = (id(w.obj), w.name)
        before = found[key][3] if key in found else w.old
        if w.held() and isinstance(w.value, Tensor) and not isinstance(w.value, HookGrad):
            found[key] = (w.obj, w.name, w.value, before)
        elif key in found:
            found[key] = found[key][:2] + (None, before)  # (a later write of something else: not carried)
    found = {k: v for k, v in found.items() if v[2] is not None}
    for obj, name, value, before in found.values():
        tr.ref(value)
        if before is MISSING:
            obj.__dict__.pop(name, None)
        else:
            object.__setattr__(obj, name, before)
    return found


def joined(one: dict, other: dict) -> list:
    """The (obj, name, value before the `if`) of the attributes either side wrote."""
    return [(o, n, b) for o, n, _, b in {**other, **one}.values()]


def side_values(attrs: list, side: dict) -> tuple:
    """One side's value of each attribute (the value before the `if` where it wrote none)."""
    return tuple(side[(id(o), n)][2] if (id(o), n) in side else b for o, n, b in attrs)


def join(tr, attrs: list, values) -> None:
    """The cond's outputs: the attributes' values after the `if` (noted as tr's writes)."""
    for (obj, name, before), v in zip(attrs, values):
        note(tr, obj, name, v, before)
        object.__setattr__(obj, name, v)


def program_outputs(root, out) -> tuple[Any, list]:
    """(out and the Tensors of the root left in attributes, their writes): the program's extra outputs."""
    writes = _current(root.attr_writes, root)
    if not writes:
        return out, []
    return [out, [w.value for w in writes]], writes


def escaped(root) -> str | None:
    """Why the trace cannot end: an attribute left holding a traced Tensor of a construct whose values do not
    come out of it (None: none does)."""
    for w in root.attr_writes:
        v = w.value
        if w.held() and isinstance(v, Tensor) and v._data is None and not isinstance(v, HookGrad) \
                and v._trace is not root:
            where = getattr(v._trace, "label", "?")
            return (f"{type(w.obj).__name__}.{w.name}: a Tensor written to this attribute inside {where!r} (a while "
                    "loop's body, vmap, a bprop method) cannot be kept: its value exists only inside "
                    "that construct. Write the attribute in construct's own body (or return the value)")
    return None
