"""Sample seed 62 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 62").

What the sample asked for: `mindspore.dataset.TedliumDataset` (ut/python/dataset/test_datasets_tedlium.py) and
`nn.probability.distribution.Categorical`'s construction (ut/python/nn/probability/distribution/test_categorical.py).
Expected values and texts: MindSpore 2.10 CPU runs of the same calls, TED-LIUM on folders built as the `ted` fixture
builds them (/work/ms_suite62/probe/mk.py, p2.py - p8.py; their outputs p*.ms.txt)."""
import os

import numpy as np
import pytest

import gradserve.dataset as ds
import gradserve.nn.probability.distribution as msd
from gradserve import Tensor, dtype


def _sph(path, samples, rate=16000):
    head = (b"NIST_1A\n   1024\nsample_count -i %d\nsample_n_bytes -i 2\nchannel_count -i 1\n"
            b"sample_byte_format -s2 01\nsample_rate -i %d\nsample_coding -s3 pcm\nend_head\n" % (len(samples), rate))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(head.ljust(1024, b" ") + np.asarray(samples, "<i2").tobytes())


def _stm(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))


@pytest.fixture
def ted(tmp_path):
    """release1/2 folders dev / test / train, release3 data/: talks zeta (8 kHz), alpha, mid and lone (16 kHz), random
    samples (MindSpore 2.10's waveforms are zeros all the same)."""
    rs = np.random.RandomState(0)
    for rel, usages in (("r12", ["train", "dev", "test"]), ("r3", ["data"])):
        for u in usages:
            base = tmp_path / rel / u
            for name, rate in (("zeta", 8000), ("alpha", 16000), ("mid", 16000)):
                _sph(str(base / "sph" / f"{name}.sph"), rs.randint(-32768, 32768, 3000), rate)
                _stm(str(base / "stm" / f"{name}.stm"), [
                    f"{name} 1 spk_{name} 0.0301 0.0507 <o,f0,male> {u} first line of {name}",
                    f"{name} 1 spk_{name} 0.00 0.01 <o,f1,female> second  words   here",
                    f"{name} 2 spk_{name} 0.1 0.15 <x> third"])
            _stm(str(base / "stm" / "lone.stm"), ["lone 1 lone 0.0 0.001 <a> only line"])
            _sph(str(base / "sph" / "lone.sph"), rs.randint(-32768, 32768, 100))
    return tmp_path


def _rows(data):
    out = []
    for r in data.create_tuple_iterator(num_epochs=1, output_numpy=True):
        assert r[0].dtype == np.float32 and r[1].dtype == np.int32
        assert not r[0].any()  # MindSpore 2.10: zeros
        out.append((r[0].shape, int(r[1]), *[str(x) for x in r[2:]]))
    return out


# MindSpore 2.10 (p2.py, release1 dev, shuffle=False): by line number, then file name; lengths
# floor(end * rate) - floor(start * rate) (0.0301 - 0.0507 s at 16 kHz: 330), the header's rate.
DEV = [((1, 330), 16000, "dev first line of alpha", "alpha", "spk_alpha", "<o,f0,male>"),
       ((1, 16), 16000, "only line", "lone", "lone", "<a>"),
       ((1, 330), 16000, "dev first line of mid", "mid", "spk_mid", "<o,f0,male>"),
       ((1, 165), 8000, "dev first line of zeta", "zeta", "spk_zeta", "<o,f0,male>"),
       ((1, 160), 16000, "second  words   here", "alpha", "spk_alpha", "<o,f1,female>"),
       ((1, 160), 16000, "second  words   here", "mid", "spk_mid", "<o,f1,female>"),
       ((1, 80), 8000, "second  words   here", "zeta", "spk_zeta", "<o,f1,female>"),
       ((1, 800), 16000, "third", "alpha", "spk_alpha", "<x>"),
       ((1, 800), 16000, "third", "mid", "spk_mid", "<x>"),
       ((1, 400), 8000, "third", "zeta", "spk_zeta", "<x>")]


def test_release1_dev_rows(ted):
    data = ds.TedliumDataset(str(ted / "r12"), "release1", "dev", shuffle=False)
    assert data.get_col_names() == ["waveform", "sample_rate", "transcript", "talk_id", "speaker_id", "identifier"]
    assert data.get_dataset_size() == 10
    assert _rows(data) == DEV


def test_release3_rows(ted):
    rows = _rows(ds.TedliumDataset(str(ted / "r3"), "release3", shuffle=False))
    assert rows == [(r[0], r[1], r[2].replace("dev ", "data "), *r[3:]) for r in DEV]


