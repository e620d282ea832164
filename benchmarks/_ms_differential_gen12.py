"""Round 12 of ms_differential.py's programs: where rounds 1-11 did not look. Hand-written program forms (as rounds
8-11: each a function of a Draw returning (api, body lines, lines before `def f`)):

- linear algebra and its gradients: det / slogdet / logdet / inverse / pinv / matrix_power / matrix_exp / solve /
  lstsq / qr / svd values / eigvals of symmetric matrices / cholesky (+ inverse, solve) / norms with ord (vector and
  matrix, mint.linalg's too), over general, symmetric, positive definite, triangular and near-singular (two rows
  1e-3 apart) matrices, batched, float32 / float64 / complex64;
- the FFT family: fft / ifft / rfft / irfft / hfft / ihfft / fft2 / fftn / rfft2 / irfft2 with n / s, dim and the
  norm modes, fftshift / ifftshift, of real and complex inputs (complex outputs compared through their real and
  imaginary parts, so the weighted loss reaches them);
- cumulative ops: cumsum / cumprod with zeros (one or two per row) / cummax / cummin (values and indices) /
  logcumsumexp, the CumSum / CumProd primitives' exclusive and reverse, mindspore.numpy's cumsum / cumprod /
  nancumsum, float16 / float32 / float64 and integer inputs;
- sorting and counting (values and dtypes): sort / argsort descending and stable with ties, searchsorted sides and
  out_int32, unique / unique_consecutive with inverse and counts, bincount with weights and minlength, histc;
- special functions near their edges: lgamma / digamma / polygamma at halves and negative non-integers, erfinv near
  +-1, i0 / Bessel, xlogy / sinc at 0, logaddexp / logaddexp2 at +-60, mvlgamma, igamma / igammac, zeta, logit with
  eps, expm1 / log1p / erfc tails;
- ops.vmap of the above with in_axes / out_axes;
through rounds 6-7's first-order and higher-order forms (float programs) or values only (integer / counting ones)."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_gen7 as gen7

C = gen._Code
ANY_MODE = gen.OP_MODES + gen7.HIGHER_MODES


# ----------------------------------------------------------------------------------------- linear algebra
VORDS = ["2", "1", "3", "0.5", "float('inf')", "-float('inf')", "0"]

def _matrix(d: gen.Draw, kind: str, shape: tuple) -> list:
    """Lines binding m, a matrix of the kind built from a0 (so its gradient reaches a0)."""
    n = shape[-1]
    eye = f"ops.eye({n}, {n}, a0.dtype)"
    return {"general": ["m = a0 * 1"],
            "sym": ["m = a0 + a0.swapaxes(-1, -2)"],
            "spd": [f"m = ops.matmul(a0, a0.swapaxes(-1, -2)) + 0.5 * {eye}"],
            "tri": [f"m = ops.triu(a0) + 2 * {eye}"],
            "near": ["m = ops.cat((a0[..., :1, :], a0[..., :1, :] * 1.001 + a0[..., 1:2, :] * 1e-3, a0[..., 2:, :]), -2)"],
            }[kind]


def linalg12(d: gen.Draw):
    r = d.rng
    n = r.randint(1, 4) if r.random() < 0.15 else r.randint(2, 4)
    batch = (2,) if r.random() < 0.3 else ()
    dtype = r.choice(["float32"] * 3 + ["float64"] * 2 + ["complex64"])
    kind = r.choice(["general", "general", "sym", "spd", "tri"] + (["near"] if n >= 2 else []))
    d.tensor(dtype, batch + (n, n))
    real = dtype != "complex64"
    ords = ["'fro'", "'nuc'", "1", "-1", "2", "-2", "float('inf')", "-float('inf')"]
    k = r.randint(1, n)
    forms = {
        "det": ["return ops.det(m)"],
        "slogdet": ["s, l = ops.slogdet(m)", "return s, l"],
        "logdet": ["return ops.logdet(m)"] if kind == "spd" else ["return ops.log(ops.abs(ops.det(m)))"],
        "inverse": [f"return {r.choice(['ops.inverse', 'mint.inverse', 'mint.linalg.inv', 'ops.matrix_inverse'])}(m)"],
        "pinv": ["return ops.pinv(m)"],
        "matrix_power": [f"return ops.matrix_power(m, {r.choice([-2, -1, 0, 1, 2, 3])})"],
        "matrix_exp": ["return ops.matrix_exp(m * 0.5)"],
        "solve": [f"return ops.matrix_solve(m, m[..., :{k}] * 2 + 1)"],
        "lstsq": [f"return ops.lstsq(m, m[..., :{k}] + 1)"],
        "qr": [f"q, rr = ops.qr(m, mode={r.choice(['reduced', 'complete'])!r})", "return q, rr"],
        "mint_qr": ["q, rr = mint.linalg.qr(m)", "return q, rr"],
        "svdvals": ["return ops.svd(m, compute_uv=False)"],
        "svd": ["s, u, v = ops.svd(m, full_matrices=False, compute_uv=True)",
                "return s, ops.matmul(u * s.unsqueeze(-2), v.swapaxes(-1, -2))"],
        "matrix_norm": [f"return ops.matrix_norm(m, {r.choice(ords)}, keepdim={r.random() < 0.3})"],
        "mint_matrix_norm": [f"return mint.linalg.matrix_norm(m, {r.choice(ords)})"],
        "norm_ord": [f"return ops.norm(m, {r.choice(ords)})"],
        "vector_norm": [f"return ops.vector_norm(m, {r.choice(VORDS)}, {r.choice(['None', '-1', '(-2, -1)', '0'])})"],
        "mint_norm": [f"return mint.linalg.norm(m, {r.choice(['None'] + ords)})"],
        "trace": ["return ops.trace(m[0] if m.ndim == 3 else m)"],
    }
    spd_only = {"cholesky": [f"return ops.cholesky(m, upper={r.random() < 0.5})"],
                "cholesky_inverse": ["return ops.cholesky_inverse(ops.cholesky(m))"],
                "cholesky_solve": [f"return ops.cholesky_solve(m[..., :{k}] + 1, ops.cholesky(m))"],
                "eigvals_sym": ["return ops.real(ops.eigvals(m))" if real else "return ops.abs(ops.eigvals(m))"]}
    if kind == "spd":
        forms.update(spd_only)
    if kind == "sym":
        forms["eigvals_sym"] = spd_only["eigvals_sym"]
    name = r.choice(sorted(forms))
    return f"linalg12.{name}.{kind}", _matrix(d, kind, batch + (n, n)) + forms[name], []


# ----------------------------------------------------------------------------------------- FFT
def fft12(d: gen.Draw):
    r = d.rng
    rank = r.randint(1, 3)
    shape = tuple(r.randint(1, 5) for _ in range(rank))
    dtype = r.choice(["float32"] * 3 + ["float64", "complex64"])
    d.tensor(dtype, shape)
    norm = r.choice(["None", "'backward'", "'ortho'", "'forward'"])
    dim = r.randint(-rank, rank - 1)
    size = shape[dim]
    n = r.choice(["None", str(max(1, size - 1)), str(size + 2), str(size)])
    two = tuple(sorted(r.sample(range(-rank, 0), min(2, rank))))
    s = "None" if r.random() < 0.5 else str(tuple(r.randint(1, 5) for _ in two))
    forms = {
        "fft": f"ops.fft(a0, {n}, {dim}, {norm})", "ifft": f"ops.ifft(a0, {n}, {dim}, {norm})",
        "fft2": f"ops.fft2(a0, {s}, {two}, {norm})", "ifft2": f"ops.ifft2(a0, {s}, {two}, {norm})",
        "fftn": f"ops.fftn(a0, {s}, {two}, {norm})", "ifftn": f"ops.ifftn(a0, None, None, {norm})",
        "fftshift": f"ops.fftshift(a0, {r.choice(['None', str(dim), str(two)])})",
        "ifftshift": f"ops.ifftshift(a0, {r.choice(['None', str(dim), str(two)])})",
    }
    if dtype != "complex64":
        forms.update({"rfft": f"ops.rfft(a0, {n}, {dim}, {norm})", "rfft2": f"ops.rfft2(a0, {s}, {two}, {norm})",
                      "rfftn": f"ops.rfftn(a0, None, {two}, {norm})", "ihfft": f"ops.ihfft(a0, {n}, {dim}, {norm})",
                      "irfft_rfft": f"ops.irfft(ops.rfft(a0, None, {dim}), {n if n != 'None' else size}, {dim}, {norm})"})
    else:
        forms.update({"irfft": f"ops.irfft(a0, {n}, {dim}, {norm})", "hfft": f"ops.hfft(a0, {n}, {dim}, {norm})",
                      "irfft2": f"ops.irfft2(a0, {s}, {two}, {norm})"})
    name = r.choice(sorted(forms))
    real_out = name in ("irfft_rfft", "irfft", "hfft", "irfft2") or (name.endswith("fftshift") and dtype != "complex64")
    body = [f"return {forms[name]}"] if real_out else [f"y = {forms[name]}", "return ops.real(y), ops.imag(y)"]
    return f"fft12.{name}", body, []


# ----------------------------------------------------------------------------------------- cumulative ops
def cum12(d: gen.Draw):
    r = d.rng
    shape = (r.randint(1, 3), r.randint(2, 5)) if r.random() < 0.8 else (r.randint(2, 6),)
    rank = len(shape)
    integer = r.random() < 0.15
    dtype = r.choice(["int32", "int64", "uint8"]) if integer else r.choice(["float32"] * 4 + ["float64", "float16"])
    domain = r.choice(["ints", "ints", "halves", "normal"]) if not integer else ("index5" if dtype == "uint8" else "ints")
    d.tensor(dtype, shape, domain)
    ax = r.randint(-rank, rank - 1)
    ex, rev = r.choice([True, False]), r.choice([True, False])
    zeros = r.choice(["a0", "a0", "ops.where(ops.abs(a0) < 0.6, 0.0, a0)" if not integer else "a0"])
    forms = {
        "cumsum": f"ops.cumsum(a0, {ax})", "Tcumsum": f"a0.cumsum({ax})", "mint_cumsum": f"mint.cumsum(a0, {ax})",
        "cumsum_dtype": f"ops.cumsum(a0, {ax}, dtype=ms.{r.choice(['float64', 'float32', 'int64'])})",
        "cumprod": f"ops.cumprod({zeros}, {ax})", "mint_cumprod": f"mint.cumprod({zeros}, {ax})",
        "Tcumprod": f"a0.cumprod({ax})",
        "CumSum": f"ops.CumSum(exclusive={ex}, reverse={rev})(a0, {ax})",
        "CumProd": f"ops.CumProd(exclusive={ex}, reverse={rev})({zeros}, {ax})",
        "cummax": f"ops.cummax(a0, {ax})", "cummin": f"ops.cummin(a0, {ax})", "mint_cummax": f"mint.cummax(a0, {ax})",
        "mint_cummin": f"mint.cummin(a0, {ax})",
        "logcumsumexp": f"ops.logcumsumexp(a0 * {r.choice([1, 30])}, {ax})",
        "reverse_cumsum": f"ops.flip(ops.cumsum(ops.flip(a0, ({ax},)), {ax}), ({ax},))",
        "mnp_cumsum": f"mnp.cumsum(a0, {r.choice(['None', str(ax)])})", "mnp_cumprod": f"mnp.cumprod({zeros}, {ax})",
        "mnp_nancumsum": f"mnp.nancumsum(a0, {ax})",
        "cumprod_zeros2": f"ops.cumprod(a0 * ops.cast(ops.abs(a0) > 0.9, a0.dtype), {ax})",
    }
    if integer:
        forms = {k: v for k, v in forms.items() if "logcumsumexp" not in k}
    name = r.choice(sorted(forms))
    return f"cum12.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- sorting and counting
def sort12(d: gen.Draw):
    r = d.rng
    n = r.randint(2, 7)
    shape = (n,) if r.random() < 0.6 else (r.randint(1, 3), n)
    dtype = r.choice(["float32", "float32", "float64", "int32", "int64", "float16"])
    domain = r.choice(["ints", "halves", "ints"]) if dtype.startswith("float") else "ints"
    x = d.tensor(dtype, shape, domain)
    desc = r.choice([True, False])
    side = r.choice(["'left'", "'right'"])
    vals = d.tensor(dtype, (r.randint(1, 4),), domain) if r.random() < 0.8 else "2"
    flat = "a0" if len(shape) == 1 else "a0.reshape(-1)"
    nonneg = "ops.abs(ops.cast(a0, ms.int32)).reshape(-1)"
    forms = {
        "sort": f"ops.sort(a0, -1, descending={desc})", "mint_sort_stable": f"mint.sort(a0, dim=-1, descending={desc}, stable=True)",
        "argsort": f"ops.argsort(a0, -1, descending={desc})", "mint_argsort": f"mint.argsort(a0, -1, {desc})",
        "Targsort": f"a0.argsort(descending={desc})",
        "searchsorted": f"ops.searchsorted(ops.sort({flat})[0], {vals}, side={side})",
        "searchsorted_right": f"ops.searchsorted(ops.sort({flat})[0], {vals}, out_int32=True, right={r.choice([True, False])})",
        "mint_searchsorted": f"mint.searchsorted(ops.sort({flat})[0], {vals}, side={side})",
        "mnp_searchsorted": f"mnp.searchsorted(ops.sort({flat})[0], {vals}, {side})",
        "searchsorted_sorter": f"ops.searchsorted({flat}, {vals}, side={side}, sorter=ops.argsort({flat}))",
        "unique": f"ops.unique({flat})", "unique_consecutive": f"ops.unique_consecutive({flat}, True, True)",
        "unique_consecutive_dim": "ops.unique_consecutive(a0, True, True, 0)" if len(shape) == 2 else f"ops.unique_consecutive({flat}, False, True)",
        "mint_unique": f"mint.unique({flat}, True, {r.choice([True, False])}, True)",
        "mint_unique_consecutive": f"mint.unique_consecutive({flat}, True, True)",
        "bincount": f"ops.bincount({nonneg}, minlength={r.choice([0, 3, 9])})",
        "bincount_w": f"ops.bincount({nonneg}, ops.cast({flat}, ms.float32) * 0.5 + 1, {r.choice([0, 6])})",
        "mint_bincount": f"mint.bincount({nonneg}, minlength={r.choice([0, 7])})",
        "histc": f"ops.histc(ops.cast(a0, ms.float32), {r.choice([3, 4, 5])}, {r.choice([0.0, -2.0])}, {r.choice([0.0, 2.0, 3.0])})",
        "mint_histc": f"mint.histc(ops.cast(a0, ms.float32), {r.choice([2, 4])}, {r.choice([0.0, -1.0])}, {r.choice([0.0, 1.0])})",
        "sort_gather": f"ops.gather_elements(a0, -1, ops.argsort(a0, -1, descending={desc})) * 1",
    }
    name = r.choice(sorted(forms))
    return f"sort12.{name}", [f"return {forms[name]}"], []


# ----------------------------------------------------------------------------------------- special functions
def special12(d: gen.Draw):
    r = d.rng
    shape = (r.randint(1, 3), r.randint(1, 4))
    dtype = r.choice(["float32"] * 4 + ["float64", "float64", "float16"])
    name = r.choice(["lgamma", "digamma", "polygamma", "erfinv", "erfc", "i0", "bessel", "xlogy", "sinc", "logaddexp",
                     "mvlgamma", "igamma", "zeta", "logit", "expm1", "log1p", "gamma_neg", "special", "erf", "xlogy_t"])
    if name in ("lgamma", "digamma", "gamma_neg"):
        d.tensor(dtype, shape, r.choice(["halves", "positive", "normal", "wide"]))
        expr = {"lgamma": f"{r.choice(['ops.lgamma', 'a0.lgamma'])}(a0)", "digamma": f"{r.choice(['ops.digamma', 'a0.digamma'])}(a0)",
                "gamma_neg": "ops.lgamma(a0 - 3.25) + ops.digamma(a0 - 2.75)"}[name]
        if "a0.lgamma" in expr or "a0.digamma" in expr:
            expr = expr.replace("(a0)", "()")
    elif name == "polygamma":
        d.tensor(dtype, shape, r.choice(["positive", "halves", "normal"]))
        expr = f"ops.polygamma({r.choice([0, 1, 2, 3])}, a0)"
    elif name in ("erfinv", "erf", "erfc"):
        d.tensor(dtype, shape, r.choice(["inner_unit", "unit01", "halves", "wide"]))
        expr = {"erfinv": r.choice(["ops.erfinv(a0)", "mint.erfinv(a0)", "ops.erfinv(a0 * 1.1)"]),
                "erf": "ops.erf(a0 * 3)", "erfc": r.choice(["ops.erfc(a0 * 5)", "mint.special.erfc(a0 * 5)"])}[name]
    elif name in ("i0", "bessel"):
        d.tensor(dtype, shape, r.choice(["normal", "halves", "wide", "positive"]))
        fn = r.choice(["ops.i0", "ops.bessel_i0", "ops.bessel_i0e", "ops.bessel_i1", "ops.bessel_i1e", "ops.bessel_j0",
                       "ops.bessel_j1"]) if name == "i0" else r.choice(["ops.bessel_k0", "ops.bessel_k0e", "ops.bessel_k1",
                                                                        "ops.bessel_k1e", "ops.bessel_y0", "ops.bessel_y1"])
        arg = "a0" if name == "i0" else "ops.abs(a0) + 0.25"
        expr = f"{fn}({arg})"
    elif name in ("xlogy", "xlogy_t"):
        d.tensor(dtype, shape, r.choice(["halves", "ints"]))
        d.tensor(dtype, shape[r.randint(0, 2):], r.choice(["halves", "positive", "ints"]))
        expr = r.choice(["ops.xlogy(ops.relu(a0), a1)", "ops.xlogy(a0, ops.abs(a1))", "mint.xlogy(ops.relu(a0), ops.abs(a1))",
                         "ops.xlogy(ops.relu(a0), ops.relu(a1))"])
    elif name == "sinc":
        d.tensor(dtype, shape, r.choice(["halves", "ints", "normal"]))
        expr = r.choice(["ops.sinc(a0)", "mint.sinc(a0)", "a0.sinc()", "ops.sinc(a0 * 1e-3)"])
    elif name == "logaddexp":
        d.tensor(dtype, shape, r.choice(["normal", "halves"]))
        d.tensor(dtype, shape[r.randint(0, 2):], r.choice(["normal", "halves"]))
        scale = r.choice([1, 60, 400])
        expr = f"{r.choice(['ops.logaddexp', 'ops.logaddexp2', 'mint.logaddexp', 'mint.logaddexp2'])}(a0 * {scale}, a1 * {scale})"
    elif name == "mvlgamma":
        d.tensor(dtype, shape, "positive")
        p = r.choice([1, 2, 3])
        expr = f"ops.mvlgamma(a0 + {(p - 1) / 2 + 0.1}, {p})"
    elif name == "igamma":
        d.tensor(dtype, shape, "positive")
        d.tensor(dtype, shape, r.choice(["positive", "unit01"]))
        expr = f"{r.choice(['ops.igamma', 'ops.igammac'])}(a0 + {r.choice([0.0, 1.0])}, a1)"
    elif name == "zeta":
        d.tensor(dtype, shape, "positive")
        d.tensor(dtype, shape, "positive")
        expr = "ops.zeta(a0 + 1.5, a1)"
    elif name == "logit":
        d.tensor(dtype, shape, r.choice(["unit01", "halves"]))
        expr = f"ops.logit(a0, {r.choice(['None', '0.0', '0.1', '1e-6'])})"
    elif name in ("expm1", "log1p"):
        d.tensor(dtype, shape, r.choice(["normal", "wide"]))
        expr = {"expm1": r.choice(["ops.expm1(a0 * 1e-4)", "mint.special.expm1(a0 * 1e-4)", "ops.expm1(a0 * 20)"]),
                "log1p": r.choice(["ops.log1p(ops.abs(a0) * 1e-5)", "mint.special.log1p(ops.abs(a0) * 1e-5)",
                                   "ops.log1p(ops.abs(a0) - 0.999)"])}[name]
    else:
        d.tensor(dtype, shape, r.choice(["normal", "halves"]))
        expr = r.choice(["mint.special.exp2(a0)", "mint.special.log_softmax(a0 * 30, -1)", "mint.special.round(a0)",
                         "mint.special.sinc(a0)"])
    return f"special12.{name}", [f"return {expr}"], []


# ----------------------------------------------------------------------------------------- vmap
def vmap12(d: gen.Draw):
    r = d.rng
    b, n = r.randint(1, 3), r.randint(2, 4)
    dtype = r.choice(["float32"] * 3 + ["float64"])
    in_ax, out_ax = r.choice([0, 1, -1]), r.choice([0, -1])
    shape = [n, n]
    shape.insert(in_ax if in_ax >= 0 else 2, b)
    d.tensor(dtype, tuple(shape))
    eye = f"ops.eye({n}, {n}, a0.dtype)"
    fns = {"det": f"lambda m: ops.det(m + 2 * {eye})", "inverse": f"lambda m: ops.inverse(m + 3 * {eye})",
           "cumsum": "lambda m: ops.cumsum(m, 1)", "cumprod": "lambda m: ops.cumprod(m, 0)",
           "logcumsumexp": "lambda m: ops.logcumsumexp(m, -1)", "cummax": "lambda m: ops.cummax(m, 1)[0]",
           "fft": "lambda m: ops.real(ops.fft(m, None, -1, 'ortho'))", "rfft": "lambda m: ops.imag(ops.rfft(m, 5, 0))",
           "lgamma": "lambda m: ops.lgamma(ops.abs(m) + 0.5)", "digamma": "lambda m: ops.digamma(ops.abs(m) + 0.5)",
           "norm": f"lambda m: ops.norm(m, {r.choice(['None', '1', '2', VORDS[4]])})",
           "matrix_norm": "lambda m: ops.matrix_norm(m, 'nuc')", "sort": "lambda m: ops.sort(m, 0)[0]",
           "svdvals": "lambda m: ops.svd(m, compute_uv=False)", "matrix_power": "lambda m: ops.matrix_power(m, 3)",
           "xlogy": "lambda m: ops.xlogy(ops.relu(m), ops.abs(m) + 0.5)", "trace": "lambda m: ops.trace(m)",
           "pinv": "lambda m: ops.pinv(m)", "slogdet": f"lambda m: ops.slogdet(m + 2 * {eye})[1]"}
    name = r.choice(sorted(fns))
    params, expr = fns[name][len("lambda "):].split(": ", 1)
    body = [f"def g({params}):", f"    return {expr}", f"return ops.vmap(g, in_axes={in_ax}, out_axes={out_ax})(a0)"]
    return f"vmap12.{name}", body, []


FORMS = [(linalg12, 30), (fft12, 18), (cum12, 16), (sort12, 12), (special12, 18), (vmap12, 8)]
VALUE_ONLY = ("sort12",)


def form_program(rng: random.Random, form) -> dict:
    api, src, draw = gen.form_source(rng, form)
    floats = any(kind in " ".join(draw.inputs) for kind in ("'float", "'complex"))
    if api.startswith(VALUE_ONLY) and rng.random() < 0.7 or not floats:
        mode = "value"
    else:
        mode = gen.first_or_higher(rng, gen7.HIGHER_MODES)
    return {"kind": "op", "api": api, "src": src + "\n", "mode": mode}


def programs12(seed: int, count: int, available) -> list[dict]:
    return gen.form_programs("r12", form_program, FORMS, seed, count)
