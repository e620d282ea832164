"""Round 6's held-out loops (issue #13): retrace classes a user's PyNative loop hits, each beside a JAX twin (or
NumPy by hand where the step draws noise) and with no trace after the warm-up.

- a module global Tensor reassigned by the script each step (a learning rate, a temperature, a schedule value)
  and read in a function or a Cell's construct: lifted as a program input once seen to change (gradserve._lifted),
  where it was a constant of the trace and a trace every step;
- the same through a box: a Tensor attribute of the Cell differentiated replaced each step (`net.temperature =
  Tensor(t)`), an item of a module global dict of hyper-parameters (`HP["scale"] = Tensor(s)`);
- a `has_aux` function whose aux dict is built by item stores (`aux = {}; aux["loss"] = l`: a store into a dict the
  frame made is no side effect, gradserve._pyguard; it left the trace unguarded, a trace every call) and whose keys
  follow a flag the loop flips (a logging step): a signature keeps its few earlier guarded traces beside its latest
  (_trace.GUARD_ALTERNATES), where a value cycling through two or three retraced on every change;
- `jit(lambda ...)` made afresh each step: its twins share one guarded trace (gradserve._jit), where each new
  function had its own cache and a trace every step;
- unchanged, held here: an optimizer whose learning rate (its own Parameter) a scheduler assigns, a GradOperation
  object built inside the loop, a Langevin sampler drawing seeded noise inside its jit step.
A module global Python number stays a constant of the trace (a new value traces anew, with its value): MindSpore
2.10's jit also takes a global number as a constant (it even keeps the first value: a stale graph), its PyNative
reads each step's value, as this does."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import gradserve as gs
from gradserve import nn, ops, Parameter, Tensor

STEPS = 10
WARM = 3  # (a global seen with its first Tensor: a constant; once changed: lifted, traced, then guarded)
X = np.array([0.5, -1.0, 2.0, 1.5], np.float32)


def _traces() -> int:
    return gs._trace.trace_stats()["traces"]


LR = Tensor(np.float32(0.1))  # reassigned by the loops below (the user's schedule)
TEMP = Tensor(np.float32(1.0))
ONES = Tensor(np.ones(4, np.float32))  # never reassigned: stays a constant


def _loss(w):
    return ops.sum(ops.square(w * Tensor(X) - ONES)) * LR


def test_a_global_learning_rate_reassigned_each_step_is_an_input(on_real_server):
    global LR
    gs.set_context(mode=gs.PYNATIVE_MODE)
    grad = ops.grad(_loss)
    twin = jax.jit(jax.grad(lambda w, lr: jnp.sum(jnp.square(w * X - 1.0)) * lr))
    w, wj = Tensor(np.ones(4, np.float32)), jnp.ones(4, jnp.float32)
    for i in range(STEPS):
        if i == WARM:
            before = _traces()
        lr = np.float32(0.1 / (1 + i))
        LR = Tensor(lr)
        g, gj = grad(w).asnumpy(), np.asarray(twin(wj, lr))
        np.testing.assert_allclose(g, gj, rtol=1e-5, atol=1e-7, err_msg=f"step {i}")
        assert LR._data is not None and type(LR) is Tensor and float(LR.asnumpy()) == lr  # (restored after)
        w, wj = Tensor(w.asnumpy() - g), wj - gj
    assert _traces() - before == 0


class _Tempered(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.full(4, 0.3, np.float32)), name="w")

    def construct(self, x):
        return ops.logsumexp(self.w * x / TEMP, 0)


def test_a_global_temperature_read_in_construct_trains_without_retracing(on_real_server):
    global TEMP
    gs.set_context(mode=gs.PYNATIVE_MODE)
    net = _Tempered()
    opt = nn.SGD(net.trainable_params(), learning_rate=0.05)
    step = ops.value_and_grad(net, None, opt.parameters)
    twin = jax.jit(jax.value_and_grad(lambda w, t: jax.scipy.special.logsumexp(w * X / t, 0)))
    wj = jnp.full(4, 0.3, jnp.float32)
    for i in range(STEPS):
        if i == WARM:
            before = _traces()
        t = np.float32(2.0 - 0.1 * i)  # (annealed)
        TEMP = Tensor(t)
        v, (g,) = step(Tensor(X))
        vj, gj = twin(wj, t)
        np.testing.assert_allclose(v.asnumpy(), vj, rtol=1e-5, err_msg=f"step {i}")
        np.testing.assert_allclose(g.asnumpy(), gj, rtol=1e-5, atol=1e-7, err_msg=f"step {i}")
        opt((g,))
        wj = wj - 0.05 * gj
    np.testing.assert_allclose(net.w.asnumpy(), wj, rtol=1e-5)
    assert _traces() - before == 0


class _AttrTempered(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.full(4, 0.3, np.float32)), name="w")
        self.temperature = Tensor(np.float32(1.0))

    def construct(self, x):
        return ops.logsumexp(self.w * x / self.temperature, 0)


HP = {"scale": Tensor(np.float32(1.0)), "name": "quadratic"}


def _hp_loss(w):
    return ops.sum(ops.square(w * Tensor(X) - ONES)) * HP["scale"]


def test_a_cell_attribute_and_a_hyperparameter_dict_item_replaced_each_step(on_real_server):
    gs.set_context(mode=gs.PYNATIVE_MODE)
    net = _AttrTempered()
    step = ops.value_and_grad(net, None, net.trainable_params())
    hp_grad, w = ops.grad(_hp_loss), Tensor(np.ones(4, np.float32))
    twin = jax.jit(jax.value_and_grad(lambda w, t: jax.scipy.special.logsumexp(w * X / t, 0)))
    hp_twin = jax.jit(jax.grad(lambda w, s: jnp.sum(jnp.square(w * X - 1.0)) * s))
    for i in range(STEPS):
        if i == WARM:
            before = _traces()
        t = np.float32(2.0 - 0.1 * i)
        net.temperature = Tensor(t)
        HP["scale"] = Tensor(np.float32(1.0 + i))
        v, (g,) = step(Tensor(X))
        vj, gj = twin(jnp.full(4, 0.3, jnp.float32), t)
        np.testing.assert_allclose(v.asnumpy(), vj, rtol=1e-5, err_msg=f"step {i}")
        np.testing.assert_allclose(g.asnumpy(), gj, rtol=1e-5, atol=1e-7, err_msg=f"step {i}")
        np.testing.assert_allclose(hp_grad(w).asnumpy(), hp_twin(jnp.ones(4), np.float32(1.0 + i)), rtol=1e-5)
        assert float(net.temperature.asnumpy()) == t and float(HP["scale"].asnumpy()) == 1.0 + i  # (restored)
    assert _traces() - before == 0


class _Carry(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.full(2, 0.5, np.float32)), name="w")
        self.h = Tensor(np.zeros(2, np.float32))

    def construct(self, x):
        h = ops.tanh(self.w * x + self.h)
        self.h = ops.stop_gradient(h)
        return ops.sum(h)


def test_an_attribute_the_construct_itself_replaces_keeps_its_write(on_real_server):
    """A state carried on self, replaced each step by the construct itself: not lifted (a method writes it: its
    write handled as before), the write stays after the call and each step reads the last one."""
    gs.set_context(mode=gs.PYNATIVE_MODE)
    net = _Carry()
    step = ops.value_and_grad(net, None, net.trainable_params())
    h, w = np.zeros(2, np.float32), np.full(2, 0.5, np.float32)
    for i in range(6):
        x = np.array([1.0, -1.0], np.float32) * (i + 1)
        v, (g,) = step(Tensor(x))
        hn = np.tanh(w * x + h)
        np.testing.assert_allclose(v.asnumpy(), hn.sum(), rtol=1e-5)
        np.testing.assert_allclose(g.asnumpy(), (1 - hn ** 2) * x, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(net.h.asnumpy(), hn, rtol=1e-5, err_msg=f"step {i}")
        h = hn


SCALE = Tensor(np.float32(1.0))


def _branchy(w):
    return ops.sum(w * w) if float(SCALE.asnumpy()) > 0 else ops.sum(w * w * w)


def test_a_lifted_global_read_as_a_value_takes_each_steps_branch(on_real_server):
    global SCALE
    gs.set_context(mode=gs.PYNATIVE_MODE)
    grad, w = ops.grad(_branchy), Tensor(np.array([1.0, 2.0], np.float32))
    for s in [1.0, 2.0, -1.0, 3.0, -2.0, 1.0]:
        SCALE = Tensor(np.float32(s))
        want = 2 * w.asnumpy() if s > 0 else 3 * w.asnumpy() ** 2
        np.testing.assert_allclose(grad(w).asnumpy(), want, rtol=1e-6, err_msg=f"scale {s}")


LOG = False


def _with_metrics(w):
    loss = ops.sum(ops.square(w * Tensor(X) - 1.0))
    aux = {}
    aux["loss"] = loss
    if LOG:
        aux["w_norm"] = ops.sqrt(ops.sum(w * w))
    return loss, aux


PHASE = 0


def _phased(w):
    return ops.sum(w * w) * (1.0 + PHASE), {f"phase{PHASE}": w * 2.0}


def test_has_aux_metrics_built_by_item_stores_under_a_flipped_flag(on_real_server):
    global LOG, PHASE
    gs.set_context(mode=gs.PYNATIVE_MODE)
    grad, w = ops.grad(_with_metrics, has_aux=True), np.array([0.5, 1.0, -1.0, 2.0], np.float32)
    twin = jax.jit(jax.grad(lambda w: jnp.sum(jnp.square(w * X - 1.0))))
    for i in range(STEPS):
        if i == WARM:
            before = _traces()
        LOG = i % 2 == 0
        g, (aux,) = grad(Tensor(w))
        np.testing.assert_allclose(g.asnumpy(), twin(w), rtol=1e-5, err_msg=f"step {i}")
        assert sorted(aux) == (["loss", "w_norm"] if LOG else ["loss"])
        np.testing.assert_allclose(aux["loss"].asnumpy(), np.sum(np.square(w * X - 1.0)), rtol=1e-5)
        if LOG:
            np.testing.assert_allclose(aux["w_norm"].asnumpy(), np.linalg.norm(w), rtol=1e-5)
    grad = ops.grad(_phased, has_aux=True)
    for i in range(12):  # (three phases in turn: each its own trace, reused)
        if i == 5:
            before = _traces()
        PHASE = i % 3
        g, (aux,) = grad(Tensor(w))
        np.testing.assert_allclose(g.asnumpy(), 2 * w * (1.0 + PHASE), rtol=1e-6)
        assert list(aux) == [f"phase{PHASE}"]
    assert _traces() - before == 0


def test_a_store_into_a_dict_the_frame_made_is_no_side_effect():
    """_pyguard's static facts (no server): an item store into a fresh local dict or list is the frame's own; into an
    argument, an alias, or with a key it cannot follow (a conditional expression), a side effect as before."""
    from gradserve import _pyguard

    def fresh(w, i):
        out = {}
        seq = [0, 0]
        out["loss"] = w
        out[f"k{i}"] = w * 2
        seq[1] = w
        return out, seq

    def into_argument(w, d):
        d["x"] = w

    def into_alias(w):
        out = {}
        other = out
        other["x"] = w

    def unfollowed_key(w):
        out = {}
        out[w if w else 1] = 2

    assert _pyguard._code_facts(fresh.__code__)[1] is False
    for f in (into_argument, into_alias, unfollowed_key):
        assert _pyguard._code_facts(f.__code__)[1] is True, f.__name__


STEP = 0.0  # a Python number: a constant of the trace


def test_a_global_python_number_is_read_each_step(on_real_server):
    global STEP
    gs.set_context(mode=gs.PYNATIVE_MODE)
    grad, w = ops.grad(lambda a: ops.sum(a * a) * (1.0 + STEP)), Tensor(np.array([1.0, -2.0], np.float32))
    for i in range(5):
        STEP = float(i)
        np.testing.assert_allclose(grad(w).asnumpy(), 2 * w.asnumpy() * (1.0 + i), rtol=1e-6)


def test_jit_of_a_lambda_made_each_step_shares_one_trace(on_real_server):
    gs.set_context(mode=gs.PYNATIVE_MODE)
    x = Tensor(X)
    a = Tensor(np.float32(0.7))
    for i in range(STEPS):
        if i == WARM:
            before = _traces()
        step = gs.jit(lambda b: ops.sum(ops.tanh(b * x)))  # noqa: E731 - the user's idiom, made afresh
        got = step(a).asnumpy()
        np.testing.assert_allclose(got, np.asarray(jnp.sum(jnp.tanh(np.float32(a.asnumpy()) * X))), rtol=1e-6)
        a = Tensor(np.float32(a.asnumpy() * 0.9))
    assert _traces() - before == 0


def test_a_jit_function_made_afresh_keeps_graph_semantics_for_a_new_signature(on_real_server):
    """A twin jit function (the same code made again) called with other dtypes traces as a graph, as its first did:
    graph max() of Tensors is MindSpore's Maximum fold (dtypes promoted), not Python's pick (the twin path traced
    the new signature with PyNative's semantics: int32 3 where MindSpore 2.10 gives float32 3.0)."""
    gs.set_context(mode=gs.PYNATIVE_MODE)

    def top(*xs):
        @gs.jit
        def f(*ys):
            return max(*ys)
        return f(*xs)

    top(Tensor(np.float32(1.0)), Tensor(np.float32(2.0)))
    top(Tensor(np.float32(1.0)), Tensor(np.float32(2.0)))
    got = top(Tensor(np.int32(3)), Tensor(np.float32(2.5)))  # MindSpore 2.10 (@jit): Float32 3.0
    assert got.dtype == gs.float32 and got.asnumpy() == np.float32(3.0), (got.dtype, got)
    got = top(Tensor(np.int32(3)), Tensor(np.float16(2.5)))  # MindSpore 2.10 (@jit): Float16 3.0
    assert got.dtype == gs.float16 and got.asnumpy() == np.float16(3.0), (got.dtype, got)


class _Linear(nn.Cell):
    def __init__(self):
        super().__init__()
        self.w = Parameter(Tensor(np.ones(4, np.float32)), name="w")

    def construct(self, x):
        return ops.sum(ops.square(self.w * x - 1.0))


def test_a_schedulers_learning_rate_parameter_and_a_gradoperation_made_each_step(on_real_server):
    """The optimizer's learning rate (its own Parameter: nn.SGD copies a given one, as MindSpore 2.10's does)
    assigned by a scheduler each step, the gradient by a GradOperation built inside the loop."""
    gs.set_context(mode=gs.PYNATIVE_MODE)
    net = _Linear()
    opt = nn.SGD(net.trainable_params(), learning_rate=0.05)
    twin = jax.jit(jax.grad(lambda w: jnp.sum(jnp.square(w * X - 1.0))))
    wj = jnp.ones(4, jnp.float32)
    for i in range(STEPS):
        if i == WARM:
            before = _traces()
        lr = np.float32(0.05 * 0.8 ** i)
        ops.assign(opt.learning_rate, Tensor(lr))
        grads = ops.GradOperation(get_by_list=True)(net, opt.parameters)(Tensor(X))
        opt(grads)
        wj = wj - lr * twin(wj)
        np.testing.assert_allclose(net.w.asnumpy(), wj, rtol=1e-5, err_msg=f"step {i}")
    assert _traces() - before == 0


class _Quadratic(nn.Cell):
    def construct(self, q):
        return 0.5 * ops.sum(q * q)


def test_a_langevin_sampler_draws_seeded_noise_each_step_in_one_trace(on_real_server):
    gs.set_context(mode=gs.PYNATIVE_MODE)
    grad_u = ops.grad(_Quadratic())

    @gs.jit
    def step(q):
        noise = ops.standard_normal((4,), seed=11)
        return q - 0.01 * grad_u(q) + 0.1 * noise, noise

    q, seen = Tensor(np.zeros(4, np.float32)), set()
    for i in range(STEPS):
        if i == WARM:
            before = _traces()
        qn = q.asnumpy()
        q, noise = step(q)
        nz = noise.asnumpy()
        seen.add(nz.tobytes())
        np.testing.assert_allclose(q.asnumpy(), qn - 0.01 * qn + 0.1 * nz, rtol=1e-5, atol=1e-7)
    assert len(seen) == STEPS  # (each step its own draw)
    assert _traces() - before == 0
