"""Sample seed 60 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 60").

What the sample asked for: dataset.audio Flanger, Phaser and ComputeDeltas with the enums Modulation, Interpolation
and BorderType (ut/python/dataset/test_flanger.py, test_phaser.py, test_compute_deltas.py). Expected values and
texts: MindSpore 2.10 CPU runs of the same calls (/work/ms_suite60/probe/p2.py prints these; p1.py compares both
sides on random waveforms: Phaser and ComputeDeltas to 1e-6, Flanger to 1e-5, int samples exactly)."""
import numpy as np
import pytest

from gradserve.dataset import audio
from gradserve.dataset.audio.utils import BorderType, Interpolation, Modulation

X = np.array([[0.3, -0.8, 0.5, 0.9, -0.2, 0.1, 0.7, -0.6], [0.1, 0.2, -0.4, 0.6, 0.8, -0.9, 0.3, 0.0]], np.float32)


def test_flanger_triangular_quadratic_with_feedback():
    # MindSpore 2.10: Flanger(100, 20.0, 5.0, -50.0, 80.0, 5.0, 40.0, TRIANGULAR, QUADRATIC)(X)
    op = audio.Flanger(100, 20.0, 5.0, -50.0, 80.0, 5.0, 40.0, Modulation.TRIANGULAR, Interpolation.QUADRATIC)
    y = op(X)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [[0.16666669, -0.44444448, 0.34444445, 0.3222222, 0.0, 0.22222224, 0.43333334,
                                    -0.3666667],
                                   [0.05555556, 0.11111112, -0.20000002, 0.3777778, 0.3555556, -0.37777776, 0.32222223,
                                    -0.15555556]], atol=1e-5)


def test_flanger_sinusoidal_linear_float64():
    # MindSpore 2.10: Flanger(200, 10.0, 10.0, 60.0, 30.0, 7.0, 0.0)(X as float64): float64 out
    y = audio.Flanger(200, 10.0, 10.0, 60.0, 30.0, 7.0, 0.0)(X.astype(np.float64))
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, [[0.23076924, -0.615384625, 0.409565291, 0.640614013, -0.152873528, 0.145592457,
                                    0.603681098, -0.511016215],
                                   [0.076923078, 0.153846156, -0.299375677, 0.477986156, 0.599314417, -0.687014879,
                                    0.296337511, 0.08371476]], atol=1e-5)


def test_flanger_keeps_an_int_dtype_and_its_rounding():
    # MindSpore 2.10: all zeros (its float32 gains: 1 * 1/1.71 + 1 * 0.71/1.71 falls below 1, then truncated)
    y = audio.Flanger(100)(np.array([[1, 1, -1, 1, 1, 1, -1, -1]], np.int32))
    assert y.dtype == np.int32
    assert y.tolist() == [[0] * 8]


def test_phaser_triangular_and_int_input():
    # MindSpore 2.10: Phaser(1000, 0.9, 0.8, 3.0, 0.7, 1.5, False)(X)
    y = audio.Phaser(1000, 0.9, 0.8, 3.0, 0.7, 1.5, False)(X)
    np.testing.assert_allclose(y, [[0.216, -0.42479998, 0.062640026, 0.691848, 0.34029362, 0.31020552, 0.72114384,
                                    0.07280064],
                                   [0.072, 0.1944, -0.15192, 0.32565603, 0.8039592, -0.08522854, 0.15634003,
                                    0.10943802]], atol=1e-6)
    # an int16 waveform gives float32 (MindSpore 2.10)
    z = audio.Phaser(2000, 0.5, 0.9, 1.0, 0.5, 2.0)(np.array([1, -1, 1, 0, 1, 1], np.int16))
    assert z.dtype == np.float32
    np.testing.assert_allclose(z, [0.45, -0.225, 0.33749998, 0.16874999, 0.534375, 0.71718746], atol=1e-6)


@pytest.mark.parametrize("win, mode, expected", [
    (4, BorderType.REFLECT, [[0.0, 0.75, 0.625, 0.5, 0.0], [0.0, -1.5, 2.0, 1.25, 0.0]]),
    (7, BorderType.SYMMETRIC, [[-0.026785714, 0.464285714, 0.491071429, 0.294642857, 0.294642857],
                               [0.464285714, 0.160714286, 0.053571429, 0.446428571, 0.089285714]]),
    (3, BorderType.CONSTANT, [[-0.5, 0.75, 0.625, 0.5, -0.125], [0.0, -1.5, 2.0, 1.25, -2.0]]),
    (11, BorderType.REFLECT, [[0.0, 0.018181818, 0.034090909, 0.004545455, 0.0],
                              [0.0, 0.0, -0.045454545, 0.15, 0.0]]),
])
def test_compute_deltas_pad_modes(win, mode, expected):
    # MindSpore 2.10: ComputeDeltas(win, mode) of this float64 (1, 2, 5) spectrogram (float64 out)
    s = np.array([[[0.5, -1.0, 2.0, 0.25, 3.0], [1.0, 0.0, -2.0, 4.0, 0.5]]], np.float64)
    y = audio.ComputeDeltas(win, mode)(s)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, [expected], atol=1e-8)


