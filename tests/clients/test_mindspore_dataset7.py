"""dataset.MindDataset's shuffle modes (FILES, INFILE, with replacement), shards by block, add_sampler, the output
shape of an empty array field, and Decode of a bytes column (benchmarks/mindspore_suite/README.md, "dataset
MindDataset shuffles, round 7"). Expected values: MindSpore 2.10 CPU runs (/work/ms_suite_dataset7/probe/p1.py, p4.py,
p5.py, e2.py and a vision.Decode run), written here as literals, or Pillow's decode; none is gradserve's output.
The files: 4 MindRecord files of 5, 4, 3, 2 rows (and 100, 77, 37, 19), an int32 "label" 0 .. n-1 in order."""
import numpy as np
import pytest

import gradserve.dataset as ds
from gradserve.dataset import Shuffle, vision
from gradserve.mindrecord import FileWriter, set_enc_key


@pytest.fixture
def seed():
    old = ds.config.get_seed()
    yield lambda s: ds.config.set_seed(s)
    ds.config.set_seed(old)


@pytest.fixture
def by_block(monkeypatch):
    return lambda: monkeypatch.setenv("MS_DEV_MINDRECORD_SHARD_BY_BLOCK", "true")


def _files(tmp_path, sizes):
    files, total = [], 0
    for k, x in enumerate(sizes):
        f = str(tmp_path / f"t_{k}")
        w = FileWriter(f)
        w.add_schema({"label": {"type": "int32"}}, "s")
        w.write_raw_data([{"label": total + i} for i in range(x)])
        w.commit()
        total += x
        files.append(f)
    return files


@pytest.fixture
def four(tmp_path):
    return _files(tmp_path, [5, 4, 3, 2])


def _epochs(d, n=2):
    it = d.create_tuple_iterator(num_epochs=n, output_numpy=True)
    return [[int(r[0]) for r in it] for _ in range(n)]


# --- FILES / INFILE without shards: the permutation carries over to the next epoch (p1.py) ---------------------------

