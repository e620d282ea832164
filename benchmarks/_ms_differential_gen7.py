"""Round 7 of ms_differential.py's programs: higher-order gradient forms over the round-6 op signatures (grad of
grad, jvp of grad, jacrev / jacfwd, the Hessian as jacfwd(jacrev), vjp with a cotangent per output), mint.* /
mint.nn.functional (F) / more Tensor methods, nn layers with Parameters through GradOperation(get_all,
get_by_list, sens_param) and second order, and one empty dim in six draws."""
from __future__ import annotations

import random

import _ms_differential_gen as gen
import _ms_differential_specs7 as specs7

HIGHER_MODES = ["grad_grad", "jvp_grad", "hessian", "jacrev", "jacfwd", "vjp_multi"]
LAYER_MODES7 = ["all_by_list", "sens_by_list", "layer_grad_grad", "by_list", "grad_input"]
EMPTY_P = 1 / 6

gen.X_SHAPES.update({"x_ps": lambda d: (d.rng.randint(1, 2), 4 * d.rng.randint(1, 2), d.rng.randint(1, 3),
                                        d.rng.randint(1, 3))})
gen.X_KINDS.add("x_ps")
gen.KINDS.update({
    "ln_shape": lambda c: (gen._last(c),), "ln_w": lambda c: c.like((gen._last(c),)),
    "bias_c+": lambda c: c.like((c.shape[1],), "positive"), "eps_pos": lambda c: c.r.choice([1e-5, 0.1]),
    "ign": lambda c: c.r.choice([-100, 0, 1]), "zero_one": lambda c: c.r.choice([0, 1]),
    "conv1d_w": lambda c: c.like((2, c.shape[1], c.r.randint(1, 3))),
    "conv2d_w": lambda c: c.like((2, c.shape[1], c.r.randint(1, 2), c.r.randint(1, 2))),
    "prelu_w": lambda c: c.like((1,)) if c.r.random() < .5 else c.like((c.shape[1],)),
    "emb_idx": lambda c: c.like((c.r.randint(1, 3), c.r.randint(1, 3)), f"index{c.shape[0]}", "int32"),
    "pad_idx": lambda c: c.r.choice([None, 0]), "false": lambda c: False,
    "cos_target": lambda c: c.like((c.shape[0],), "sign"),
    "flat_args": lambda c: gen._Code(c.r.choice(["-1", "1, -1"])),
    "sum_size": lambda c: gen._Code(", ".join("1" if c.r.random() < .5 else str(d) for d in c.shape) or "()"),
    "bigger_shape": lambda c: (2,) + tuple(d if d != 1 or c.r.random() < .5 else 3 for d in c.shape),
})


def signatures7(available) -> list[str]:
    sigs = [f"mint.{n}(input:{'x+' if n in {'log', 'log10', 'log2', 'log1p', 'sqrt', 'rsqrt', 'acosh'} else 'x~' if n in {'asin', 'acos', 'atanh'} else 'x'})"
            for n in specs7.MINT_UNARY]
    sigs += [f"mint.{n}(input:x, other:y)" for n in specs7.MINT_BINARY] + specs7.MINT + specs7.F + specs7.TENSOR
    return [s for s in sigs if available(*gen._parse(s)[:2])]