def test_compute_deltas_of_ints_is_float32():
    y = audio.ComputeDeltas()(np.array([[1, 2, 4, 8]], np.int64))  # MindSpore 2.10: float32 [[0.7, 1.7, 2, 1.6]]
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [[0.7, 1.7, 2.0, 1.6]], rtol=1e-6)


def test_input_errors_are_mindspores():
    # MindSpore 2.10's classes and texts (probe p1.py)
    with pytest.raises(TypeError, match="Input should be NumPy audio, got <class 'numpy.float32'>."):
        audio.Phaser(44100)(np.float32(1.0))
    with pytest.raises(RuntimeError, match=r"Flanger: the channel of input tensor does not match the requirement of "
                                           r"operator. Expecting tensor with channel less than or equal to 4. But got "
                                           r"channel: 5") as info:
        audio.Flanger(44100)(np.ones((5, 10), np.float32))
    assert str(info.value).startswith("Syntax error.")
    with pytest.raises(RuntimeError, match=r"Expecting tensor in shape of <..., freq, time>. But got tensor with "
                                           r"dimension 1."):
        audio.ComputeDeltas()(np.ones(3, np.float32))
    with pytest.raises(RuntimeError, match=r"Phaser: the data type of input tensor does not match the requirement of "
                                           r"operator. Expecting tensor in type of \[int, float, double\]. But got "
                                           r"type string."):
        audio.Phaser(44100)(np.array(["a", "b"]))
    with pytest.raises(RuntimeError, match="Input Tensor has no data."):
        audio.Flanger(44100)(np.ones((2, 0), np.float32))
    with pytest.raises(RuntimeError, match="table_size must be more than 0, but got: -16000"):
        audio.Flanger(-8000)(np.ones((2, 3), np.float32))
    with pytest.raises(RuntimeError, match="table_size must be more than 0, but got: -199"):  # (its modulation table)
        audio.Phaser(-100)(np.ones((1, 4), np.float32))


def test_argument_errors_are_mindspores():
    with pytest.raises(ValueError, match=r"Input win_length is not within the required interval of \[3, 2147483647\]"):
        audio.ComputeDeltas(win_length=2)
    with pytest.raises(TypeError, match=r"Argument pad_mode with value 2 is not of type \[<enum 'BorderType'>\], but "
                                        r"got <class 'int'>."):
        audio.ComputeDeltas(5, 2)
    with pytest.raises(ValueError, match=r"Input regen is not within the required interval of \[-95, 95\]."):
        audio.Flanger(44100, regen=100.0)
    with pytest.raises(ValueError, match=r"Input mod_speed is not within the required interval of \[0.1, 2\]."):
        audio.Phaser(44100, mod_speed=0.003)


def test_phaser_refuses_a_delay_line_mindspore_crashes_on():
    # MindSpore 2.10 dies (SIGFPE) on Phaser(1000, delay_ms=0.2): its delay line rounds to 0 samples
    with pytest.raises(RuntimeError, match="delay line of 0 samples"):
        audio.Phaser(1000, delay_ms=0.2)(np.ones((1, 4), np.float32))


def _lfw(root):
    """/work/ms_suite60/probe/p6.py's folder: distinct bytes per image set, lfw-names.txt not in name order."""
    for folder in ("lfw", "lfw_funneled", "lfw-deepfunneled"):
        for name, n in (("Zed", 1), ("Amy", 2), ("Bob", 1)):
            (root / folder / name).mkdir(parents=True)
            for k in range(1, n + 1):
                (root / folder / name / f"{name}_{k:04d}.jpg").write_bytes(f"{folder}:{name}{k}".encode())
    for file, text in (("lfw-names.txt", "Zed 1\nAmy 2\nBob 1\n"), ("peopleDevTrain.txt", "2\nZed 1\nBob 1\n"),
                       ("peopleDevTest.txt", "1\nAmy 2\n"), ("people.txt", "2\n1\nAmy 2\n2\nBob 1\nZed 1\n"),
                       ("pairsDevTrain.txt", "1\nAmy 1 2\nZed 1 Amy 2\n"), ("pairsDevTest.txt", "1\nAmy 2 1\nBob 1 Zed 1\n"),
                       ("pairs.txt", "1 1\nAmy 2 2\nAmy 1 Bob 1\n")):
        (root / file).write_text(text)
    return str(root)