@pytest.mark.parametrize("s, shuffle, want", [
    (1234, Shuffle.FILES, [[5, 6, 7, 8, 12, 13, 0, 1, 2, 3, 4, 9, 10, 11],
                           [13, 0, 1, 2, 3, 4, 9, 10, 11, 5, 6, 7, 8, 12]]),
    (7, Shuffle.FILES, [[12, 13, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
                        [7, 8, 9, 12, 13, 0, 1, 2, 10, 11, 3, 4, 5, 6]]),
    (1234, Shuffle.INFILE, [[2, 3, 1, 4, 0, 6, 8, 5, 7, 11, 9, 10, 13, 12],
                            [1, 0, 4, 3, 2, 8, 5, 7, 6, 10, 11, 9, 12, 13]]),
    (0, Shuffle.INFILE, [[3, 0, 4, 2, 1, 7, 8, 6, 5, 11, 9, 10, 13, 12],
                         [1, 2, 0, 3, 4, 6, 7, 8, 5, 10, 11, 9, 12, 13]]),
])
def test_files_and_infile_orders(four, seed, s, shuffle, want):
    seed(s)
    assert _epochs(ds.MindDataset(four, shuffle=shuffle)) == want
    seed(s)  # RandomSampler(shuffle=...) draws the same
    assert _epochs(ds.MindDataset(four, sampler=ds.RandomSampler(shuffle=shuffle))) == want


def test_first_rows_of_the_suites_files(tmp_path, seed):
    files = _files(tmp_path, [100, 77, 37, 19])
    seed(1234)
    assert _epochs(ds.MindDataset(files, shuffle=Shuffle.FILES), 1)[0][:3] == [100, 101, 102]
    assert _epochs(ds.MindDataset(files, shuffle=Shuffle.INFILE), 1)[0][:5] == [48, 61, 43, 6, 68]


# --- shards: the shuffle restarts from 0 .. n-1 each epoch, then every num_shards-th row or a block (p1.py, p4.py) ----

@pytest.mark.parametrize("s, shuffle, block, shard, want", [
    (1234, Shuffle.INFILE, False, (3, 1), [[3, 0, 5, 9, 12], [4, 0, 8, 9, 12]]),
    (7, Shuffle.FILES, False, (3, 1), [[13, 2, 5, 8, 11], [10, 1, 4, 5, 8]]),
    (1234, Shuffle.FILES, True, (3, 1), [[13, 0, 1, 2, 3], [10, 11, 12, 13, 0]]),
    (0, Shuffle.GLOBAL, True, (3, 1), [[0, 4, 9, 13, 3], [9, 6, 5, 2, 11]]),
    (7, Shuffle.INFILE, True, (3, 1), [[8, 5, 6, 7, 11], [7, 5, 8, 6, 11]]),
    (1234, False, True, (8, 5), [[10, 11], [10, 11]]),
    (1234, False, True, (3, 2), [[10, 11, 12, 13, 0], [10, 11, 12, 13, 0]]),
    (1234, None, True, (4, 3), [[3, 10, 7, 12], [13, 7, 1, 12]]),
])
def test_sharded_orders(four, seed, by_block, s, shuffle, block, shard, want):
    if block:
        by_block()
    seed(s)
    d = ds.MindDataset(four, shuffle=shuffle, num_shards=shard[0], shard_id=shard[1])
    assert _epochs(d) == want
    assert d.get_dataset_size() == len(want[0])


def test_distributed_sampler_modes(four, seed, by_block):
    seed(1234)
    d = ds.MindDataset(four, sampler=ds.DistributedSampler(3, 1, shuffle=Shuffle.INFILE))
    assert _epochs(d) == [[3, 0, 5, 9, 12], [4, 0, 8, 9, 12]]
    by_block()
    assert _epochs(ds.MindDataset(four, sampler=ds.DistributedSampler(8, 7, shuffle=False))) == [[0, 1], [0, 1]]


def test_suites_sharded_first_rows(tmp_path, seed, by_block):
    files = _files(tmp_path, [100, 77, 37, 19])
    by_block()
    seed(1234)
    first = {m: _epochs(ds.MindDataset(files, shuffle=m, num_shards=8, shard_id=5), 1)[0][:3]
             for m in (Shuffle.FILES, Shuffle.INFILE, Shuffle.GLOBAL)}
    assert first == {Shuffle.FILES: [54, 55, 56], Shuffle.INFILE: [132, 115, 176], Shuffle.GLOBAL: [118, 191, 224]}


# --- with replacement: draw i of epoch e from std::mt19937(seed + 1 + e + i) over the last epoch's rows (p4.py) -------

@pytest.mark.parametrize("s, kwargs, want", [
    (1234, {"sampler": "repl"}, [[13, 3, 10, 12, 7, 10, 13, 11, 13, 9, 4, 2, 7, 4],
                                 [12, 4, 7, 11, 4, 4, 2, 4, 9, 7, 10, 11, 7, 4]]),
    (7, {"sampler": "repl5"}, [[12, 0, 10, 2, 2], [12, 2, 12, 12, 2]]),
    (0, {"num_samples": 20}, [[5, 6, 7, 13, 3, 12, 1, 12, 0, 10, 2, 2, 10, 7, 11, 3, 4, 9, 1, 8],
                              [0, 2, 8, 3, 9, 6, 9, 5, 3, 13, 13, 3, 2, 4, 3, 12, 7, 6, 2, 5]]),
    (1234, {"sampler": "five"}, [[7, 12, 0, 6, 13], [0, 13, 6, 12, 7]]),  # (no replacement: the 5 kept reshuffled)
])
def test_draws_with_replacement(four, seed, s, kwargs, want):
    samplers = {"repl": ds.RandomSampler(replacement=True), "repl5": ds.RandomSampler(replacement=True, num_samples=5),
                "five": ds.RandomSampler(num_samples=5)}
    if "sampler" in kwargs:
        kwargs = {"sampler": samplers[kwargs["sampler"]]}
    seed(s)
    d = ds.MindDataset(four, **kwargs)
    assert _epochs(d) == want
    assert d.get_dataset_size() == len(want[0])


def test_num_samples_with_files_or_infile_refused(four):
    for m in (Shuffle.FILES, Shuffle.INFILE):
        with pytest.raises(ValueError, match=r"'Shuffle.FILES' or 'Shuffle.INFILE' and 'num_samples' cannot be"):
            ds.MindDataset(four, shuffle=m, num_samples=5)
        with pytest.raises(RuntimeError, match="Syntax error"):  # (p4.py: when the rows are read)
            _epochs(ds.MindDataset(four, sampler=ds.RandomSampler(shuffle=m, num_samples=5)), 1)


# --- add_sampler and the chain rules (MindSpore 2.10's texts) ---------------------------------------------------

def test_add_sampler_rules(four):
    d = ds.MindDataset(four, shuffle=Shuffle.PARTIAL)
    with pytest.raises(RuntimeError, match="shuffle of the current sampler must not be Shuffle.PARTIAL"):
        d.add_sampler(ds.DistributedSampler(num_shards=8, shard_id=1, shuffle=Shuffle.INFILE))
    d = ds.MindDataset(four, shuffle=Shuffle.GLOBAL)
    with pytest.raises(RuntimeError, match=r"input sampler must be Shuffle.FALSE or Shuffle.GLOBAL, but got: "
                                           r"Shuffle.INFILE\."):
        d.add_sampler(ds.DistributedSampler(num_shards=4, shard_id=3, shuffle=Shuffle.INFILE))
    with pytest.raises(RuntimeError, match="shuffle of the input sampler must not be Shuffle.PARTIAL"):
        ds.DistributedSampler(8, 1, shuffle=Shuffle.PARTIAL).add_child(ds.RandomSampler(shuffle=Shuffle.PARTIAL))
    with pytest.raises(RuntimeError, match=r"current sampler must be Shuffle.FALSE or Shuffle.GLOBAL, but got: "
                                           r"Shuffle.INFILE\."):
        ds.DistributedSampler(8, 1, shuffle=Shuffle.INFILE).add_child(ds.RandomSampler(shuffle=Shuffle.GLOBAL))


def test_add_sampler_picks_from_the_current_rows(four):  # (p5.py)
    d = ds.MindDataset(four, shuffle=False)
    d.add_sampler(ds.SequentialSampler(start_index=2, num_samples=3))
    assert _epochs(d, 1) == [[2, 3, 4]]
    d = ds.MindDataset(four, shuffle=False, num_shards=3, shard_id=1)  # rows 1, 4, 7, 10, 13
    d.add_sampler(ds.DistributedSampler(2, 1, shuffle=False))
    assert _epochs(d, 1) == [[4, 10, 1]]
    assert d.get_dataset_size() == 3


# --- an empty array field; Decode of the bytes column; set_enc_key ---------------------------------------------

def test_empty_array_field_shape(tmp_path):
    f = str(tmp_path / "e")
    w = FileWriter(f)
    w.add_schema({"label": {"type": "int32"}, "array_d": {"type": "int64", "shape": [-1]}}, "s")
    w.write_raw_data([{"label": i, "array_d": np.arange(i, dtype=np.int64)} for i in range(3)])
    w.commit()
    d = ds.MindDataset(f, shuffle=False)
    assert d.output_shapes() == [[], []]  # MindSpore 2.10's (its row is a 0-d tensor of uninitialised memory)
    rows = list(d.create_tuple_iterator(output_numpy=True))
    assert [r[0].shape for r in rows] == [(0,), (1,), (2,)]  # (the array written, not MindSpore's garbage)
    assert (rows[0][0] == np.array([])).all()


def test_decode_a_bytes_element():
    Image = pytest.importorskip("PIL.Image")
    import io

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)).save(buf, "JPEG")
    raw = buf.getvalue()
    want = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))  # (Pillow's decode, MindSpore's pixel for pixel)
    np.testing.assert_array_equal(vision.Decode()(np.array([raw], np.bytes_)), want)
    with pytest.raises(RuntimeError, match="Decode: image decode failed"):  # (MindSpore 2.10: two elements fail)
        vision.Decode()(np.array([raw, raw], np.bytes_))


