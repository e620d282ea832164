"""mindspore.dataset.text steps MindSpore's own dataset tests use (benchmarks/mindspore_suite/README.md, "dataset text,
round 3"): ToNumber, SlidingWindow, TruncateSequencePair, Ngram, CaseFold, NormalizeUTF8, RegexReplace, RegexTokenizer,
BasicTokenizer, PythonTokenizer. Expected values and texts: MindSpore 2.10 CPU runs of the same calls
(/work/ms_suite_dataset3/probe/t1-t5.py), written here; none is gradserve's own output."""
import numpy as np
import pytest

import gradserve
import gradserve.dataset as ds
import gradserve.dataset.text as text

mstype = gradserve.dtype


# MindSpore 2.10 (probe t1.py, t2.py): (type, string) -> value
@pytest.mark.parametrize("ty, s, want", [
    ("int32", "12", 12), ("int32", " 12", 12), ("int32", "12a", 12), ("int32", "1.5", 1), ("int32", "  -0012", -12),
    ("int32", "0x10", 0), ("uint32", " +7", 7), ("uint64", "18446744073709551615", 18446744073709551615),
    ("float32", "1e3", 1000.0), ("float32", "2.5x", 2.5), ("float32", "0x1p3", 8.0), ("float16", "1e-10", 0.0),
    ("float32", "3.4028235e38", 3.4028235e38), ("float32", "1.17549435e-38", 1.17549435e-38), ("float32", "0e-50", 0.0),
    ("float64", "0.000e-999", 0.0), ("float32", "1e+", 1.0), ("float32", "1.e5", 1e5),
])
def test_to_number_values(ty, s, want):
    got = text.ToNumber(getattr(mstype, ty))(np.array([s]))
    assert got.dtype == np.dtype(ty) and got.tolist() == [np.array(want, dtype=ty).item()]


def test_to_number_nan_and_shape():
    assert np.isnan(text.ToNumber(mstype.float32)(np.array(["nan"]))[0])
    got = text.ToNumber(mstype.int8)([["1", "2"], ["3", "4"]])
    assert got.dtype == np.int8 and got.tolist() == [[1, 2], [3, 4]]


# MindSpore 2.10's texts (probe t1.py, t2.py)
@pytest.mark.parametrize("ty, s, text_", [
    ("int32", "abc", 'ToNumber: it is invalid to convert "abc" to a number.'),
    ("uint8", "abc", 'ToNumber: It is invalid to convert "abc" to an unsigned integer.'),
    ("float64", "abc", 'ToNumber: it is invalid to convert "abc" to an unsigned integer.'),
    ("uint8", "-1", "ToNumber: string input -1 will be out of bounds if cast to uint8. The valid range is: [0, 255]."),
    ("int64", "99999999999999999999", "The valid range is: [-9223372036854775808, 9223372036854775807]."),
    ("uint64", "18446744073709551616", "will be out of bounds if cast to uint64."),
    ("float32", "inf", "ToNumber: string input inf will be out of bounds if cast to float32. The valid range is: "
                       "[-340282346638528859811704183484516925440.000000, "
                       "340282346638528859811704183484516925440.000000]."),
    ("float32", "1e-50", "string input 1e-50 will be out of bounds if cast to float32."),
    ("float32", "3.4028236e38", "string input 3.4028236e38 will be out of bounds if cast to float32."),
    ("float64", "1e-400", "string input 1e-400 will be out of bounds if cast to float64."),
    ("float32", "1e-40", "string input 1e-40 will be out of bounds if cast to float32."),  # (subnormal: ERANGE)
    ("float32", ".", 'ToNumber: it is invalid to convert "." to an unsigned integer.'),
    ("float16", "65519", "ToFloat16: value 65519.000000in input data is outside of valid float16 range "
                         "[65504.000000, -65504.000000]."),
])
def test_to_number_refusals(ty, s, text_):
    with pytest.raises(RuntimeError, match=None) as info:
        text.ToNumber(getattr(mstype, ty))(np.array([s]))
    assert text_ in str(info.value)