def _layer7(r: random.Random, name: str) -> tuple[str, list, bool]:
    """(constructor text, [(dtype, shape, domain) of each input], whether training mode may be drawn)."""
    n, c, l, h = r.randint(1, 3), r.randint(1, 4), r.randint(2, 5), r.randint(1, 2)
    e = h * r.randint(1, 3)
    seq, mem = ("float32", (l, n, e), "normal"), ("float32", (r.randint(1, 4), n, e), "normal")
    rec = ("float32", (n, l, c), "normal")
    table = {
        "MultiheadAttention": (f"nn.MultiheadAttention({e}, {h})", [seq, mem, mem], True),
        "TransformerEncoderLayer": (f"nn.TransformerEncoderLayer({e}, {h}, dim_feedforward={r.choice([8, 2048])})",
                                    [seq], False),
        "TransformerDecoderLayer": (f"nn.TransformerDecoderLayer({e}, {h}, dim_feedforward={r.choice([8, 2048])})",
                                    [seq, mem], False),
        "Transformer": (f"nn.Transformer({e}, {h}, 1, 1, 8)", [seq, mem], False),
        "LSTM2": (f"nn.LSTM({c}, 2, num_layers=2, batch_first=True)", [rec], True),
        "GRU2": (f"nn.GRU({c}, 2, num_layers=2, batch_first=True)", [rec], True),
        "LSTMbi": (f"nn.LSTM({c}, 2, bidirectional=True)", [("float32", (l, n, c), "normal")], True),
        "GRUbi": (f"nn.GRU({c}, 2, bidirectional=True)", [("float32", (l, n, c), "normal")], True),
        "GRUCell": (f"nn.GRUCell({c}, 3)", [("float32", (n, c), "normal"), ("float32", (n, 3), "normal")], True),
        "RNNCell": (f"nn.RNNCell({c}, 3)", [("float32", (n, c), "normal"), ("float32", (n, 3), "normal")], True),
        "Conv1d": (f"nn.Conv1d({c}, 2, {r.randint(1, 3)}, has_bias={r.random() < .5})",
                   [("float32", (n, c, r.randint(3, 6)), "normal")], True),
        "Conv2d": (f"nn.Conv2d({c}, 2, 2, stride={r.randint(1, 2)}, has_bias=True)",
                   [("float32", (n, c, r.randint(2, 5), r.randint(2, 5)), "normal")], True),
        "Conv2dPad": (f"nn.Conv2d({c}, 2, 3, pad_mode='pad', padding=1)",
                      [("float32", (n, c, r.randint(2, 4), r.randint(2, 4)), "normal")], True),
        "Conv1dTranspose": (f"nn.Conv1dTranspose({c}, 2, 2)", [("float32", (n, c, r.randint(2, 4)), "normal")], True),
        "BatchNorm1d3": (f"nn.BatchNorm1d({c})", [("float32", (r.randint(2, 3), c), "normal")], True),
        "BatchNorm2d": (f"nn.BatchNorm2d({c})", [("float32", (r.randint(1, 3), c, 2, r.randint(1, 3)), "normal")], True),
        "InstanceNorm1d": (f"nn.InstanceNorm1d({c})", [("float32", (n, c, r.randint(2, 4)), "normal")], True),
        "LayerNorm2": (f"nn.LayerNorm(({c}, {l}), begin_norm_axis=-2, begin_params_axis=-2)",
                       [("float32", (n, c, l), "normal")], True),
        "Embedding": (f"nn.Embedding(5, {c}, padding_idx={r.choice([None, 0])})", [("int32", (n, l), "index5")], True),
        "DenseAct": (f"nn.Dense({c}, 3, activation={r.choice(['relu', 'tanh', 'sigmoid', 'gelu'])!r})",
                     [("float32", (n, c), "normal")], True),
        "Dense": (f"nn.Dense({c}, 3)", [("float32", (r.randint(1, 2), n, c), "normal")], True),
    }
    return table[name]


def _class_name(name: str) -> str:
    """The nn class a LAYERS entry builds (LSTM2 -> LSTM)."""
    return _layer7(random.Random(0), name)[0].split("(")[0].split(".")[1]


def layer_program7(rng: random.Random, name: str) -> dict:
    draw = gen.Draw(rng)
    ctor, inputs, may_train = _layer7(rng, name)
    for dt, shape, domain in inputs:
        draw.tensor(dt, shape, domain)
    train = may_train and rng.random() < 0.5
    src = f"inputs = [{', '.join(draw.inputs)}]\nnet = {ctor}\nnet.set_train({train})\n"
    return {"kind": "layer", "api": f"nn.{name}", "src": src, "mode": rng.choice(LAYER_MODES7),
            "param_seed": rng.randrange(1 << 30)}


def programs7(seed: int, count: int, available) -> list[dict]:
    """count programs: a third round-6 signatures under a higher-order mode, a third round 7's signatures (any
    mode), a sixth round 7's layers, a sixth round 6's layers under round 7's layer modes."""
    rng = random.Random(seed)
    old_sigs, new_sigs = gen.signatures(available), signatures7(available)
    old_layers = [n for n in gen.specs.LAYERS if available("nn", n) and n != "Dropout"]
    new_layers = [n for n in specs7.LAYERS if available("nn", _class_name(n))]
    out = []
    for i in range(count):
        roll = rng.random()
        if roll < 1 / 3:
            prog = dict(gen.op_program(rng, rng.choice(old_sigs), EMPTY_P), mode=rng.choice(HIGHER_MODES))
        elif roll < 2 / 3:
            prog = gen.op_program(rng, rng.choice(new_sigs), EMPTY_P)
            prog["mode"] = rng.choice(gen.OP_MODES + HIGHER_MODES)
        elif roll < 5 / 6:
            prog = layer_program7(rng, rng.choice(new_layers))
        else:
            prog = dict(gen.layer_program(rng, rng.choice(old_layers)), mode=rng.choice(LAYER_MODES7))
        out.append({"name": f"r7:{seed}:{i}:{prog['api']}", **prog})
    return out
