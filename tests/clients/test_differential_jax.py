"""Differential testing of the composition surface (the SDK's MindSpore front end and the REST routes, on the
real server) against JAX in float64: seeded random small programs over ~45 ops (_differential_programs.py) with
random derivative requests (_differential_specs.py, _differential_rest.py). Wide local run (not CI):
`PYTHONPATH=.:clients/python:tests python tests/clients/_differential_wide.py N [first_seed]`.

MindSpore's semantics, mapped onto JAX by hand (MindSpore 2.x docs: mindspore.ops.grad, GradOperation,
value_and_grad, jvp, vjp, jacrev, jacfwd, hessian, vmap):
- no sens (GradOperation without sens_param, ops.grad, value_and_grad): every output is seeded with ones, so
  the gradient is JAX's grad of the sum of all outputs' sums; several outputs are summed likewise.
- grad_position int: the gradient tensor itself; a tuple: a tuple, except a tuple of one position, whose
  gradient is the tensor itself (MindSpore 2.x). has_aux: only the first output is differentiated, the rest
  come back as a tuple.
- GradOperation(): the gradient for the first input; get_all: a tuple over all inputs (an int input's gradient
  is dout passed back through its Cast to int32, i.e. JAX's float gradient truncated; a bool's is False);
  get_by_list: a tuple over the weights; both: (inputs, weights); sens_param: the last
  argument is the cotangent, shaped like the outputs (a tuple for several).
- ops.jvp(fn, inputs, v) = jax.jvp; ops.vjp(fn, *inputs) -> (out, vjp_fn), vjp_fn(v) a tuple of input
  gradients = jax.vjp's.
- grad of grad: the inner gradient (all its leaves) is summed then differentiated (the implicit ones sens).
- jacrev / jacfwd: out.shape + in.shape blocks (JAX's); hessian of the summed output.
- ops.vmap(ops.grad(f)) = jax.vmap(jax.grad(sum f)); a list / dict of outputs is seeded like a tuple; a
  Parameter shared by two sub-cells gets the sum of both uses' gradients.
- REST: /v1/grad's functional form as above, but a list of one position stays a tuple on the wire (API.md);
  /v1/vjp differentiates every input and refuses (400, naming it) an int one, so its int and bool values are
  graph constants there;
  /v1/jacobian and /v1/hessian: JAX's jacrev / hessian per output; /v1/hvp: grad of <grad(sum f), v>.
Tolerance by dtype: float64 1e-8, float32 3e-4, float16 4e-2 (relative, and absolute times the result's scale);
inputs are drawn away from kinks and ties (abs, relu, max/min, where, sort)."""
import numpy as np
import pytest

from gradserve import Tensor, ops

from ._differential_programs import Program
from ._differential_rest import REST_SPECS
from ._differential_specs import compare, run_case

pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)

SDK_SEEDS = range(0, 32)
BOTH_TRANSPORTS_SEEDS = range(32, 40)  # also over gRPC
REST_SEEDS = range(0, 18)


@pytest.mark.parametrize("seed", SDK_SEEDS)
def test_sdk_derivatives_match_jax(on_real_server, seed):
    status, name, detail = run_case(seed)
    assert status == "ok", f"seed {seed} ({name}): {detail}"


@pytest.mark.parametrize("seed", BOTH_TRANSPORTS_SEEDS)
def test_sdk_derivatives_match_jax_each_transport(on_real_server_each_transport, seed):
    status, name, detail = run_case(seed)
    assert status == "ok", f"seed {seed} ({name}): {detail}"


@pytest.mark.parametrize("seed", REST_SEEDS)
def test_rest_derivatives_match_jax(on_real_server, seed):
    rng = np.random.default_rng(10_000 + seed)
    program = Program(rng, int(rng.integers(1, 4)), int(rng.integers(2, 6)), "float32")
    name = list(REST_SPECS)[seed % len(REST_SPECS)]
    got, want = REST_SPECS[name](on_real_server.url, program, rng)
    why = compare(got, want, "float32")
    assert why is None, f"seed {seed} ({name}): {why} | {program.describe()}"


# -- findings, each pinned by a focused case (expected values by hand / NumPy) -------------------------------
def test_cumsum_takes_axis_positionally(on_real_server):
    """MindSpore's ops.cumsum(x, axis, dtype=None): ops.cumsum(x, 0) was refused ('takes 1 input(s), got 2')."""
    x = np.array([[1.0, 2.0, 3.0], [0.5, 0.25, 0.125]], np.float32)
    np.testing.assert_allclose(ops.cumsum(Tensor(x), 0).asnumpy(), np.cumsum(x, 0))
    g = ops.grad(lambda a: ops.sin(ops.cumsum(a, 1)))(Tensor(x))
    c = np.cos(np.cumsum(x, 1))
    np.testing.assert_allclose(g.asnumpy(), np.cumsum(c[:, ::-1], 1)[:, ::-1], rtol=1e-5)
    np.testing.assert_allclose(ops.cumsum(Tensor(x), axis=0, dtype=np.float64).asnumpy(), np.cumsum(x, 0))