def test_to_number_argument_checks():
    with pytest.raises(TypeError, match="data_type: String is not numeric data type."):
        text.ToNumber(mstype.string)
    with pytest.raises(TypeError, match="data_type: Bool is not numeric data type."):
        text.ToNumber(mstype.bool_)
    with pytest.raises(RuntimeError, match="ToNumber: input should be string datatype."):
        text.ToNumber(mstype.int32)(np.array([b"12"]))
    with pytest.raises(RuntimeError, match="The op is OneToOne, can only accept one tensor as input."):
        text.ToNumber(mstype.int32)(["1", "2"], ["3"])
    with pytest.raises(TypeError, match=r"Invalid user input. Got <class 'list'>: \[\['1', '2', None\]\], cannot"):
        text.ToNumber(mstype.int32)([["1", "2", None]])


def test_to_number_in_map():  # MindSpore 2.10: the pipeline raises the same text
    d = ds.NumpySlicesDataset(["300"], column_names=["t"], shuffle=False).map(text.ToNumber(mstype.int8), ["t"])
    with pytest.raises(RuntimeError, match=r"string input 300 will be out of bounds if cast to int8. The valid range "
                                           r"is: \[-128, 127\]."):
        list(d.create_tuple_iterator(output_numpy=True))


def test_sliding_window():  # MindSpore 2.10 (probe t1.py, t3.py)
    assert text.SlidingWindow(2, 0)(["a", "b", "c"]).tolist() == [["a", "b"], ["b", "c"]]
    assert text.SlidingWindow(2, -1)(np.array([1.5, 2, 3], np.float32)).tolist() == [[1.5, 2], [2, 3]]
    big = text.SlidingWindow(5, 0)(np.array([1, 2, 3]))
    assert big.shape == (0,) and big.dtype == np.int64
    with pytest.raises(RuntimeError, match="SlidingWindow supports 1D input only for now, but got 2D."):
        text.SlidingWindow(2, 0)(np.array([[1, 2, 3]]))
    with pytest.raises(RuntimeError, match="The parameter axis supports 0 or -1 only for now, but got -100."):
        text.SlidingWindow(3, -100)(np.array([1, 2, 3]))
    with pytest.raises(ValueError, match=r"Input width is not within the required interval of \[1, 2147483647\]."):
        text.SlidingWindow(0, 0)
    with pytest.raises(RuntimeError, match="Input Tensor has no data."):
        text.SlidingWindow(2)(np.array([], dtype=np.int32))


@pytest.mark.parametrize("n, a, b, ra, rb", [  # MindSpore 2.10 (probe t1.py, t3.py; test_pair_truncate.py's rows)
    (3, ["1", "2", "3"], ["4", "5"], ["1", "2"], ["4"]), (1, [1, 2, 3, 4], [5, 6, 7, 8], [1], []),
    (0, [1, 2, 3, 4], [5, 6], [], []), (4, [1, 2, 3, 4], [5], [1, 2, 3], [5]),
    (3, [1, 2, 3], ["a", "b"], [1, 2], ["a"]),
])
def test_truncate_sequence_pair(n, a, b, ra, rb):
    got = text.TruncateSequencePair(n)(np.array(a), np.array(b))
    assert [got[0].tolist(), got[1].tolist()] == [ra, rb]


def test_truncate_sequence_pair_refusals():
    with pytest.raises(RuntimeError, match="TruncateSequencePair: Expected two inputs, but got 1 inputs."):
        text.TruncateSequencePair(3)(["1", "2", "3"])
    with pytest.raises(RuntimeError, match="TruncateSequencePair: both data column should be of rank 1."):
        text.TruncateSequencePair(2)(np.array([[1, 2], [3, 4]]), np.array([5, 6]))
    with pytest.raises(RuntimeError, match="The parameter max_length must be greater than or equal to 0: -1"):
        text.TruncateSequencePair(-1)(np.array([1, 2, 3]), np.array([1]))


