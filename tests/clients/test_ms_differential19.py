"""Round 19 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 19 (aimed at the engine's passes and
fused kernels: sums / means / einsum / matmul chains over repeated and broadcast factors at sizes past contract.py's
thresholds, multi-axis keepdims, transposes / reshapes / broadcast_to between contractions, where / select /
masked_fill with broadcast conditions, gather / index_add / tensor_scatter_add with repeated indices, cumulative ops
on negative axes, softmax / log_softmax / logsumexp on other axes at second and third order, norms of tensors with a
zero row, conv / pool after transposes, vmap on a middle axis with grad inside and outside), run as the same text in
MindSpore 2.10 CPU (/work/msvenv) and in the SDK. The harness's own check and a regression test per wrong answer
found. Each test says where its expected values come from."""
from clients._ms_shim import mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen19 as gen19  # noqa: E402
from clients import _ms_rounds  # noqa: E402


# ----------------------------------------------------------------------------------------- the harness
def test_round19_programs_are_reproducible_compile_and_draw_every_form():
    progs = _ms_rounds.checked_programs(
        gen19.programs19, 19, forms={"contract19", "select19", "softmax19", "norm19", "conv19", "vmap19"},
        modes={"value", "jvp", "vjp", "jit_grad", "sens", "grad_grad", "grad3", "hessian", "jvp_grad", "jacrev"},
        spellings=("keepdim=True", "keep_dims=True", "ops.einsum(", "ops.broadcast_to(", "ops.masked_fill(",
                   "index_add(", "ops.gather(", "ops.cumprod(", "ops.softmax(a0, 0)", "ops.LpNorm(", "ops.vector_norm(",
                   "ops.matrix_norm(", "ops.transpose(a0, (0, 3, 1, 2))", "in_axes=(1, None)",
                   "ops.tensor_scatter_add(", "a0[:1] * 0"))
    big = [p for p in progs if p["api"].endswith(".big")]  # contract.py's rewrites need sizes past its thresholds
    assert len(big) >= 30 and not {p["mode"] for p in big} & {"hessian", "jacrev", "jacfwd"}
