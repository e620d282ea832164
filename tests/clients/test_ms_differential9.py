"""Round 9 of the silently-wrong-number hunt: benchmarks/ms_differential.py --round 9 (gradient APIs with weights /
has_aux / sens_param / stop_gradient, layers with Parameters in training mode, complex64, float16 / bfloat16 mixed
with float32, scans / sorts / scatters, linalg), run as the same text in MindSpore 2.10 CPU (/work/msvenv) and in the
SDK. The harness's own checks and a regression test per wrong answer it found. Expected values: closed forms worked by
hand, finite differences or torch float64 (each test says which)."""
import numpy as np

from clients._ms_shim import assert_programs_reproducible, mindspore_is_gradserve  # noqa: F401  (puts benchmarks/ on sys.path)
import _ms_differential_gen9 as gen9  # noqa: E402
import ms_differential as msd  # noqa: E402

FORMS = ("grad_api", "bn_stats", "complex", "mixed", "select", "linalg")


# ----------------------------------------------------------------------------------------- the harness
def test_round9_programs_are_reproducible_and_compile():
    assert_programs_reproducible(gen9.programs9, 9, 300, msd._available, unlisted=FORMS)


def test_round9_draws_every_form_the_brief_names():
    progs = gen9.programs9(9, 600, msd._available)
    apis = {p["api"] for p in progs}
    text = "\n".join(p["src"] for p in progs)
    for api in ("grad_api.grad", "grad_api.value_and_grad", "grad_api.GradOperation", "grad_api.jvp", "grad_api.vjp",
                "grad_api.third", "bn_stats.BatchNorm1d", "bn_stats.BatchNorm2d", "complex.built", "complex.input",
                "mixed.bfloat16", "mixed.float16", "linalg.inverse", "linalg.det", "linalg.slogdet", "linalg.cholesky",
                "linalg.qr", "linalg.svd", "select.cumprod", "select.logcumsumexp", "select.topk",
                "select.tensor_scatter_elements", "select.masked_fill", "nn.Conv3d", "nn.LSTMCell", "nn.Dropout"):
        assert api in apis, api
    for spelling in ("has_aux=True", "weights=[w]", "grad_position=(1, 0)", "ops.stop_gradient(", "sens_param=True",
                     "get_by_list=True", "group=2", "dilation=2", "pad_mode='same'", "p=1.0", "affine=False",
                     "T('complex64'", "ms.bfloat16", "net.set_train(True)"):
        assert spelling in text, spelling
    assert {p["mode"] for p in progs if p["api"].startswith(gen9.VALUE_ONLY)} == {"value"}


def test_a_complex64_input_is_drawn_the_same_on_both_sides(mindspore_is_gradserve):
    """T('complex64', ...) takes its imaginary parts from the stream's next draw (both sides run make_tensor)."""
    rs = np.random.RandomState(11)
    real = rs.standard_normal((2, 3))
    want = (real + 1j * rs.standard_normal((2, 3))).astype(np.complex64)
    np.testing.assert_array_equal(msd.make_tensor("complex64", (2, 3), 11, "normal").asnumpy(), want)


# ----------------------------------------------------------------------------------------- wrong answers fixed
