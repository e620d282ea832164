"""Op list and inputs for the float16 / bfloat16 sweep, shared by the MindSpore side and the gradserve side."""
import numpy as np
DTYPES = {"float16": np.dtype(np.float16), "bfloat16": np.dtype(np.float32)}  # bfloat16 carried as exact float32


def to_dt(a, dtype):
    """float32 values rounded to dtype (bfloat16: nearest even on the top 16 bits), as a float16 / float32 array."""
    a = np.asarray(a, np.float32)
    if dtype == "float16":
        return a.astype(np.float16)
    b = a.view(np.uint32).astype(np.uint64)
    r = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint32) << 16
    r = np.where(np.isnan(a), (b.astype(np.uint32) | 0x00400000) & 0xFFFF0000, r).astype(np.uint32)
    return r.view(np.float32)

UNARY = ["abs", "neg", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "reciprocal", "square",
         "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "erfc",
         "erfinv", "sigmoid", "softplus", "relu", "relu6", "elu", "gelu", "silu", "mish", "hardswish", "hardsigmoid",
         "softsign", "logsigmoid", "selu", "celu", "sinc", "lgamma", "digamma", "exp2", "floor", "ceil", "round",
         "trunc", "sign", "logit", "hardtanh", "softshrink", "hshrink", "tanhshrink", "leaky_relu", "deg2rad",
         "rad2deg", "i0", "bessel_i0e", "bessel_i1e", "frac", "angle", "xlogy_self",
         "fast_gelu", "gelu_tanh", "rsqrt", "log_softmax1", "softmax1"]
BINARY = ["add", "sub", "mul", "div", "pow", "atan2", "hypot", "logaddexp", "logaddexp2", "maximum", "minimum",
          "xlogy", "fmod", "remainder", "squared_difference", "floor_divide", "copysign", "xdivy", "truncate_div",
          "div_floor", "nextafter", "lerp_half", "addcmul1"]
REDUCE = ["sum", "mean", "prod", "amax", "amin", "logsumexp", "std", "var", "norm", "cumsum", "cumprod", "softmax",
          "log_softmax", "max", "min", "nansum"]
UNARY = list(dict.fromkeys(UNARY))


def values(dtype):
    """8192 bit patterns spread over the whole range (every 8th): subnormals, +-0, +-inf, nan, the largest."""
    bits = np.arange(0, 65536, 8, dtype=np.uint16)
    if dtype == "float16":
        return bits.view(np.float16)
    return (bits.astype(np.uint32) << 16).view(np.float32)


def others(dtype):
    x = values(dtype)
    return x[np.random.default_rng(7).permutation(x.size)]


def reduce_input(dtype):
    """(512, 16) rows: moderate finite values (|x| < 64), one row in 32 with an inf or nan."""
    x = values(dtype).astype(np.float32)
    x = x[np.isfinite(x) & (np.abs(x) < 64)]
    rng = np.random.default_rng(3)
    a = rng.choice(x, (512, 16)).astype(np.float32)
    a[::32, 3] = np.inf
    a[16::32, 5] = np.nan
    a[8::32, 7] = -np.inf
    return to_dt(a, dtype)


def unary_fn(ops, name):
    special = {
        "relu6": lambda x: ops.relu6(x), "elu": lambda x: ops.elu(x), "celu": lambda x: ops.celu(x),
        "logit": lambda x: ops.logit(x), "hardtanh": lambda x: ops.hardtanh(x),
        "softshrink": lambda x: ops.softshrink(x), "hshrink": lambda x: ops.hardshrink(x),
        "leaky_relu": lambda x: ops.leaky_relu(x, 0.2),
        "xlogy_self": lambda x: ops.xlogy(x, x), "gelu_tanh": lambda x: ops.gelu(x, approximate="tanh"),
        "gelu": lambda x: ops.gelu(x, approximate="none"), "bessel_i0e": lambda x: ops.bessel_i0e(x),
        "bessel_i1e": lambda x: ops.bessel_i1e(x), "log_softmax1": lambda x: ops.log_softmax(x.reshape(-1, 8), 1),
        "softmax1": lambda x: ops.softmax(x.reshape(-1, 8), 1), "i0": lambda x: ops.i0(x),
        "tanhshrink": lambda x: ops.tanhshrink(x), "fast_gelu": lambda x: ops.fast_gelu(x),
    }
    if name in special:
        return special[name]
    return getattr(ops, name)


def binary_fn(ops, name):
    special = {"lerp_half": lambda x, y: ops.lerp(x, y, 0.5), "addcmul1": lambda x, y: ops.addcmul(x, y, y, 1),
               "truncate_div": lambda x, y: ops.truncate_div(x, y), "div_floor": lambda x, y: ops.div(x, y, rounding_mode="floor")}
    if name in special:
        return special[name]
    return getattr(ops, name)


def reduce_fn(ops, name):
    special = {"sum": lambda x: ops.sum(x, 1), "mean": lambda x: ops.mean(x, 1), "prod": lambda x: ops.prod(x, 1),
               "amax": lambda x: ops.amax(x, 1), "amin": lambda x: ops.amin(x, 1),
               "logsumexp": lambda x: ops.logsumexp(x, 1), "std": lambda x: ops.std(x, 1),
               "var": lambda x: ops.var(x, 1), "norm": lambda x: ops.norm(x, dim=1),
               "cumsum": lambda x: ops.cumsum(x, 1), "cumprod": lambda x: ops.cumprod(x, 1),
               "softmax": lambda x: ops.softmax(x, 1), "log_softmax": lambda x: ops.log_softmax(x, 1),
               "max": lambda x: ops.max(x, 1)[0], "min": lambda x: ops.min(x, 1)[0],
               "nansum": lambda x: ops.nansum(x, 1)}
    return special[name]


def cases():
    """(key, kind, name) for every case: kind 'u' unary, 'b' binary, 'r' reduction; grad variants 'ug', 'bg', 'rg'."""
    for dt in DTYPES:
        for n in UNARY:
            yield f"{dt}/u/{n}", dt, "u", n
            yield f"{dt}/ug/{n}", dt, "ug", n
        for n in BINARY:
            yield f"{dt}/b/{n}", dt, "b", n
            yield f"{dt}/bg/{n}", dt, "bg", n
        for n in REDUCE:
            yield f"{dt}/r/{n}", dt, "r", n
            yield f"{dt}/rg/{n}", dt, "rg", n