def test_set_enc_key_refusal_names_why():
    with pytest.raises(NotImplementedError, match="AES-GCM or SM4-CBC"):
        set_enc_key("abcdefghijklmnop01234567")
    set_enc_key(None)


# --- Cifar10Dataset / Cifar100Dataset (c1.py - c3.py: MindSpore 2.10's layout, orders, counts and texts) ----------------

def _cifar_file(path, labels, n, seed):
    rng = np.random.default_rng(seed)
    recs = np.concatenate([rng.integers(0, 100, (n, labels), dtype=np.uint8),
                           rng.integers(0, 256, (n, 3072), dtype=np.uint8)], 1)
    recs.tofile(path)
    return recs


def test_cifar10(tmp_path):
    train = _cifar_file(tmp_path / "data_batch_1.bin", 1, 10000, 0)
    test = _cifar_file(tmp_path / "test_batch.bin", 1, 10000, 1)
    d = ds.Cifar10Dataset(str(tmp_path), shuffle=False)  # "all": train's records, then test's
    assert d.get_col_names() == ["image", "label"] and d.get_dataset_size() == 20000
    rows = list(d.create_tuple_iterator(output_numpy=True))
    for i, rec in ((0, train[0]), (10000, test[0]), (19999, test[-1])):
        image, label = rows[i]
        assert image.shape == (32, 32, 3) and image.dtype == np.uint8 and label.dtype == np.uint32
        np.testing.assert_array_equal(image, rec[1:].reshape(3, 32, 32).transpose(1, 2, 0))  # R, G, B planes -> HWC
        assert int(label) == rec[0]
    d = ds.Cifar10Dataset(str(tmp_path), usage="test", num_shards=3, shard_id=1, shuffle=False)
    assert d.get_dataset_size() == 3334
    assert [int(r[1]) for r in list(d.create_tuple_iterator(output_numpy=True))[:3]] == list(test[[1, 4, 7], 0])


