"""Sample seed 59 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 59").

What the sample asked for: num_samples=0 read as "every row" by the sources and samplers (a silently empty dataset
before), and STL10Dataset (ut/python/dataset/test_datasets_stl10.py). Expected values and texts: MindSpore 2.10 CPU
runs of the same programs (/work/ms_suite59/probe/p2.py .. p6.py); the STL10 pixels also from the format's own
layout (uint8 (N, 3, 96, 96) column-major images, 1-based labels), read here with NumPy."""
import os
import wave

import numpy as np
import pytest

import gradserve.dataset as ds
from gradserve.dataset import vision


def _lj(tmp_path):
    """A two-utterance LJ Speech folder (metadata.csv, wavs/a.wav, wavs/b.wav)."""
    os.makedirs(tmp_path / "wavs")
    for name in "ab":
        with wave.open(str(tmp_path / "wavs" / f"{name}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(np.arange(10, dtype="<i2").tobytes())
    (tmp_path / "metadata.csv").write_text("a|x|y\nb|z|w\n")
    return str(tmp_path)


def _count(d):
    return sum(1 for _ in d.create_tuple_iterator(num_epochs=1, output_numpy=True))


# MindSpore 2.10 (probe p5.py / p6.py): num_samples=0 reads every row (4, 2, 2, 7 rows; LJSpeech 2, its shard 0 of
# 2 one row, a SequentialSampler(num_samples=0) 2, a DistributedSampler(2, 0, num_samples=0) 1); gradserve gave 0.
def test_num_samples_zero_reads_every_row(tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("a\nb\nc\n\nd\n")
    assert _count(ds.NumpySlicesDataset(np.arange(4), num_samples=0, shuffle=False)) == 4
    assert _count(ds.GeneratorDataset(lambda: iter([(1,), (2,)]), ["a"], num_samples=0)) == 2
    assert _count(ds.GeneratorDataset([(1,), (2,)], ["a"], num_samples=0)) == 2
    assert _count(ds.TextFileDataset(str(lines), num_samples=0)) == 4


def test_num_samples_zero_in_file_datasets_and_samplers(tmp_path):
    root = _lj(tmp_path)
    assert _count(ds.LJSpeechDataset(root, num_samples=0)) == 2
    assert ds.LJSpeechDataset(root, num_samples=0).get_dataset_size() == 2
    assert _count(ds.LJSpeechDataset(root, num_samples=0, num_shards=2, shard_id=0)) == 1
    assert _count(ds.LJSpeechDataset(root, sampler=ds.SequentialSampler(num_samples=0))) == 2
    assert _count(ds.LJSpeechDataset(root, sampler=ds.DistributedSampler(2, 0, shuffle=False, num_samples=0))) == 1
    assert _count(ds.LJSpeechDataset(root, num_samples=1)) == 1  # (a limit still limits)


def _stl10(tmp_path, counts=(("train", 1), ("test", 1), ("unlabeled", 1))):
    """STL-10 files of random pixels: {split: (images as the format stores them (N, 3, 96, 96), 1-based labels)}."""
    rng = np.random.default_rng(59)
    made = {}
    for k, (split, n) in enumerate(counts):
        raw = rng.integers(0, 256, (n, 3, 96, 96), dtype=np.uint8)
        raw.tofile(tmp_path / f"{split}_X.bin")
        labels = np.arange(n, dtype=np.uint8) + 3 * k + 1
        if split != "unlabeled":
            labels.tofile(tmp_path / f"{split}_y.bin")
        made[split] = (raw, labels)
    return str(tmp_path), made


def _hwc(raw):
    """The format's reading (MindSpore's own test_datasets_stl10.loadfile): images stored column by column."""
    return np.transpose(np.transpose(raw, (0, 1, 3, 2)), (0, 2, 3, 1))


def _stl_rows(d):
    return [(r["image"], r["label"]) for r in d.create_dict_iterator(num_epochs=1, output_numpy=True)]


# MindSpore 2.10 (probe p2.py / p7.py): "all" gives test, train, unlabeled rows in that order, "train+unlabeled"
# train then unlabeled; image (96, 96, 3) uint8, label an int32 scalar: the file's label - 1, unlabeled -1
@pytest.mark.parametrize("usage, splits", [
    ("train", ["train"]), ("test", ["test"]), ("unlabeled", ["unlabeled"]), ("train+unlabeled", ["train", "unlabeled"]),
    ("all", ["test", "train", "unlabeled"]), (None, ["test", "train", "unlabeled"])])
def test_stl10_rows_in_order(tmp_path, usage, splits):
    root, made = _stl10(tmp_path, (("train", 2), ("test", 1), ("unlabeled", 2)))
    d = ds.STL10Dataset(root, usage, shuffle=False)
    assert d.get_col_names() == ["image", "label"]
    want = [(img, -1 if s == "unlabeled" else int(lab) - 1) for s in splits
            for img, lab in zip(_hwc(made[s][0]), made[s][1])]
    got = _stl_rows(d)
    assert len(got) == len(want) == d.get_dataset_size()
    for (image, label), (w_image, w_label) in zip(got, want):
        assert image.shape == (96, 96, 3) and image.dtype == np.uint8 and image.flags.c_contiguous
        np.testing.assert_array_equal(image, w_image)
        assert label.shape == () and label.dtype == np.int32 and int(label) == w_label


# MindSpore 2.10 on its 3-row test data (probe p7.py): shard 0 of 2 rows 0 and 2, shard 1 rows 1 and 0 (wrapping);
# SequentialSampler(1, 2) rows 1 and 2; num_samples=0 every row, 2 two; batch(2) of 2 rows one batch
def test_stl10_shards_samplers_and_limits(tmp_path):
    root, _ = _stl10(tmp_path)

    def labels(**kw):
        return [int(lab) for _, lab in _stl_rows(ds.STL10Dataset(root, "all", **kw))]
    order = labels(shuffle=False)
    assert order == [3, 0, -1]  # (test's label 4 - 1, train's 1 - 1, unlabeled)
    assert labels(num_shards=2, shard_id=0, shuffle=False) == [order[0], order[2]]
    assert labels(num_shards=2, shard_id=1, shuffle=False) == [order[1], order[0]]
    assert labels(sampler=ds.SequentialSampler(1, 2)) == order[1:]
    assert len(labels(num_samples=0)) == 3 and len(labels(num_samples=2)) == 2
    assert sorted(labels()) == sorted(order)  # (shuffled: an order of its own)
    assert ds.STL10Dataset(root, "all", num_samples=2).batch(2).get_dataset_size() == 1


# MindSpore 2.10's classes and texts (probe p3.py / p7.py; test_stl10_exception / test_stl10_usage)
@pytest.mark.parametrize("kwargs, exc, text", [
    (dict(usage="x"), ValueError,
     "Input usage is not within the valid set of ['train', 'test', 'unlabeled', 'train+unlabeled', 'all']."),
    (dict(usage=["l"]), TypeError,
     "Argument usage with value ['l'] is not of type [<class 'str'>], but got <class 'list'>."),
    (dict(shuffle=False, sampler=ds.PKSampler(3)), RuntimeError,
     "sampler and shuffle cannot be specified at the same time."),
    (dict(sampler=ds.PKSampler(3), num_shards=2, shard_id=0), RuntimeError,
     "sampler and sharding cannot be specified at the same time."),
    (dict(num_shards=10), RuntimeError, "num_shards is specified and currently requires shard_id as well."),
    (dict(shard_id=0), RuntimeError, "shard_id is specified but num_shards is not."),
    (dict(num_shards=2, shard_id=5), ValueError, "Input shard_id is not within the required interval of [0, 1]."),
    (dict(num_shards=2, shard_id="0"), TypeError, "Argument shard_id with value 0 is not of type [<class 'int'>]"),
    (dict(num_samples=-1), ValueError,
     "num_samples exceeds the boundary between 0 and 9223372036854775807(INT64_MAX)!"),
])
def test_stl10_argument_checks(tmp_path, kwargs, exc, text):
    root, _ = _stl10(tmp_path)
    with pytest.raises(exc) as info:
        ds.STL10Dataset(root, **kwargs)
    assert text in str(info.value)


def test_stl10_folder_and_file_checks(tmp_path):
    with pytest.raises(TypeError, match=r"Argument dataset_dir with value 3 is not of type \[<class 'str'>\]"):
        ds.STL10Dataset(3)
    with pytest.raises(ValueError, match="does not exist or is not a directory or permission denied!"):
        ds.STL10Dataset(str(tmp_path / "nope"))
    (tmp_path / "train_X.bin").write_bytes(bytes(3 * 96 * 96))
    real = os.path.realpath(tmp_path)
    # (MindSpore 2.10: the real path, checked when the dataset is made; train's labels before the unlabeled file)
    with pytest.raises(ValueError) as info:
        ds.STL10Dataset(str(tmp_path), "all")
    assert str(info.value) == f"The file {real}/train_y.bin does not exist or permission denied!"
    with pytest.raises(ValueError, match="unlabeled_X.bin does not exist or permission denied!"):
        ds.STL10Dataset(str(tmp_path), "unlabeled")


def test_stl10_failing_map_names_the_file(tmp_path):
    root, _ = _stl10(tmp_path)

    def fail(image):
        raise Exception("Error occur!")
    d = ds.STL10Dataset(root, "all", shuffle=False).map(operations=fail, input_columns=["image"])
    with pytest.raises(RuntimeError) as info:
        list(d)
    assert "The corresponding data file is: " + os.path.realpath(root) + "/test_X.bin" in str(info.value)
    d = ds.STL10Dataset(root, "all").map(operations=vision.Decode(), input_columns=["image"])
    with pytest.raises(RuntimeError, match="The corresponding data file is"):
        list(d)


# MindSpore 2.10 (probe p4.py / p7.py): Decode's TypeError for a non-1-D input, "Decode: image decode failed." for
# bytes of no image format; gradserve refuses the decoding itself by name
def test_decode_checks():
    with pytest.raises(TypeError, match="The number of array dimensions of the encoded image should be 1, but got 3."):
        vision.Decode()(np.zeros((96, 96, 3), np.uint8))
    for junk in (np.zeros(5, np.uint8), np.zeros(5, np.float32)):
        with pytest.raises(RuntimeError, match="Decode: image decode failed."):
            vision.Decode()(junk)
    with pytest.raises(NotImplementedError, match="Decode"):
        vision.Decode()(np.frombuffer(b"\x89PNG\r\n\x1a\n" + bytes(20), np.uint8))


def _values(d):
    return [int(r[0]) for r in d.create_tuple_iterator(num_epochs=1, output_numpy=True)]


# MindSpore 2.10 (probes p8.py / p10.py): NumpySlicesDataset and a random-access GeneratorDataset take their shard
# (shard 1 of 2 over 5 rows: rows 1, 3, 0; over 3 rows: rows 1, 0) and their sampler; gradserve ignored both and gave
# every row, shuffled
def test_in_memory_sources_take_shards_and_samplers():
    rows3 = [(1,), (2,), (3,)]
    assert _values(ds.NumpySlicesDataset(np.arange(5), num_shards=2, shard_id=1, shuffle=False)) == [1, 3, 0]
    two = ds.NumpySlicesDataset(np.arange(5), num_shards=2, shard_id=1, shuffle=False, num_samples=2)
    assert _values(two) == [1, 3]
    assert ds.NumpySlicesDataset(np.arange(5), num_shards=2, shard_id=1).get_dataset_size() == 3
    assert _values(ds.GeneratorDataset(rows3, ["a"], num_shards=2, shard_id=1, shuffle=False)) == [2, 1]
    assert _values(ds.NumpySlicesDataset(np.arange(5), sampler=ds.SequentialSampler(2, 2))) == [2, 3]
    assert _values(ds.NumpySlicesDataset(np.arange(5), sampler=ds.DistributedSampler(2, 0, shuffle=False))) == [0, 2, 4]
    assert _values(ds.GeneratorDataset(rows3, ["a"], sampler=ds.SequentialSampler(1))) == [2, 3]
    assert _values(ds.GeneratorDataset(rows3, ["a"], sampler=ds.DistributedSampler(2, 1, shuffle=False))) == [2, 1]
    shard = _values(ds.GeneratorDataset([(1,), (2,), (3,), (4,)], ["a"], num_shards=2, shard_id=1))
    assert len(shard) == 2 and len(set(shard)) == 2  # (shuffled: an order and a split of its own)


# MindSpore 2.10's classes and texts (probes p9.py, p11.py, p12.py)
@pytest.mark.parametrize("kwargs, exc, text", [
    (dict(num_samples=-1), ValueError,
     "num_samples exceeds the boundary between 0 and 9223372036854775807(INT64_MAX)!"),
    (dict(num_shards=2), ValueError, "num_shards and shard_id need to be passed in together."),
    (dict(shard_id=0), ValueError, "num_shards and shard_id need to be passed in together."),
    (dict(num_shards=2, shard_id=3), ValueError, "shard_id should be less than num_shards."),
    (dict(num_shards=0, shard_id=0), ValueError,
     "Input num_shards is not within the required interval of [1, 2147483647]."),
    (dict(sampler=ds.SequentialSampler(), shuffle=False), ValueError,
     "Conflicting arguments during sampler assignments. num_samples: None, num_shards: None, shard_id: None, "
     "shuffle: False."),
    (dict(sampler=ds.SequentialSampler(), num_samples=2), ValueError,
     "Conflicting arguments during sampler assignments. num_samples: 2, num_shards: None"),
    (dict(sampler=ds.SequentialSampler(), num_shards=2, shard_id=0), ValueError,
     "Conflicting arguments during sampler assignments. num_samples: None, num_shards: 2, shard_id: 0, shuffle: None."),
])
@pytest.mark.parametrize("build", [lambda kw: ds.NumpySlicesDataset(np.arange(3), **kw),
                                   lambda kw: ds.GeneratorDataset([(1,), (2,)], ["a"], **kw)])
def test_in_memory_sampler_argument_checks(build, kwargs, exc, text):
    with pytest.raises(exc) as info:
        build(kwargs)
    assert text in str(info.value)


def test_generator_without_random_access_refuses_samplers_and_shards():
    def rows():
        yield from [(1,), (2,), (3,)]
    with pytest.raises(ValueError, match="sampler is not supported if source does not have attribute '__getitem__'."):
        ds.GeneratorDataset(rows, ["a"], sampler=ds.SequentialSampler(1))
    with pytest.raises(ValueError, match="num_shards is not supported if source does not have attribute"):
        ds.GeneratorDataset(rows, ["a"], num_shards=2, shard_id=0)
    assert _values(ds.GeneratorDataset(rows, ["a"], shuffle=True)) == [1, 2, 3]  # (a generator is read in order)


# MindSpore 2.10 (probe p9.py): a SequentialSampler starting past the rows is its RuntimeError when the rows are read
def test_sequential_sampler_start_past_the_rows():
    with pytest.raises(RuntimeError, match="start_index must be less than num_rows, but got start_index: 5"):
        _values(ds.NumpySlicesDataset(np.arange(3), sampler=ds.SequentialSampler(5)))


# MindSpore 2.10 (probe p13.py): DistributedSampler(2, 0, offset=1) over 5 rows is rows 1, 3 (gradserve gave rows 0, 2,
# 4, offset ignored); gradserve does not follow offset: refused by name
def test_distributed_sampler_offset_refused():
    with pytest.raises(NotImplementedError, match="offset"):
        ds.DistributedSampler(2, 0, shuffle=False, offset=1)
    plain = ds.DistributedSampler(2, 0, False, offset=-1)
    assert _values(ds.NumpySlicesDataset(np.arange(5), sampler=plain)) == [0, 2, 4]
