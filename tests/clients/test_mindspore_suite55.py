"""Sample seed 55 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 55").

What the sample's misses asked for: ops.stft / ops.STFT of complex inputs and windows (st/ops/cpu/test_stft_op.py)
and the result dtype of a real input with a wider window; ops.operations._sequence_ops.SequenceStack
(test_dynamic_sequence_stack.py); dataset.LibriTTSDataset / LJSpeechDataset with SequentialSampler /
DistributedSampler / PKSampler's argument checks (test_datasets_libri_tts.py, test_datasets_lj_speech.py). Expected
values and texts: MindSpore 2.10 CPU runs of the same programs (/work/ms_suite55/probe/p1.py .. p8.py); MindSpore's
STFT values are torch.stft's, so the cases beyond the literal ones are checked against torch.stft (and its autograd
for a gradient)."""
import wave

import numpy as np
import pytest
import torch

import gradserve.dataset as ds
import gradserve.dataset.audio as audio
from gradserve import Tensor, grad, mutable, nn, ops
from gradserve.ops.operations._sequence_ops import SequenceStack

_RNG = np.random.default_rng(0)
_X = (_RNG.standard_normal((2, 9)) + 1j * _RNG.standard_normal((2, 9))).astype(np.complex64)
_W = _RNG.standard_normal(4).astype(np.float32)
_WC = (_RNG.standard_normal(4) + 1j * _RNG.standard_normal(4)).astype(np.complex64)


def _torch(x, n_fft, **kw):
    window = kw.pop("window", None)
    out = torch.stft(torch.from_numpy(x), n_fft, window=None if window is None else torch.from_numpy(window),
                     return_complex=True, **kw)
    return out.numpy()


# MindSpore 2.10 (test_stft_op.py's own expectations): x = 1j, window = 1j -> -4 in bin 0
@pytest.mark.parametrize("xt", [np.complex64, np.complex128])
@pytest.mark.parametrize("wt", [np.complex64, np.complex128])
def test_stft_complex_input_and_window(xt, wt, on_real_server):
    x = Tensor(np.full((2, 6), 1j).astype(xt))
    out = ops.stft(x, 4, window=Tensor(np.full(4, 1j).astype(wt)), center=False, onesided=False,
                   return_complex=True)
    expect = np.zeros((2, 4, 3), np.complex128)
    expect[:, 0, :] = -4
    assert out.shape == (2, 4, 3)
    np.testing.assert_allclose(out.asnumpy(), expect, atol=1e-5)
    # MindSpore 2.10: the promoted dtype of input and window
    assert str(out.dtype) == ("Complex64" if xt == wt == np.complex64 else "Complex128")


# MindSpore 2.10: 1 + 1j with a real window of ones, normalized -> (2 + 2j) in bin 0; complex64 x float64 is complex128
def test_stft_complex_input_real_window_normalized(on_real_server):
    x = Tensor(np.full((2, 6), 1 + 1j).astype(np.complex64))
    out = ops.stft(x, 4, window=Tensor(np.ones(4, np.float64)), center=False, onesided=False, return_complex=True,
                   normalized=True)
    expect = np.zeros((2, 4, 3), np.complex128)
    expect[:, 0, :] = 2 + 2j
    np.testing.assert_allclose(out.asnumpy(), expect, atol=1e-6)
    assert str(out.dtype) == "Complex128"