def test_all_usages_order(ted):
    # MindSpore 2.10 (p2.py, release2 all): each line's three usages together, dev, test, train
    rows = _rows(ds.TedliumDataset(str(ted / "r12"), "release2", "all", shuffle=False))
    assert len(rows) == 30
    assert [r[2] for r in rows[:4]] == ["dev first line of alpha", "test first line of alpha",
                                        "train first line of alpha", "only line"]
    assert [r[3] for r in rows[12:16]] == ["alpha", "alpha", "alpha", "mid"]


def test_zero_waveform_whatever_the_samples(tmp_path):
    # MindSpore 2.10 (p3.py): constant 1000 samples, 0.0 - 0.01 s and 12.4 - 12.6 s (past the file's end): zeros of
    # 160 and 3200; 1.0 - 1.001 s: 15 samples
    _sph(str(tmp_path / "data" / "sph" / "k.sph"), np.full(200000, 1000))
    _stm(str(tmp_path / "data" / "stm" / "k.stm"), ["k 1 k 0.0 0.01 <a> a", "k 1 k 12.4 12.6 <a> c",
                                                     "k 1 k 1.0 1.001 <a> d"])
    rows = _rows(ds.TedliumDataset(str(tmp_path), "release3", shuffle=False))
    assert [r[0] for r in rows] == [(1, 160), (1, 3200), (1, 15)]


def test_rate_and_sampler(tmp_path):
    # MindSpore 2.10 (p4.py): a 22050 Hz header, 0.0 - 0.01 s: (1, 220); the transcript keeps its inner spaces
    _sph(str(tmp_path / "data" / "sph" / "a.sph"), np.ones(100), rate=22050)
    _stm(str(tmp_path / "data" / "stm" / "a.stm"), ["a 1 a 0.0 0.01 <a> x  y "])
    assert _rows(ds.TedliumDataset(str(tmp_path), "release3", shuffle=False)) == [
        ((1, 220), 22050, "x  y ", "a", "a", "<a>")]
    with pytest.raises(RuntimeError, match="sampler and shuffle cannot be specified at the same time"):
        ds.TedliumDataset(str(tmp_path), "release3", shuffle=False, sampler=ds.SequentialSampler(1, 5))


def test_errors(ted, tmp_path):
    # MindSpore 2.10 (p1.py, p4.py): texts and classes
    with pytest.raises(ValueError, match=r"Input usage is not within the valid set of \['all'\]"):
        ds.TedliumDataset(str(ted / "r3"), "release3", "train")
    with pytest.raises(ValueError, match=r"Input release is not within the valid set of \['release1', 'release2', "
                                         r"'release3'\]"):
        ds.TedliumDataset(str(ted / "r3"), "release4")
    with pytest.raises(RuntimeError, match="TedliumNode: extension .wav is not supported."):
        list(ds.TedliumDataset(str(ted / "r12"), "release1", "dev", ".wav"))
    with pytest.raises(RuntimeError, match="failed to open folder"):
        list(ds.TedliumDataset(str(ted / "r12"), "release3"))
    _stm(str(tmp_path / "data" / "stm" / "a.stm"), ["a 1 a 0.0 0.01 <a> x"])
    with pytest.raises(RuntimeError, match="Invalid file, failed to open file: .*a.sph"):
        list(ds.TedliumDataset(str(tmp_path), "release3"))
    os.makedirs(tmp_path / "e" / "train" / "stm")
    with pytest.raises(RuntimeError, match="Invalid data, no valid data matching the dataset API TedliumDataset"):
        list(ds.TedliumDataset(str(tmp_path / "e"), "release1", "train"))


# MindSpore 2.10 (p5.py - p8.py): Categorical's checks when made, in its order (name, seed, dtype, probs) and texts
_DTYPE_TEXT = ("For 'Categorical', the 'dtype' should be one of [mindspore.uint8, mindspore.uint16, mindspore.uint32, "
               "mindspore.uint64, mindspore.int8, mindspore.int16, mindspore.int32, mindspore.int64, mindspore.float16, "
               "mindspore.float32, mindspore.float64, mindspore.bfloat16, mindspore.float8_e4m3fn, mindspore.float8_e5m2, "
               "mindspore.hifloat8], but got ")