def _lfw_rows(root, **kw):
    from gradserve import dataset as ds
    d = ds.LFWDataset(root, shuffle=False, **kw)
    rows = []
    for r in d.create_dict_iterator(num_epochs=1, output_numpy=True):
        assert r["label"].dtype == np.uint32 and r["label"].shape == ()
        rows.append([bytes(v).decode() if v.ndim == 1 else int(v) for v in r.values()])
    return rows


# MindSpore 2.10 (probe p6.py): labels are the name's line in lfw-names.txt; "all" is the train list, then the test list
@pytest.mark.parametrize("usage, expected", [
    ("10fold", [["lfw:Amy1", 1], ["lfw:Amy2", 1], ["lfw:Bob1", 2], ["lfw:Zed1", 0]]),
    ("train", [["lfw:Zed1", 0], ["lfw:Bob1", 2]]),
    ("all", [["lfw:Zed1", 0], ["lfw:Bob1", 2], ["lfw:Amy1", 1], ["lfw:Amy2", 1]]),
])
def test_lfw_people_rows(tmp_path, usage, expected):
    assert _lfw_rows(_lfw(tmp_path), usage=usage, image_set="original") == expected


def test_lfw_pairs_rows_and_image_sets(tmp_path):
    root = _lfw(tmp_path)
    assert _lfw_rows(root, task="pairs") == [  # MindSpore 2.10: usage all, image_set funneled by default
        ["lfw_funneled:Amy1", "lfw_funneled:Amy2", 1], ["lfw_funneled:Zed1", "lfw_funneled:Amy2", 0],
        ["lfw_funneled:Amy2", "lfw_funneled:Amy1", 1], ["lfw_funneled:Bob1", "lfw_funneled:Zed1", 0]]
    assert _lfw_rows(root, task="pairs", usage="10fold", image_set="deepfunneled") == [
        ["lfw-deepfunneled:Amy2", "lfw-deepfunneled:Amy2", 1], ["lfw-deepfunneled:Amy1", "lfw-deepfunneled:Bob1", 0]]


def test_lfw_missing_files_are_mindspores_errors(tmp_path):
    root = _lfw(tmp_path)
    (tmp_path / "lfw-names.txt").write_text("Zed 1\nAmy 2\n")
    assert _lfw_rows(root, usage="train")[1] == ["lfw_funneled:Bob1", 0]  # MindSpore 2.10: a name not listed is 0
    with pytest.raises(RuntimeError, match=f"Invalid image, failed to decode {root}/lfw_funneled/Zed/Zed_0001.jpg: the "
                                           "image is damaged or permission denied."):  # (its bytes are no image)
        _lfw_rows(root, decode=True)
    (tmp_path / "lfw" / "Amy" / "Amy_0002.jpg").unlink()
    with pytest.raises(RuntimeError, match=f"Failed to open file: {root}/lfw/Amy/Amy_0002.jpg"):
        _lfw_rows(root, image_set="original")
    (tmp_path / "peopleDevTest.txt").unlink()  # MindSpore 2.10: one list missing, the whole annotation is empty
    with pytest.raises(RuntimeError, match="Invalid file, LFW annotation file is empty. Check file path: "):
        _lfw_rows(root)
    (tmp_path / "lfw-names.txt").unlink()
    with pytest.raises(RuntimeError, match=f"Invalid file, failed to open file: {root}"):
        _lfw_rows(root, usage="10fold")


def test_lfw_argument_errors(tmp_path):
    from gradserve import dataset as ds
    root = _lfw(tmp_path)
    with pytest.raises(ValueError, match=r"Input task is not within the valid set of \['people', 'pairs'\]."):
        ds.LFWDataset(root, task="all")
    with pytest.raises(ValueError, match=r"Input image_set is not within the valid set of \['original', 'funneled', "
                                         r"'deepfunneled'\]."):
        ds.LFWDataset(root, image_set="all")
    with pytest.raises(TypeError, match=r"Argument decode with value 123 is not of type \[<class 'bool'>\], but got "
                                        r"<class 'int'>."):
        ds.LFWDataset(root, decode=123)