# MindSpore 2.10 (probe/p1.py): these values are torch.stft's to 5 digits
@pytest.mark.parametrize("kw", [
    dict(center=False, onesided=False),
    dict(hop_length=2, window=_W, center=False, onesided=False),
    dict(hop_length=2, window=_WC, center=False, onesided=False, normalized=True),
    dict(win_length=3, window=_WC[:3], center=False, onesided=False),
    dict(center=True, onesided=False),
])
def test_stft_complex_matches_torch(kw, on_real_server):
    gs_kw = {k: Tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    out = ops.stft(Tensor(_X), 4, return_complex=True, **gs_kw)
    np.testing.assert_allclose(out.asnumpy(), _torch(_X, 4, **kw), rtol=1e-5, atol=1e-5)


def test_stft_complex_defaults(on_real_server):
    # MindSpore 2.10 (probe/p1.py): a complex input defaults to two-sided and complex: (2, 4, 10) complex64 for
    # n_fft 4 over 9 samples centred with REFLECT
    out = ops.stft(Tensor(_X), 4)
    assert out.shape == (2, 4, 10) and str(out.dtype) == "Complex64"
    np.testing.assert_allclose(out.asnumpy()[0, 0, :2], [0.50194 + 2.36812j] * 2, atol=1e-5)
    np.testing.assert_allclose(out.asnumpy(), _torch(_X, 4, onesided=False), rtol=1e-5, atol=1e-5)
    # a real input with a complex window: two-sided and complex too (MindSpore 2.10: (2, 4, 3) complex64)
    xr = _X.real.copy()
    out = ops.stft(Tensor(xr), 4, hop_length=2, window=Tensor(_WC), center=False)
    assert out.shape == (2, 4, 3) and str(out.dtype) == "Complex64"
    np.testing.assert_allclose(out.asnumpy(), _torch(xr, 4, hop_length=2, window=_WC, center=False, onesided=False),
                               rtol=1e-5, atol=1e-5)
    # return_complex=False: the (..., 2) real form of the promoted dtype (MindSpore 2.10: complex64 x complex128
    # window -> float64)
    out = ops.stft(Tensor(_X), 4, window=Tensor(_WC.astype(np.complex128)), center=False, return_complex=False)
    assert out.shape == (2, 4, 6, 2) and str(out.dtype) == "Float64"
    ref = _torch(_X.astype(np.complex128), 4, window=_WC.astype(np.complex128), center=False, onesided=False)
    np.testing.assert_allclose(out.asnumpy(), np.stack([ref.real, ref.imag], -1), rtol=1e-5, atol=1e-5)


def test_stft_real_input_wider_window_is_float64(on_real_server):
    # MindSpore 2.10 (probe/p2.py): float32 x with a float64 window gives Float64 (was float32: the window cast down)
    x = _RNG.standard_normal(9)
    w = _RNG.standard_normal(4)
    out = ops.stft(Tensor(x.astype(np.float32)), 4, window=Tensor(w), center=False)
    assert str(out.dtype) == "Float64" and out.shape == (3, 6, 2)
    ref = _torch(x.astype(np.float32).astype(np.float64), 4, window=w, center=False)
    np.testing.assert_allclose(out.asnumpy(), np.stack([ref.real, ref.imag], -1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x, window, name", [
    (_X, None, "input"),
    (_X.real.copy(), _WC, "window"),
])
def test_stft_onesided_complex_refused(x, window, name, on_real_server):
    # MindSpore 2.10: ValueError "For onesided should be false if input is complex,but got 1" (window: "... if window
    # is complex ...")
    with pytest.raises(ValueError, match=f"For onesided should be false if {name} is complex,but got 1"):
        ops.stft(Tensor(x), 4, window=None if window is None else Tensor(window), center=False, onesided=True,
                 return_complex=True)


def test_stft_primitive_complex_and_window_none(on_real_server):
    xr = _RNG.standard_normal(9)
    x = (xr + 1j * xr[::-1]).astype(np.complex64)
    w = (_W + 1j * _W).astype(np.complex64)
    out = ops.STFT(4, 2, 4, False, False, True)(Tensor(x), Tensor(w))
    np.testing.assert_allclose(out.asnumpy(), _torch(x, 4, hop_length=2, window=w, center=False, onesided=False),
                               rtol=1e-5, atol=1e-5)
    # MindSpore 2.10: the primitive needs its window
    with pytest.raises(TypeError, match=r"For Primitive\[STFT\], the type of input argument\[window\] must be Tensor "
                                        r"but got None."):
        ops.STFT(4, 2, 4, False, True, True)(Tensor(x), None)


def test_stft_complex_window_gradient_matches_torch(on_real_server):
    # MindSpore 2.10 has no STFT bprop; gradserve differentiates the math: torch autograd as the reference for a real
    # input and a real loss (no conjugation convention involved)
    x = _RNG.standard_normal((2, 9))

    def loss(t):
        out = ops.stft(t, 4, hop_length=2, window=Tensor(_WC.astype(np.complex128)), center=False,
                       return_complex=False)
        return (out * out).sum()

    got = grad(loss)(Tensor(x)).asnumpy()
    tx = torch.from_numpy(x).requires_grad_()
    ref = torch.stft(tx, 4, hop_length=2, window=torch.from_numpy(_WC.astype(np.complex128)), center=False,
                     onesided=False, return_complex=True)
    (ref.abs() ** 2).sum().backward()
    np.testing.assert_allclose(got, tx.grad.numpy(), rtol=1e-9, atol=1e-9)


class _StackNet(nn.Cell):
    def __init__(self, axis=0):
        super().__init__()
        self.op = SequenceStack(axis=axis)

    def construct(self, seq):
        return self.op(seq)


_A = np.arange(6).reshape(2, 3).astype(np.float32)
_B = np.arange(6, 12).reshape(2, 3).astype(np.float32)


# MindSpore 2.10 GRAPH_MODE (probe/p3.py g): axis 0 and -1 of a mutable tuple, axis 1 of a tuple, a list, one element
@pytest.mark.parametrize("axis, seq, expect", [
    (0, "mutable", [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]),
    (-1, "mutable", [[[0, 6], [1, 7], [2, 8]], [[3, 9], [4, 10], [5, 11]]]),
    (1, "tuple", [[[0, 1, 2], [6, 7, 8]], [[3, 4, 5], [9, 10, 11]]]),
    (0, "list", [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]),
    (0, "one", [[[0, 1, 2], [3, 4, 5]]]),
])
def test_sequence_stack_values(axis, seq, expect, on_real_server, graph_mode):
    a, b = Tensor(_A), Tensor(_B)
    arg = {"mutable": lambda: mutable((a, b), True), "tuple": lambda: (a, b), "list": lambda: [a, b],
           "one": lambda: (a,)}[seq]()
    out = _StackNet(axis)(arg)
    assert str(out.dtype) == "Float32"
    np.testing.assert_array_equal(out.asnumpy(), np.array(expect, np.float32))


@pytest.mark.parametrize("make, exc, text", [
    (lambda: _StackNet(3)((Tensor(_A), Tensor(_B))), ValueError,
     "For primitive[SequenceStack], the Stack axis must be in [-3,2], but got 3."),
    (lambda: _StackNet(-4)((Tensor(_A), Tensor(_B))), ValueError,
     "For primitive[SequenceStack], the Stack axis must be in [-3,2], but got -4."),
    (lambda: _StackNet(0)((Tensor(_A), Tensor(np.ones((3, 2), np.float32)))), ValueError,
     "All input shape must be the same! [const vector]{3, 2} And [const vector]{2, 3}"),
    (lambda: _StackNet(0)(()), ValueError,
     "For primitive[SequenceStack], the stack element num must be greater than or equal to 1, but got 0."),
    (lambda: SequenceStack(1.0), TypeError, "For 'SequenceStack', the type of 'axis' should be 'int', but got type "
                                            "'float'."),
    (lambda: _StackNet(0)(Tensor(_A)), TypeError, "For SequenceStack, input[0] must be sequence, but got"),
])
def test_sequence_stack_refusals(make, exc, text, on_real_server):
    # MindSpore 2.10 (probe/p3.py, p4.py): its classes and texts
    with pytest.raises(exc) as info:
        make()
    assert text in str(info.value)


def test_sequence_stack_gradient(on_real_server):
    # MindSpore 2.10 has no SequenceStack bprop (RuntimeError); gradserve differentiates it as ops.stack: the
    # gradient of sum(stack((a, b), 1) * w) is w[:, 0] for a and w[:, 1] for b
    w = np.arange(12).reshape(2, 2, 3).astype(np.float32)
    ga, gb = grad(lambda a, b: (SequenceStack(1)((a, b)) * Tensor(w)).sum(), grad_position=(0, 1))(
        Tensor(_A), Tensor(_B))
    np.testing.assert_array_equal(ga.asnumpy(), w[:, 0])
    np.testing.assert_array_equal(gb.asnumpy(), w[:, 1])


# -- LibriTTSDataset / LJSpeechDataset and their samplers (test_datasets_libri_tts.py, test_datasets_lj_speech.py) ----
def _wav(path, samples, rate, channels=1):
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(np.asarray(samples, "<i2").tobytes())


@pytest.fixture
def speech(tmp_path):
    """LJ Speech as /work/ms_suite55/probe/gen.py writes it (MindSpore 2.10 read it in probe/p6.py) and a LibriTTS
    folder of two usages (MindSpore 2.10 read the same in probe/p8.py)."""
    lj = tmp_path / "lj"
    _wav(lj / "wavs/a1.wav", [0, 1, -1, 32767, -32768, 100], 22050)
    _wav(lj / "wavs/b2.wav", [5, -5, 7, -7], 16000, channels=2)
    (lj / "metadata.csv").write_text("a1|Text one, 1st.|Text one, first.\nb2|two|Two\n")
    lt = tmp_path / "libri"
    for usage, spk, ch, utts in [("train-clean-100", 19, 198, ["19_198_000000_000000", "19_198_000001_000000"]),
                                 ("dev-clean", 84, 121, ["84_121_000000_000003"])]:
        d = lt / usage / str(spk) / str(ch)
        d.mkdir(parents=True)
        (d / f"{spk}_{ch}.trans.tsv").write_text("".join(f"{u}\torig {u}\tNorm {u}\n" for u in utts))
        for k, u in enumerate(utts):
            _wav(d / f"{u}.wav", [k, -k, 1000 * (k + 1)], 24000)
    return str(lj), str(lt)


def _rows(data):
    return list(data.create_dict_iterator(num_epochs=1, output_numpy=True))


def test_lj_speech_rows(speech):
    # MindSpore 2.10 (probe/p6.py): samples / 32767 as float32 (1, n), a stereo file's samples interleaved in one row;
    # the sample rate int32
    rows = _rows(ds.LJSpeechDataset(speech[0], shuffle=False))
    assert list(rows[0]) == ["waveform", "sample_rate", "transcription", "normalized_transcription"]
    np.testing.assert_array_equal(rows[0]["waveform"], np.array(
        [[0.0, 3.0518509447574615e-05, -3.0518509447574615e-05, 1.0, -1.000030517578125, 0.0030518509447574615]],
        np.float32))
    np.testing.assert_array_equal(rows[1]["waveform"], np.array(
        [[0.00015259254723787308, -0.00015259254723787308, 0.0002136295661330223, -0.0002136295661330223]],
        np.float32))
    assert rows[0]["waveform"].dtype == np.float32 and rows[0]["sample_rate"].dtype == np.int32
    assert [int(r["sample_rate"]) for r in rows] == [22050, 16000]
    assert [str(r["transcription"]) for r in rows] == ["Text one, 1st.", "two"]
    assert [str(r["normalized_transcription"]) for r in rows] == ["Text one, first.", "Two"]


def test_libri_tts_rows_usages_and_samplers(speech):
    lt = speech[1]
    rows = _rows(ds.LibriTTSDataset(lt, shuffle=False))  # MindSpore 2.10: dev-clean's rows first under "all"
    assert [str(r["utterance_id"]) for r in rows] == ["84_121_000000_000003", "19_198_000000_000000",
                                                     "19_198_000001_000000"]
    assert [(int(r["speaker_id"]), int(r["chapter_id"])) for r in rows] == [(84, 121), (19, 198), (19, 198)]
    assert rows[0]["speaker_id"].dtype == np.uint32 and rows[0]["sample_rate"].dtype == np.uint32
    assert [str(r["original_text"]) for r in rows][1] == "orig 19_198_000000_000000"
    assert [str(r["normalized_text"]) for r in rows][1] == "Norm 19_198_000000_000000"
    np.testing.assert_array_equal(rows[2]["waveform"], np.array(
        [[3.0518509447574615e-05, -3.0518509447574615e-05, 0.06103701889514923]], np.float32))
    train = lambda **kw: [str(r["utterance_id"]) for r in _rows(ds.LibriTTSDataset(lt, **kw))]  # noqa: E731
    # MindSpore 2.10: a shard of 3 rows over 2 is 2 rows, every 2nd from the shard, wrapping (shard 1: rows 1, 0)
    assert train(num_shards=2, shard_id=1, shuffle=False) == ["19_198_000000_000000", "84_121_000000_000003"]
    assert train(sampler=ds.DistributedSampler(2, 1, shuffle=False)) == ["19_198_000000_000000",
                                                                         "84_121_000000_000003"]
    assert train(sampler=ds.SequentialSampler(1, 1)) == ["19_198_000000_000000"]
    assert train(usage="dev-clean", shuffle=False) == ["84_121_000000_000003"]
    assert ds.LibriTTSDataset(lt, usage="train-clean-100", num_samples=1).get_dataset_size() == 1
    # MindSpore 2.10: a usage with no rows fails when read
    with pytest.raises(RuntimeError, match="Invalid data, no valid data matching the dataset API LibriTTSDataset"):
        train(usage="test-clean")


@pytest.mark.parametrize("kw, exc, text", [  # MindSpore 2.10's classes and texts (probe/p5.py)
    (dict(shuffle=False, sampler=ds.PKSampler(3)), RuntimeError,
     "sampler and shuffle cannot be specified at the same time."),
    (dict(sampler=ds.PKSampler(3), num_shards=2, shard_id=0), RuntimeError,
     "sampler and sharding cannot be specified at the same time."),
    (dict(num_shards=10), RuntimeError, "num_shards is specified and currently requires shard_id as well."),
    (dict(shard_id=0), RuntimeError, "shard_id is specified but num_shards is not."),
    (dict(num_shards=5, shard_id=-1), ValueError, "Input shard_id is not within the required interval of [0, 4]."),
    (dict(num_shards=2, shard_id=5), ValueError, "Input shard_id is not within the required interval of [0, 1]."),
    (dict(num_parallel_workers=0), ValueError, "num_parallel_workers exceeds the boundary between 1 and"),
    (dict(num_shards=2, shard_id="0"), TypeError,
     "Argument shard_id with value 0 is not of type [<class 'int'>], but got <class 'str'>."),
    (dict(num_samples=-1), ValueError, "num_samples exceeds the boundary between 0 and 9223372036854775807(INT64_MAX)!"),
    (dict(usage="invalid"), ValueError, "Input usage is not within the valid set of ['dev-clean', 'dev-other', "
     "'test-clean', 'test-other', 'train-clean-100', 'train-clean-360', 'train-other-500', 'all']."),
    (dict(usage=["list"]), TypeError,
     "Argument usage with value ['list'] is not of type [<class 'str'>], but got <class 'list'>."),
])
def test_libri_tts_argument_checks(speech, kw, exc, text):
    with pytest.raises(exc) as info:
        ds.LibriTTSDataset(speech[1], **kw)
    assert text in str(info.value)


def test_speech_folder_missing_and_failing_map(speech, tmp_path):
    # MindSpore 2.10: its ValueError for a missing folder; a map's failing function names the row's file
    with pytest.raises(ValueError, match="does not exist or is not a directory or permission denied!"):
        ds.LJSpeechDataset(str(tmp_path / "nowhere"))

    def broken(item):
        raise Exception("Error occur!")

    data = ds.LJSpeechDataset(speech[0], shuffle=False).map(operations=broken, input_columns=["sample_rate"])
    with pytest.raises(RuntimeError, match="The corresponding data file is: .*a1.wav"):
        _rows(data)


# -- audio.BandBiquad (test_datasets_lj_speech.py's pipeline) -----------------------------------------------------------
_BQ_X = np.array([[0.1, -0.4, 0.9, 0.3, -0.2, 0.5, 0.0, 0.7]], np.float32)


@pytest.mark.parametrize("args, expect", [  # MindSpore 2.10 (probe/p9.py)
    ((8000, 200.0), [0.0038016405887901783, -0.008527716621756554, 0.016188742592930794, 0.04667459800839424,
                     0.061432670801877975, 0.08955936133861542, 0.10814718902111053, 0.14489126205444336]),
    ((44100, 3000.0, 0.9), [0.017604714259505272, -0.04584582895040512, 0.08350086212158203, 0.19787953794002533,
                            0.18906286358833313, 0.2288532555103302, 0.20185333490371704, 0.2626522481441498]),
    ((16000, 1000.0, 0.5, True), [0.0540042482316494, -0.15351897478103638, 0.2837512195110321, 0.5603874325752258,
                                  0.4111434817314148, 0.49032723903656006, 0.37998974323272705, 0.5942252278327942]),
])
def test_band_biquad_values(args, expect):
    out = audio.BandBiquad(*args)(_BQ_X)
    assert out.dtype == np.float32 and out.shape == (1, 8)
    np.testing.assert_allclose(out[0], expect, rtol=5e-7, atol=1e-9)


def test_band_biquad_clamps_at_the_end_and_keeps_dtype():
    # MindSpore 2.10 (probe/p10.py): clipped to [-1, 1] after the recursion (the 1.0 does not feed back clipped)
    x = np.array([2.0, 2.0, -3.0, 0.5, 0.1, 0.1, 0.0, 0.0])
    np.testing.assert_allclose(audio.BandBiquad(8000, 1000.0, 1.0)(x), [
        0.8213857931810248, 1.0, -0.23463132739979337, -0.7086897557857966, -0.4796707038095082,
        -0.060677249395706734, 0.1649556819424801, 0.17377349848850376], rtol=1e-9)
    assert audio.BandBiquad(8000, 200.0)(np.array([0.1, 0.5], np.float16)).dtype == np.float16
    assert audio.BandBiquad(8000, 200.0)(np.ones((2, 1, 3), np.float32)).shape == (2, 1, 3)


@pytest.mark.parametrize("make, exc, text", [  # MindSpore 2.10's classes and texts (probe/p9.py, p10.py)
    (lambda: audio.BandBiquad(0, 200.0), ValueError,
     "Input sample_rate is not within the required interval of [-2147483648, 0) and (0, 2147483647]."),
    (lambda: audio.BandBiquad(8000, 200.0, 0), ValueError, "Input Q is not within the required interval of (0, 1]."),
    (lambda: audio.BandBiquad(8000, 200.0, 2), ValueError, "Input Q is not within the required interval of (0, 1]."),
    (lambda: audio.BandBiquad(8000, "a"), TypeError, "Argument central_freq with value a is not of type "
                                                     "[<class 'float'>, <class 'int'>], but got <class 'str'>."),
    (lambda: audio.BandBiquad(8000.0, 200.0), TypeError,
     "Argument sample_rate with value 8000.0 is not of type [<class 'int'>], but got <class 'float'>."),
    (lambda: audio.BandBiquad(8000, 200.0, 0.7, 1), TypeError,
     "Argument noise with value 1 is not of type [<class 'bool'>], but got <class 'int'>."),
    (lambda: audio.BandBiquad(8000, 200.0)(np.array([1, 2, 3])), RuntimeError,
     "BandBiquad: the data type of input tensor does not match the requirement of operator. Expecting tensor in "
     "type of [float, double]. But got type int64."),
    (lambda: audio.BandBiquad(8000, 200.0)(np.array(["a"])), RuntimeError, "But got type string."),
    (lambda: audio.BandBiquad(8000, 200.0)(np.array(0.5, np.float32)), RuntimeError,
     "Expecting tensor in shape of <..., time>. But got tensor with dimension 0."),
])
def test_band_biquad_refusals(make, exc, text):
    with pytest.raises(exc) as info:
        make()
    assert text in str(info.value)


def test_band_biquad_in_a_speech_pipeline(speech):
    # MindSpore 2.10 (probe/p11.py, the same folder): the LJ rows through BandBiquad(8000, 200.0)
    data = ds.LJSpeechDataset(speech[0], shuffle=False).map(operations=audio.BandBiquad(8000, 200.0),
                                                           input_columns=["waveform"])
    rows = _rows(data)
    assert len(rows) == 2 and rows[0]["waveform"].dtype == np.float32
    np.testing.assert_allclose(rows[0]["waveform"], [[0.0, 1.1602039649005746e-06, 8.78080072652665e-07,
                                                      0.038017019629478455, 0.02877127192914486,
                                                      0.02021932415664196]], rtol=5e-7, atol=1e-12)
    np.testing.assert_allclose(rows[1]["waveform"], [[5.801020051876549e-06, 4.390401045384351e-06,
                                                      1.1189327778993174e-05, 8.020633686101064e-06]],
                               rtol=5e-7, atol=1e-12)