def test_ngram():  # MindSpore 2.10 (probe t3.py)
    assert text.Ngram(2)(np.array(["a", "b", "c"])).tolist() == ["a b", "b c"]
    assert text.Ngram([1, 3], ("L", 1), ("R", 2), "-")(np.array(["a", "b"])).tolist() == \
        ["a", "b", "L-a-b", "a-b-R", "b-R-R"]
    assert text.Ngram(5)(np.array(["a", "b"])).tolist() == [""]
    with pytest.raises(RuntimeError, match="Ngram: input is not a 1D data with string datatype."):
        text.Ngram(2)(np.array([1, 2, 3]))
    for args, err, msg in [(([1, [1]],), TypeError, "Argument gram[1] with value [1] is not of type [<class 'int'>]"),
                           (([],), ValueError, "n needs to be a non-empty list of positive integers."),
                           (([1], ("str", -1)), ValueError, "padding width need to be positive numbers."),
                           (([1], ("str", "rts")), ValueError, "left_pad needs to be a tuple of (str, int)"),
                           (([1, 0],), ValueError, "Input gram_1 must be greater than 0.")]:
        with pytest.raises(err) as info:
            text.Ngram(*args)
        assert msg in str(info.value)


def test_case_fold_and_normalize():  # MindSpore 2.10 (probe t4.py)
    got = text.CaseFold()(np.array(["Straße ẞ ﬁ Ⅻ A\u00adB x\u200by ÉCOLE ΣΑΣ ①"]))
    assert got.tolist() == ["strasse ss fi xii ab xy école σασ 1"]
    assert text.CaseFold()(["AbC", "DE"]).tolist() == ["abc", "de"]
    with pytest.raises(RuntimeError, match="CaseFold: input is not string datatype."):
        text.CaseFold()(np.array([b"AB"]))
    assert text.NormalizeUTF8()("ﬁ ①").tolist() == "fi 1"
    assert text.NormalizeUTF8(text.NormalizeForm.NONE)("ﬁ ①").tolist() == "ﬁ ①"
    assert text.NormalizeUTF8(text.utils.NormalizeForm.NFD)("ṩ").tolist() == "s\u0323\u0307"
    with pytest.raises(TypeError, match="should be enum of 'NormalizeForm'"):
        text.NormalizeUTF8("NFC")


def test_regex_replace():  # MindSpore 2.10 (probe t4.py; test_text_tokenizer.py's rows)
    assert text.RegexReplace("a(b)", "$1x")(np.array(["abab"])).tolist() == ["bxbx"]
    assert text.RegexReplace("a(b)", "$1x", False)(np.array(["abab"])).tolist() == ["bxab"]
    assert text.RegexReplace("a", "\\$")(np.array(["abab"])).tolist() == ["$b$b"]
    assert text.RegexReplace("\\p{Lu}", "_")(np.array(["AbÉ"])).tolist() == ["_b_"]
    assert text.RegexReplace("x*", "-")(np.array(["abc"])).tolist() == ["-a-b-c-"]
    assert text.RegexReplace("\\p{Ll}", "_")(np.array("L'Ay G")).tolist() == "L'A_ G"
    with pytest.raises(RuntimeError, match="create icu RegexMatcher failed"):
        text.RegexReplace("(", "x")(np.array(["abab"]))
    with pytest.raises(RuntimeError, match="one string at a time"):  # MindSpore 2.10: ['bxbxcbx', '']
        text.RegexReplace("a(b)", "$1x")(np.array(["abab", "cab"]))
    with pytest.raises(ValueError, match=r"\\p\{Latin\}"):  # a script but Han: refused, not read as something else
        text.RegexReplace("\\p{Latin}", "_")(np.array(["ab"]))
    # MindSpore 2.10 (probe t11.py): Script=Han, radicals, 々, 〇, Hangzhou numerals and extension B-C too
    han = "北京々〇⺀ 㐀𠀀 かなカナ 한국 abc 〡〻 ⿕ 豈 \U00016FE2 \U0002B740"
    got = text.RegexReplace("\\p{Han}", "_")(np.array([han]))
    assert got.tolist() == ["_____ __ かなカナ 한국 abc __ _ _ _ _"]