@pytest.mark.parametrize("kwargs, cls, text", [
    (dict(probs=[0.1], dtype=dtype.bool_), TypeError, _DTYPE_TEXT + "'mindspore.bool'."),
    (dict(probs=[0.5, 0.5], dtype="int32"), TypeError, _DTYPE_TEXT + "''int32''."),
    (dict(probs=[0.1], seed="seed", name=1.0), TypeError,
     "For 'Categorical', the type of 'name' should be 'str', but got type 'float'."),
    (dict(probs=[1.1], seed="seed"), TypeError, "For 'Categorical', the 'seed' must be int, but got 'str'"),
    (dict(probs=[0.5, 0.5], seed=True), TypeError,
     "For 'Categorical', the 'seed' must be int and must >= 0, but got 'True' with type 'bool'."),
    (dict(probs=[0.5, 0.5], seed=-1), ValueError,
     "For 'Categorical', the 'seed' must be int and must >= 0, but got '-1' with type 'int'."),
    (dict(probs=[1.1], dtype=dtype.bool_), TypeError, _DTYPE_TEXT + "'mindspore.bool'."),
    (dict(probs=[-0.1]), ValueError, "Probabilities must be greater than zero"),
    (dict(probs=[0.0, 1.0]), ValueError, "Probabilities must be greater than zero"),
    (dict(probs=[1.0]), ValueError, "Probabilities must be less than one"),
    (dict(probs=0.2), ValueError, "probs for Categorical distribution must have rank >= 1."),
    (dict(probs=Tensor(np.array(0.3, np.float32))), ValueError, "probs for Categorical distribution must have rank >= 1."),
    (dict(probs=(0.2, 0.8)), TypeError, "Unable to convert input of type <class 'tuple'> to a Tensor of type Float32"),
    (dict(probs=[]), ValueError, "Probabilities for each category should sum to one for Categorical distribution."),
])
def test_categorical_refusals(kwargs, cls, text):
    with pytest.raises(cls) as err:
        msd.Categorical(**kwargs)
    assert str(err.value) == text


def test_bernoulli_seed_texts():
    # MindSpore 2.10 (p6.py): the same seed checks as Categorical's
    with pytest.raises(TypeError, match=r"^For 'Bernoulli', the 'seed' must be int and must >= 0, but got 'True' with"):
        msd.Bernoulli(0.5, seed=True)
    with pytest.raises(ValueError, match=r"^For 'Bernoulli', the 'seed' must be int and must >= 0, but got '-1' with"):
        msd.Bernoulli(0.5, seed=-1)


# MindSpore 2.10 (p7.py, p8.py): each row's sum checked in the given values' precision: a list's float64 refuses a sum
# 1e-9 off one, a float32 Tensor / array takes 1.2e-6 off and refuses 1.4e-6 off
@pytest.mark.parametrize("probs, ok", [
    ([0.1, 0.9], True), ([[0.3, 0.7], [0.5, 0.5]], True), ([0.01] * 100, True), ([1 / 7] * 7, True),
    ([0.5, 0.500000001], False), ([0.5, 0.49999997], False), ([[0.1, 0.2], [0.4, 0.6]], False),
    ([[0.5, 0.7], [0.6, 0.6]], False),
    (np.array([0.5, 0.5000006], np.float32), True), (np.array([0.5, 0.5000012], np.float32), True),
    (np.array([0.5, 0.5000014], np.float32), False), (Tensor(np.array([0.5, 0.5000012], np.float32)), True),
    (Tensor(np.array([0.5, 0.500002], np.float32)), False), (Tensor(np.array([0.3, 0.3, 0.400001], np.float32)), True),
])
def test_categorical_sum_check(probs, ok):
    if ok:
        c = msd.Categorical(probs, dtype=dtype.int32)
        assert isinstance(c, msd.Distribution) and c.probs.dtype == dtype.float32
        return
    with pytest.raises(ValueError, match="Probabilities for each category should sum to one"):
        msd.Categorical(probs)


def test_categorical_made_and_methods_refused():
    c = msd.Categorical()  # MindSpore 2.10: name 'Categorical', dtype Int32, seed 0, probs None
    assert (c.name, c.dtype, c.seed, c.probs) == ("Categorical", dtype.int32, 0, None)
    c = msd.Categorical([0.7, 0.3], dtype=dtype.float32)
    np.testing.assert_array_equal(c.probs.asnumpy(), np.array([0.7, 0.3], np.float32))
    with pytest.raises(NotImplementedError, match="Categorical.prob is not implemented by gradserve"):
        c.prob(Tensor(np.array([0, 1], np.int32)))
    with pytest.raises(NotImplementedError, match="Categorical.entropy is not implemented by gradserve"):
        c("entropy")
