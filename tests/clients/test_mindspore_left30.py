"""MindSpore leftovers, round 30 (h-left30; benchmarks/mindspore_suite/README.md, "Leftovers, round 30").

Expected values and texts: MindSpore 2.10 (CPU, PyNative unless said), run for this task in its own venv
(/work/msvenv; the probes are /work/ms_suite_left30/probe/p1.py-p4.py, p4.py the @jit graph forms)."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor

P = ms.ops


def _tu():
    return Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.array([3.0, 4.0], np.float32))


def _prim_text(prim, other, valid="Number, Tensor"):
    return (f'Failed calling {prim} with "{prim}()(input=Tensor, other={other})".\nThe valid calling should be: \n'
            f'"{prim}()(input=<{valid}>, other=<{valid}>)".')


# (program, primitive, the sequence's type as MindSpore 2.10 writes it): its TypeError's text, verbatim
PRIM_CASES = [
    (lambda t, u: t * (u,), "Mul", "Tuple<Tensor>"), (lambda t, u: (u,) * t, "Mul", "Tuple<Tensor>"),
    (lambda t, u: t * [u], "Mul", "List<Tensor>"), (lambda t, u: t * (3.0, 4.0), "Mul", "Tuple<float, float>"),
    (lambda t, u: (3.0, 4.0) * t, "Mul", "Tuple<float, float>"), (lambda t, u: t * (u, u), "Mul", "Tuple<Tensor, Tensor>"),
    (lambda t, u: t * (u, 1.0), "Mul", "Tuple<Tensor, float>"), (lambda t, u: (u,) / t, "Mul", "Tuple<Tensor>"),
    (lambda t, u: t > (u,), "Greater", "Tuple<Tensor>"), (lambda t, u: (u,) < t, "Greater", "Tuple<Tensor>"),
    (lambda t, u: t > (0.0, 3.0), "Greater", "Tuple<float, float>"),
    (lambda t, u: t >= (u,), "GreaterEqual", "Tuple<Tensor>"),
    (lambda t, u: t >= (1.0, 3.0), "GreaterEqual", "Tuple<float, float>"),
    (lambda t, u: P.add(t, (u,)), "Add", "Tuple<Tensor>"), (lambda t, u: P.add(t, [u]), "Add", "List<Tensor>"),
    (lambda t, u: P.add(t, (3.0, 4.0)), "Add", "Tuple<float, float>"),
    (lambda t, u: P.sub(t, (u,)), "Sub", "Tuple<Tensor>"), (lambda t, u: P.div(t, (u,)), "Div", "Tuple<Tensor>"),
    (lambda t, u: P.mul(t, (u,)), "Mul", "Tuple<Tensor>"), (lambda t, u: P.mul(t, [3.0, 4.0]), "Mul", "List<float, float>"),
    (lambda t, u: t.mul((u,)), "Mul", "Tuple<Tensor>"), (lambda t, u: t.mul([u]), "Mul", "List<Tensor>"),
    (lambda t, u: t.mul((3.0, 4.0)), "Mul", "Tuple<float, float>"),
]


@pytest.mark.parametrize("i", range(len(PRIM_CASES)))
def test_sequence_operand_refused_with_the_primitive_text(fake, i):
    f, prim, other = PRIM_CASES[i]
    with pytest.raises(TypeError) as e:
        f(*_tu())
    assert str(e.value) == _prim_text(prim, other)


@pytest.mark.parametrize("f,other", [(lambda t, u: t <= (u,), "Tuple<Tensor>"),
                                     (lambda t, u: t <= [1.0, 1.0], "List<float, float>")])
def test_less_equal_sequence_operand_text(fake, f, other):
    with pytest.raises(TypeError) as e:
        f(*_tu())
    assert str(e.value) == _prim_text("LessEqual", other, "bool, Number, Tensor")


def _overload_text(name, given, forms, under):
    """MindSpore 2.10's overload-resolution text (its spacing: the underline starts at the sequence's column)."""
    lines = [f'Failed calling {name} with "{name}({given})".', "The valid calling should be:"]
    for form in forms:
        lines += [f'"{form}"', f"    match failed because invalid types: ({given})", under]
    return "\n".join(lines)


_LESS = ["less(input=<Tensor>, other=<Number>)", "less(input=<Tensor>, other=<Number, Tensor, bool>)"]
_DIV = ["Tensor.div(other=<Number>)", "Tensor.div(other=<Number, Tensor>)",
        "Tensor.div(other=<Number>, *, rounding_mode=<None, string>)",
        "Tensor.div(other=<Number, Tensor>, *, rounding_mode=<None, string>)"]
_POW = ["Tensor.pow(exponent=<Number>)", "Tensor.pow(exponent=<Number, Tensor>)"]
_MOD = ["Tensor.__mod__(other=<Tensor>)", "Tensor.__mod__(other=<Number>)"]


@pytest.mark.parametrize("f,name,given,forms,under", [
    (lambda t, u: t < (u,), "less", "Tensor, Tuple<Tensor>", _LESS, " " * 49 + "~" * 15),
    (lambda t, u: t < [u], "less", "Tensor, List<Tensor>", _LESS, " " * 49 + "~" * 14),
    (lambda t, u: t < (3.0, 1.0), "less", "Tensor, Tuple<float, float>", _LESS, " " * 49 + "~" * 21),
    (lambda t, u: t / (u,), "div", "Tuple<Tensor>", _DIV, " " * 41 + "~" * 15),
    (lambda t, u: t / (2.0, 4.0), "div", "Tuple<float, float>", _DIV, " " * 41 + "~" * 21),
    (lambda t, u: t ** (u,), "pow", "Tuple<Tensor>", _POW, " " * 41 + "~" * 15),
    (lambda t, u: t ** (2.0, 3.0), "pow", "Tuple<float, float>", _POW, " " * 41 + "~" * 21),
    (lambda t, u: t % (u,), "__mod__", "Tuple<Tensor>", _MOD, " " * 41 + "~" * 15),
])
def test_sequence_operand_refused_with_the_overload_text(fake, f, name, given, forms, under):
    with pytest.raises(TypeError) as e:
        f(*_tu())
    assert str(e.value) == _overload_text(name, given, forms, under)


@pytest.mark.parametrize("f,expected", [
    (lambda t, u: t == (u,), False), (lambda t, u: t != (u,), True), (lambda t, u: t == (1.0, 2.0), False),
    (lambda t, u: t == [t], False), (lambda t, u: t != [1.0, 2.0], True), (lambda t, u: (1.0, 2.0) == t, False)])
def test_equality_with_a_sequence_is_a_python_bool(fake, f, expected):
    out = f(*_tu())  # MindSpore 2.10: a bool, the tensor never equal to a sequence (t == (1.0, 2.0) of [1, 2] too)
    assert type(out) is bool and out is expected


@pytest.mark.parametrize("f,expected,shape", [
    (lambda t, u: t + (u,), [4.0, 6.0], (1, 2)), (lambda t, u: t + [u], [4.0, 6.0], (1, 2)),
    (lambda t, u: t - (u,), [-2.0, -2.0], (1, 2)), (lambda t, u: (u,) - t, [2.0, 2.0], (1, 2)),
    (lambda t, u: (u,) ** t, [3.0, 16.0], (1, 2)), (lambda t, u: t // (u,), [0.0, 0.0], (1, 2)),
    (lambda t, u: t + [3.0, 4.0], [4.0, 6.0], (2,)), (lambda t, u: t.add((u,)), [4.0, 6.0], (1, 2)),
    (lambda t, u: t.add([u]), [4.0, 6.0], (1, 2)), (lambda t, u: t.add((3.0, 4.0)), [4.0, 6.0], (2,)),
    (lambda t, u: t.sub((u,)), [-2.0, -2.0], (1, 2))])
def test_sequence_operands_mindspore_reads_as_a_tensor_still_answer(fake, f, expected, shape):
    out = f(*_tu())  # MindSpore 2.10's values and shapes
    assert out.shape == shape and out.dtype == ms.float32
    np.testing.assert_allclose(out.asnumpy().reshape(-1), expected)


def _g_mul(a, b):
    return a * (b,)


def _g_mul_num(a, b):
    return a * (3.0, 4.0)


def _g_add(a, b):
    return a + (b,)


def _g_eq(a, b):
    return a == (b,)


@pytest.mark.parametrize("f,expected", [(_g_mul, [[3.0, 8.0]]), (_g_mul_num, [3.0, 8.0]), (_g_add, [[4.0, 6.0]])])
def test_graph_mode_multiplies_by_a_sequence(fake, f, expected):
    out = ms.jit(f)(*_tu())  # MindSpore 2.10 in a @jit graph: `t * (u,)` answers (PyNative refuses it)
    np.testing.assert_allclose(out.asnumpy(), expected)


def test_graph_mode_equality_with_a_sequence_is_false(fake):
    assert ms.jit(_g_eq)(*_tu()) is False  # MindSpore 2.10 (GRAPH_MODE, p4.py): False


def _g_lt(a, b):
    return a < (b,)


def _g_ge(a, b):
    return a >= (b,)


def _g_ops_mul(a, b):
    return P.mul(a, (b,))


def _g_method_mul(a, b):
    return a.mul((b,))


@pytest.mark.parametrize("f,start", [
    (_g_lt, 'Failed calling less with "less(Tensor, Tuple<Tensor>)".'),
    (_g_ge, 'Failed calling GreaterEqual with "GreaterEqual()(input=Tensor, other=Tuple<Tensor>)".'),
    (_g_ops_mul, "Failed calling Mul with "), (_g_method_mul, "Failed calling Mul with ")])
def test_graph_mode_sequence_operand_refused(fake, f, start):
    with pytest.raises(TypeError) as e:  # MindSpore 2.10 (GRAPH_MODE, p4.py): the same TypeError (ops.mul /
        ms.jit(f)(*_tu())  # Tensor.mul there write 'other=Tuple[Tensor[Float32]]')
    assert str(e.value).startswith(start)


# -- TextFileDataset(num_shards=, shard_id=) ----------------------------------------------------------------------
_TEXTS = {"a.txt": "a0\na1\na2\n", "b.txt": "b0\nb1\nb2\nb3\nb4\n", "c.txt": "c0\n", "d.txt": "d0\nd1\nd2\nd3\n",
          "e.txt": "x0\n\nx1\nx2\n"}
_SETS = {"one": ["b.txt"], "ab": ["a.txt", "b.txt"], "abcd": ["a.txt", "b.txt", "c.txt", "d.txt"], "ce": ["c.txt", "e.txt"],
         "glob": "*.txt"}

# (file set, num_shards, shard_id, num_samples, the shard's rows): MindSpore 2.10, shuffle=False,
# num_parallel_workers=1 (/work/ms_suite_left30/probe/p5.py, 190 cases; these 62 of them)
SHARD_CASES = [
    ("one", 2, 0, None, ['b0', 'b1', 'b2']),
    ("one", 2, 0, 3, ['b0', 'b1', 'b2']),
    ("one", 2, 1, None, ['b3', 'b4', 'b0']),
    ("one", 2, 1, 3, ['b3', 'b4', 'b0']),
    ("one", 4, 0, None, ['b0', 'b1']),
    ("one", 4, 0, 3, ['b0', 'b1']),
    ("one", 4, 1, None, ['b2', 'b3']),
    ("one", 4, 1, 3, ['b2', 'b3']),
    ("one", 4, 2, None, ['b4', 'b0']),
    ("one", 4, 2, 3, ['b4', 'b0']),
    ("one", 4, 3, None, ['b1', 'b2']),
    ("one", 4, 3, 3, ['b1', 'b2']),
    ("one", 20, 0, None, ['b0']),
    ("one", 20, 0, 3, ['b0']),
    ("one", 20, 19, None, ['b4']),
    ("one", 20, 19, 3, ['b4']),
    ("ab", 2, 0, None, ['a0', 'a1', 'a2', 'b0']),
    ("ab", 2, 0, 3, ['a0', 'a1', 'a2']),
    ("ab", 2, 1, None, ['b1', 'b2', 'b3', 'b4']),
    ("ab", 2, 1, 3, ['b1', 'b2', 'b3']),
    ("ab", 3, 0, None, ['a0', 'a1', 'a2']),
    ("ab", 3, 0, 3, ['a0', 'a1', 'a2']),
    ("ab", 3, 1, None, ['b0', 'b1', 'b2']),
    ("ab", 3, 1, 3, ['b0', 'b1', 'b2']),
    ("ab", 3, 2, None, ['b3', 'b4', 'a0']),
    ("ab", 3, 2, 3, ['b3', 'b4', 'a0']),
    ("ab", 20, 0, None, ['a0']),
    ("ab", 20, 0, 3, ['a0']),
    ("ab", 20, 19, None, ['b0']),
    ("ab", 20, 19, 3, ['b0']),
    ("abcd", 4, 0, None, ['a0', 'a1', 'a2', 'b0']),
    ("abcd", 4, 0, 3, ['a0', 'a1', 'a2']),
    ("abcd", 4, 1, None, ['b1', 'b2', 'b3', 'b4']),
    ("abcd", 4, 1, 3, ['b1', 'b2', 'b3']),
    ("abcd", 4, 2, None, ['c0', 'd0', 'd1', 'd2']),
    ("abcd", 4, 2, 3, ['c0', 'd0', 'd1']),
    ("abcd", 4, 3, None, ['d3', 'a0', 'a1', 'a2']),
    ("abcd", 4, 3, 3, ['d3', 'a0', 'a1']),
    ("abcd", 7, 0, None, ['a0', 'a1']),
    ("abcd", 7, 0, 3, ['a0', 'a1']),
    ("abcd", 7, 6, None, ['d3', 'a0']),
    ("abcd", 7, 6, 3, ['d3', 'a0']),
    ("ce", 2, 0, None, ['c0', 'x0']),
    ("ce", 2, 0, 3, ['c0', 'x0']),
    ("ce", 2, 1, None, ['x1', 'x2']),
    ("ce", 2, 1, 3, ['x1', 'x2']),
    ("ce", 3, 0, None, ['c0', 'x0']),
    ("ce", 3, 0, 3, ['c0', 'x0']),
    ("ce", 3, 1, None, ['x1', 'x2']),
    ("ce", 3, 1, 3, ['x1', 'x2']),
    ("ce", 3, 2, None, ['c0', 'x0']),
    ("ce", 3, 2, 3, ['c0', 'x0']),
    ("ce", 20, 0, None, ['c0']),
    ("ce", 20, 0, 3, ['c0']),
    ("ce", 20, 19, None, ['x2']),
    ("ce", 20, 19, 3, ['x2']),
    ("glob", 3, 0, None, ['a0', 'a1', 'a2', 'b0', 'b1', 'b2']),
    ("glob", 3, 0, 3, ['a0', 'a1', 'a2']),
    ("glob", 3, 1, None, ['b3', 'b4', 'c0', 'd0', 'd1', 'd2']),
    ("glob", 3, 1, 3, ['b3', 'b4', 'c0']),
    ("glob", 3, 2, None, ['d3', 'x0', 'x1', 'x2', 'a0', 'a1']),
    ("glob", 3, 2, 3, ['d3', 'x0', 'x1']),
]


@pytest.fixture
def text_dir(tmp_path):
    for name, text in _TEXTS.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def _files(d, name):
    files = _SETS[name]
    return str(d / files) if isinstance(files, str) else [str(d / f) for f in files]


def _texts(data):
    return [str(r["text"]) for r in data.create_dict_iterator(output_numpy=True, num_epochs=1)]


@pytest.mark.parametrize("name,n,s,ns,rows", SHARD_CASES)
def test_text_file_dataset_shard_rows(text_dir, name, n, s, ns, rows):
    data = ms.dataset.TextFileDataset(_files(text_dir, name), shuffle=False, num_parallel_workers=1, num_shards=n,
                                      shard_id=s, num_samples=ns)
    assert _texts(data) == rows
    assert data.get_dataset_size() == len(rows)


@pytest.mark.parametrize("n,s,rows", [(2, 0, ["b0", "b1", "b2"]), (2, 1, ["b0", "b3", "b4"]), (3, 2, ["b0", "b4"])])
def test_text_file_dataset_shuffled_shard_of_one_file_holds_the_same_rows(text_dir, n, s, rows):
    data = ms.dataset.TextFileDataset(str(text_dir / "b.txt"), num_shards=n, shard_id=s)  # shuffle=True (default)
    assert sorted(_texts(data)) == rows  # MindSpore 2.10 (p7.py, seeds 0-3): these rows, in an order of its own


def test_text_file_dataset_shuffled_shards_of_several_files_refused(text_dir):
    with pytest.raises(NotImplementedError, match="shuffle=False"):  # MindSpore shuffles the files' order first
        ms.dataset.TextFileDataset(_files(text_dir, "ab"), num_shards=2, shard_id=0, num_parallel_workers=1)


@pytest.mark.parametrize("kw,cls,text", [  # MindSpore 2.10's classes and texts (p6.py)
    (dict(shard_id=0), RuntimeError, "shard_id is specified but num_shards is not."),
    (dict(num_shards=2), RuntimeError, "num_shards is specified and currently requires shard_id as well."),
    (dict(num_shards=2, shard_id=2), ValueError, "Input shard_id is not within the required interval of [0, 1]."),
    (dict(num_shards=2, shard_id=-1), ValueError, "Input shard_id is not within the required interval of [0, 1]."),
    (dict(num_shards=0, shard_id=0), ValueError,
     "Input num_shards is not within the required interval of [1, 2147483647]."),
])
def test_text_file_dataset_shard_argument_errors(text_dir, kw, cls, text):
    with pytest.raises(cls) as e:
        ms.dataset.TextFileDataset(str(text_dir / "a.txt"), **kw)
    assert str(e.value) == text


# -- InsertGradientOf: a Python int from the hook on the input itself (PyNative) ------------------------------------
def _int_hook(d):
    return 4


def _float_hook(d):
    return 4.0


@pytest.mark.parametrize("chain", ["direct", "then_mul", "two_uses"])
def test_pynative_int_from_a_hook_on_the_input_refused(fake, chain):
    ig = P.InsertGradientOf(_int_hook)
    f = {"direct": lambda t: ig(t), "then_mul": lambda t: ig(t) * 1, "two_uses": lambda t: ig(t) + t}[chain]
    with pytest.raises(TypeError, match="Int64 gradient"):  # MindSpore 2.10 (p8.py): Int64 4 (direct, then_mul),
        ms.ops.GradOperation()(f)(Tensor(3.0, ms.float32))  # TypeError "For primitive[Add] ..." (two_uses)


@pytest.mark.parametrize("hook,chain,expected", [(_int_hook, "mul2", 8.0), (_int_hook, "sum", 4.0),
                                                 (_float_hook, "direct", 4.0), (_float_hook, "two_uses", 5.0)])
def test_pynative_hook_numbers_mindspore_gives_as_float32(fake, hook, chain, expected):
    ig = P.InsertGradientOf(hook)
    f = {"mul2": lambda t: ig(t * 2), "sum": lambda t: ig(t.sum()), "direct": lambda t: ig(t),
         "two_uses": lambda t: ig(t) + t}[chain]
    g = ms.ops.GradOperation()(f)(Tensor(3.0, ms.float32))  # MindSpore 2.10 (p8.py): Float32, these values
    assert g.dtype == ms.float32 and g.shape == ()
    assert float(g.asnumpy()) == expected


def test_ops_equal_with_a_sequence_refused(fake):
    t, _ = _tu()
    with pytest.raises(TypeError) as e:  # MindSpore 2.10 (p3.py): its Equal text (ours answered [True, True])
        P.equal(t, (1.0, 2.0))
    assert str(e.value) == ('Failed calling Equal with "Equal()(input=Tensor, other=Tuple<float, float>)".\n'
                            'The valid calling should be: \n"Equal()(input=<Tensor>, other=<Number, Tensor>)".')


def test_tensor_eq_with_a_sequence_refused(fake):
    t, _ = _tu()
    with pytest.raises(TypeError, match="^Failed calling "):  # MindSpore 2.10: 'Failed calling eq with
        t.eq((1.0, 2.0))  # "eq(Tuple<float, float>)"' (its overload text; ours: Equal's)