def test_regex_tokenizer():  # MindSpore 2.10 (probe t4.py; test_text_tokenizer.py's rows)
    tok, start, limit = text.RegexTokenizer("\\s+", "\\s+", True)("a b  c")
    assert tok.tolist() == ["a", " ", "b", "  ", "c"] and start.tolist() == [0, 1, 2, 3, 5]
    assert limit.tolist() == [1, 2, 3, 5, 6] and start.dtype == np.uint32
    assert text.RegexTokenizer("\\s+", "\\s+")("  a b  ").tolist() == ["  ", "a", " ", "b", "  "]
    assert text.RegexTokenizer("\\s+")("   ").tolist() == [""]
    assert text.RegexTokenizer("x*")("abc").tolist() == ["a", "b", "c"]
    assert text.RegexTokenizer("b", "a")("abc").tolist() == ["a", "c"]
    _, start, limit = text.RegexTokenizer("é", "é", True)("aébé")
    assert start.tolist() == [0, 1, 3, 4] and limit.tolist() == [1, 3, 4, 6]
    got = text.RegexTokenizer(r"[\p{P}|\p{S}]+", r"[\p{P}|\p{S}]+")("12￥+36￥=?")
    assert got.tolist() == ["12", "￥+", "36", "￥=?"]
    with pytest.raises(RuntimeError, match="the input shape should be scalar and the input datatype should be string"):
        text.RegexTokenizer("\\s+")(np.array(["a b", "c"]))


# MindSpore 2.10 (probe t5.py): string, options -> tokens (, offsets)
@pytest.mark.parametrize("s, opts, want", [
    ("Ａｂ\u00adc\x01d\te  ﬁ", {}, ["Ａｂ", "c", "d", "e", "ﬁ"]),
    ("Ａｂ\u00adc\x01d\te  ﬁ", {"keep_whitespace": True}, ["Ａｂ", " ", "c", " ", "d", " ", "e", "  ", "ﬁ"]),
    ("Ａｂ\u00adc\x01d\te  ﬁ", {"lower_case": True, "keep_whitespace": True, "with_offsets": True},
     [["abc", " ", "d", " ", "e", "  ", "fi"], [0, 3, 4, 5, 6, 7, 9], [3, 4, 5, 6, 7, 9, 11]]),
    ("[CLS] Hello [unused12] WORLD [MASK]x", {}, ["[CLS]", "Hello", "[unused12]", "WORLD", "[MASK]", "x"]),
    ("明朝（1368—1644年）", {}, ["明", "朝", "（", "1368", "—", "1644", "年", "）"]),
])
def test_basic_tokenizer(s, opts, want):
    got = text.BasicTokenizer(**opts)(s)
    assert ([a.tolist() for a in got] if isinstance(got, tuple) else got.tolist()) == want


def test_basic_tokenizer_refuses_what_mindspore_garbles():
    # MindSpore 2.10: ['[CLS]', '[', 'cls', ']', 'hello', ..., 'hello', ...] (the string's parts twice)
    with pytest.raises(RuntimeError, match="preserve_unused_token"):
        text.BasicTokenizer(lower_case=True)("[CLS] Hello")


def test_python_tokenizer():  # MindSpore 2.10 (probe t4.py; test_eager_text.py's row)
    assert text.PythonTokenizer(str.split)(np.array("Welcome to Beijing !".encode())).tolist() == \
        ["Welcome", "to", "Beijing", "!"]
    with pytest.raises(TypeError, match="input should be a NumPy array. Got <class 'str'>."):
        text.PythonTokenizer(str.split)("a b")
    with pytest.raises(TypeError, match="tokenizer is not a callable Python function."):
        text.PythonTokenizer(3)
    d = ds.NumpySlicesDataset(["a b", "c"], column_names=["t"], shuffle=False).map(text.PythonTokenizer(str.split))
    assert [r[0].tolist() for r in d.create_tuple_iterator(output_numpy=True)] == [["a", "b"], ["c"]]