def test_cifar100_and_texts(tmp_path):
    test = _cifar_file(tmp_path / "test.bin", 2, 10000, 2)
    (tmp_path / "train.bin").write_bytes(b"")  # (a short file: counted as MindSpore counts it, refused when read)
    d = ds.Cifar100Dataset(str(tmp_path), usage="test", shuffle=False)
    assert d.get_col_names() == ["image", "coarse_label", "fine_label"] and d.get_dataset_size() == 10000
    image, coarse, fine = next(iter(d.create_tuple_iterator(output_numpy=True)))
    np.testing.assert_array_equal(image, test[0, 2:].reshape(3, 32, 32).transpose(1, 2, 0))
    assert (int(coarse), int(fine)) == (test[0, 0], test[0, 1])
    assert ds.Cifar100Dataset(str(tmp_path)).get_dataset_size() == 60000
    with pytest.raises(RuntimeError, match=r"Invalid cifar100 file, failed to read data from: .*train.bin, re-download "
                                           r"dataset\(make sure it is CIFAR-100 binary version\)"):
        list(ds.Cifar100Dataset(str(tmp_path), usage="train").create_tuple_iterator())
    with pytest.raises(ValueError, match=r"Input usage is not within the valid set of \['train', 'test', 'all'\]"):
        ds.Cifar10Dataset(str(tmp_path), usage="x")
    with pytest.raises(ValueError, match="does not exist or is not a directory"):
        ds.Cifar10Dataset(str(tmp_path / "nope"))


def test_num_parallel_workers_config():
    import os

    old = ds.config.get_num_parallel_workers()
    assert old == min(8, os.cpu_count() or 1)  # (MindSpore 2.10: 2 on a 2-CPU machine)
    try:
        ds.config.set_num_parallel_workers(1)
        assert ds.config.get_num_parallel_workers() == 1
        for bad, cls, text in ((0, ValueError, r"not within the required range \(0, INT32_MAX\(2147483647\)\]"),
                               (2.0, TypeError, "num isn't of type int"), (True, TypeError, "num isn't of type int"),
                               (10**6, RuntimeError, "num_parallel_workers exceeds the boundary between 1 and")):
            with pytest.raises(cls, match=text):
                ds.config.set_num_parallel_workers(bad)
    finally:
        ds.config.set_num_parallel_workers(old)


def test_resize_interpolation_texts():  # (MindSpore 2.10's classes and texts)
    with pytest.raises(TypeError, match=r"Argument interpolation with value 100 is not of type \[<enum 'Inter'>\], but "
                                        r"got <class 'int'>\."):
        vision.Resize(100, 100)
    with pytest.raises(KeyError, match="Interpolation should not be None"):
        vision.Resize(100, None)


def test_flat_map():  # (MindSpore 2.10's own test_flat_map values)
    d = ds.NumpySlicesDataset([[0, 1], [2, 3]], shuffle=False).flat_map(
        lambda a: ds.NumpySlicesDataset(a, shuffle=False).repeat(2))
    assert [int(r[0]) for r in d.create_tuple_iterator(output_numpy=True)] == [0, 1, 0, 1, 2, 3, 2, 3]
    d = ds.NumpySlicesDataset(([[0, 1], [2, 3]], [[0, -1], [-2, -3]]), column_names=["col1", "col2"], shuffle=False)
    d = d.flat_map(lambda c1, c2: ds.NumpySlicesDataset((c1 + 1, c2 - 1), shuffle=False))
    assert [(int(a), int(b)) for a, b in d.create_tuple_iterator(output_numpy=True)] == [(1, -1), (2, -2), (3, -3),
                                                                                          (4, -4)]
    with pytest.raises(TypeError, match="func must be a function"):
        d.flat_map(3)
    with pytest.raises(TypeError, match="flat_map must return a Dataset object"):
        d.flat_map(lambda a, b: 1)