def test_vocab_from_file(tmp_path):  # MindSpore 2.10 (probe t9.py, t10.py)
    v1 = tmp_path / "v1.txt"
    v1.write_bytes(b"a,1\nb c,2\n\n a\nd\r\ne,f,g\nd\n")
    assert text.Vocab.from_file(str(v1), ",").vocab() == {"a": 0, "b c": 1, "": 2, " a": 3, "d\r": 4, "e": 5, "d": 6}
    assert text.Vocab.from_file(str(v1)).vocab() == \
        {"a,1": 0, "b c,2": 1, "": 2, " a": 3, "d\r": 4, "e,f,g": 5, "d": 6}
    v3 = tmp_path / "v3.txt"
    v3.write_text("ax1\nb,2\n")
    assert text.Vocab.from_file(str(v3), ",x").vocab() == {"a": 0, "b": 1}  # (any character of delimiter)
    v4 = tmp_path / "v4.txt"
    v4.write_text("x\ny\nx\nz\n")
    assert text.Vocab.from_file(str(v4), vocab_size=2, special_tokens=["<p>"], special_first=False).vocab() == \
        {"x": 0, "y": 1, "<p>": 2}
    assert text.Vocab.from_file(str(v4), vocab_size=1, special_tokens=["z"]).vocab() == {"z": 0, "x": 1}
    with pytest.raises(RuntimeError, match="from_file: word_list contains duplicate word:x"):
        text.Vocab.from_file(str(v4))
    with pytest.raises(RuntimeError, match="from_file: special_tokens and word_list contain duplicate word:x"):
        text.Vocab.from_file(str(v4), vocab_size=2, special_tokens=["x"])
    with pytest.raises(ValueError, match="Input vocab_size must be greater than 0."):
        text.Vocab.from_file(str(v4), vocab_size=0)
    with pytest.raises(ValueError, match="special_tokens contains duplicate word: s."):
        text.Vocab.from_file(str(v4), special_tokens=["s", "s"])
    with pytest.raises(RuntimeError, match="Get real path failed, path="):
        text.Vocab.from_file(str(tmp_path / "nope.txt"))


_GL_SPEC = ((np.arange(51 * 4).reshape(51, 4) % 7 + 1) / 7).astype(np.float32)


# MindSpore 2.10 (/work/ms_suite_dataset3/probe/ms_gl3.py): GriffinLim(n_fft=100, n_iter=4, rand_init=False, ...)
# of _GL_SPEC, samples 0, 10, 50, 80, -1. The momentum rows tell MindSpore's step from torchaudio's (3e-3 apart here).
@pytest.mark.parametrize("kw, n, want", [
    ({"momentum": 0.99}, 150, [-0.05185324, 0.07840677, -0.06073204, -0.0479795, 0.04395613]),
    ({"momentum": 0.0}, 150, [-0.05185324, 0.07839704, -0.05309721, -0.03429502, 0.04398303]),
    ({"momentum": 0.5, "power": 1.2, "win_length": 80, "hop_length": 30, "window_type": "HAMMING"}, 90,
     [-0.01811783, 0.1550589, -0.05131062, -0.18598, -0.02405549]),
])
def test_griffin_lim_values(kw, n, want):
    import gradserve.dataset.audio as audio
    kw = dict(kw, **({"window_type": audio.WindowType.HAMMING} if "window_type" in kw else {}))
    out = audio.GriffinLim(n_fft=100, n_iter=4, rand_init=False, **kw)(_GL_SPEC)
    assert out.shape == (n,) and out.dtype == np.float32
    np.testing.assert_allclose(out[[0, 10, 50, 80, -1]], want, atol=2e-6)


def test_griffin_lim_checks_and_refusals():  # MindSpore 2.10's texts (test_griffinlim.py's, probe/ms_gl2.py)
    import gradserve.dataset.audio as audio
    with pytest.raises(ValueError, match=r"Input win_length should be no more than n_fft, but got win_length: 400 "
                                         r"and n_fft: 300."):
        audio.GriffinLim(n_fft=300, win_length=400)
    with pytest.raises(ValueError, match=r"Input momentum is not within the required interval of \[0, 16777216\]."):
        audio.GriffinLim(momentum=-10)
    with pytest.raises(TypeError, match=r"Argument window_type with value type is not of type \[<enum 'WindowType'>\]"):
        audio.GriffinLim(window_type="type")
    with pytest.raises(RuntimeError, match="GriffinLim: the frequency of the input should equal to n_fft / 2 \\+ 1"):
        audio.GriffinLim(n_fft=300, rand_init=False)(_GL_SPEC)
    with pytest.raises(RuntimeError, match="momentum equal to or greater than 1 can be unstable, but got: 1.000000"):
        audio.GriffinLim(n_fft=100, momentum=1, rand_init=False)
    with pytest.raises(RuntimeError, match="refuses length"):  # MindSpore 2.10: NaNs (length 300 of 500)
        audio.GriffinLim(n_fft=100, length=100, rand_init=False)(_GL_SPEC)
    with pytest.raises(RuntimeError, match="rand_init=False"):  # MindSpore's random first phases: its own
        audio.GriffinLim(n_fft=100)(_GL_SPEC)
