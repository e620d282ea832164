"""TFRecordDataset's order over several files (MindSpore's workers interleaving their files' rows, Shuffle.FILES,
shards by file and by equal rows, GZIP / ZLIB), its schema type errors; Dataset.save; MindDataset Shuffle.PARTIAL
(benchmarks/mindspore_suite/README.md, "dataset TFRecord / save, round 8"). Expected values: MindSpore 2.10 CPU runs
(/work/ms_suite_dataset8/probe/g1.py, w1.py, s1.py; /work/ms_suite_dataset7/probe/p1.py), written here as literals;
none is gradserve's output. The TFRecord files are written here by hand (CRC-32C and protobuf's wire format), as
MindSpore's tests' tf_file_dataset/test1.data - test5.data are: 10 records each, an int64 feature "scalars" 1 .. 50
in order; the orders depend only on the files' row counts."""
import gzip
import json
import os
import struct
import zlib

import numpy as np
import pytest

import gradserve.dataset as ds
from gradserve import dtype as mstype
from gradserve.dataset import Shuffle
from gradserve.mindrecord import FileReader

from .test_mindspore_dataset7 import _files  # (MindRecord files of sizes, labels 0 .. n-1)


def _crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF


def _masked(data: bytes) -> int:
    c = _crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    out = b""
    while True:
        out += bytes([n & 0x7F | (0x80 if n > 0x7F else 0)])
        n >>= 7
        if not n:
            return out


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _example(**ints) -> bytes:
    """A tf.train.Example of int64 features (Features.feature map entries: key, Feature.int64_list packed)."""
    entries = b""
    for name, values in ints.items():
        packed = b"".join(_varint(v & (2**64 - 1)) for v in values)
        feature = _field(3, _field(1, packed))
        entries += _field(1, _field(1, name.encode()) + _field(2, feature))
    return _field(1, entries)


def _tfrecord(records) -> bytes:
    out = b""
    for r in records:
        head = struct.pack("<Q", len(r))
        out += head + struct.pack("<I", _masked(head)) + r + struct.pack("<I", _masked(r))
    return out


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    """test1.data - test5.data as MindSpore's tests have them, with .gz / .zlib copies."""
    d = tmp_path_factory.mktemp("tf")
    paths = []
    for k in range(5):
        data = _tfrecord([_example(scalars=[10 * k + i + 1]) for i in range(10)])
        p = d / f"test{k + 1}.data"
        p.write_bytes(data)
        (d / f"test{k + 1}.data.gz").write_bytes(gzip.compress(data))
        (d / f"test{k + 1}.data.zlib").write_bytes(zlib.compress(data))
        paths.append(str(p))
    return paths


@pytest.fixture
def seed():
    old = ds.config.get_seed()
    yield lambda s: ds.config.set_seed(s)
    ds.config.set_seed(old)


def _epochs(data, n=1):
    it = data.create_dict_iterator(num_epochs=n, output_numpy=True)
    return [[int(r["scalars"][0]) for r in it] for _ in range(n)]


# --- the workers' interleaving (g1.py; MindSpore 2.10 on a 2-CPU machine, workers named explicitly) -----------------

def test_two_workers_interleave_their_files(five):
    data = ds.TFRecordDataset(five, shuffle=False, num_parallel_workers=2)
    assert data.get_dataset_size() == 50
    assert _epochs(data) == [[1, 11, 2, 12, 3, 13, 4, 14, 5, 15, 6, 16, 7, 17, 8, 18, 9, 19, 10, 20, 21, 31, 22, 32,
                              23, 33, 24, 34, 25, 35, 26, 36, 27, 37, 28, 38, 29, 39, 30, 40, 41, 42, 43, 44, 45, 46,
                              47, 48, 49, 50]]
    one = ds.TFRecordDataset(five, shuffle=False, num_parallel_workers=1, num_samples=7)
    assert one.get_dataset_size() == 7 and _epochs(one) == [[1, 2, 3, 4, 5, 6, 7]]
    two = ds.TFRecordDataset(five, shuffle=False, num_parallel_workers=2, num_samples=7)
    assert _epochs(two) == [[1, 11, 2, 12, 3, 13, 4]]


def test_files_shuffle_seeded(five, seed):
    seed(3)  # (std::mt19937(seed) shuffles the file keys each epoch, each time the last epoch's order)
    data = ds.TFRecordDataset(five, shuffle=Shuffle.FILES, num_parallel_workers=2)
    assert _epochs(data, 3) == [
        [31, 41, 32, 42, 33, 43, 34, 44, 35, 45, 36, 46, 37, 47, 38, 48, 39, 49, 40, 50, 1, 21, 2, 22, 3, 23, 4, 24, 5,
         25, 6, 26, 7, 27, 8, 28, 9, 29, 10, 30, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
        [21, 11, 22, 12, 23, 13, 24, 14, 25, 15, 26, 16, 27, 17, 28, 18, 29, 19, 30, 20, 31, 1, 32, 2, 33, 3, 34, 4,
         35, 5, 36, 6, 37, 7, 38, 8, 39, 9, 40, 10, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50],
        [1, 41, 2, 42, 3, 43, 4, 44, 5, 45, 6, 46, 7, 47, 8, 48, 9, 49, 10, 50, 21, 31, 22, 32, 23, 33, 24, 34, 25, 35,
         26, 36, 27, 37, 28, 38, 29, 39, 30, 40, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]]
    seed(7)
    data = ds.TFRecordDataset(five, shuffle=Shuffle.FILES, num_parallel_workers=1)
    assert [e[::10] for e in _epochs(data, 3)] == [[31, 1, 11, 21, 41], [21, 31, 1, 11, 41], [11, 21, 31, 1, 41]]


def test_files_shuffle_carries_over_repeats(five, seed):
    seed(3)
    data = ds.TFRecordDataset(five[:4], shuffle=Shuffle.FILES, num_parallel_workers=2).repeat(2)
    assert data.get_dataset_size() == 80
    assert [e[::20] for e in _epochs(data, 2)] == [[31, 1, 21, 31], [1, 21, 31, 1]]
    assert _epochs(data, 2)[1][:6] == [1, 11, 2, 12, 3, 13]


def test_shards_by_file(five):
    # (sharded: the keys shuffled with std::mt19937(1), (2), ... whatever the seed; shard k takes every num_shards-th)
    data = ds.TFRecordDataset(five, shuffle=Shuffle.FILES, num_shards=2, shard_id=0, num_parallel_workers=2)
    assert data.get_dataset_size() == 30
    assert _epochs(data, 2) == [
        [11, 21, 12, 22, 13, 23, 14, 24, 15, 25, 16, 26, 17, 27, 18, 28, 19, 29, 20, 30, 41, 42, 43, 44, 45, 46, 47,
         48, 49, 50],
        [31, 21, 32, 22, 33, 23, 34, 24, 35, 25, 36, 26, 37, 27, 38, 28, 39, 29, 40, 30, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]
    data = ds.TFRecordDataset(five[:4], shuffle=Shuffle.FILES, num_shards=2, shard_id=1, num_samples=3,
                              num_parallel_workers=2)
    assert _epochs(data, 3) == [[1, 31, 2], [11, 1, 12], [11, 31, 12]]


def test_shards_by_equal_rows_wrap_round(five):
    data = ds.TFRecordDataset(five[:4], num_shards=3, shard_id=2, shard_equal_rows=True, shuffle=False,
                              num_parallel_workers=2)
    assert data.get_dataset_size() == 14
    assert _epochs(data) == [[29, 31, 30, 32, 1, 33, 2, 34, 35, 36, 37, 38, 39, 40]]
    data = ds.TFRecordDataset(five[:4], num_shards=3, shard_id=1, shard_equal_rows=True, shuffle=Shuffle.FILES,
                              num_parallel_workers=2)
    assert _epochs(data, 3) == [[5, 21, 6, 22, 7, 23, 8, 24, 9, 25, 10, 26, 27, 28],
                                [15, 31, 16, 32, 17, 33, 18, 34, 19, 35, 20, 36, 37, 38],
                                [15, 21, 16, 22, 17, 23, 18, 24, 19, 25, 20, 26, 27, 28]]


def test_compressed_files(five):
    gz = [p + ".gz" for p in five]
    data = ds.TFRecordDataset(gz, shuffle=False, num_samples=20, num_shards=2, shard_id=1, compression_type="GZIP",
                              num_parallel_workers=2)
    assert data.get_dataset_size() == 20
    assert _epochs(data) == [[11, 31, 12, 32, 13, 33, 14, 34, 15, 35, 16, 36, 17, 37, 18, 38, 19, 39, 20, 40]]
    data = ds.TFRecordDataset([p + ".zlib" for p in five], shuffle=False, compression_type="ZLIB",
                              num_parallel_workers=1)
    assert data.get_dataset_size() == 50 and _epochs(data) == [list(range(1, 51))]
    with pytest.raises(RuntimeError, match="does not meet minimum rows per shard requirement: 40 and 13 number of "
                                           "rows per file, but got 10 number of rows in this file"):
        _epochs(ds.TFRecordDataset(gz, num_shards=3, shard_id=0, num_samples=40, shuffle=False,
                                   compression_type="GZIP"))
    with pytest.raises(ValueError, match=r"Input compression_type can only be either '' \(no compression\), 'ZLIB', "
                                         r"or 'GZIP', but got 'ZIP'\."):
        ds.TFRecordDataset(gz, compression_type="ZIP")
    with pytest.raises(ValueError, match="the number of dataset files cannot be less than num_shards, but the actual "
                                         "number of files is 5 and actual num_shards is 6"):
        ds.TFRecordDataset(gz, num_shards=6, shard_id=0, num_samples=10, compression_type="GZIP")


def test_pipeline_checks(five, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("not a tfrecord file")
    schema = ds.Schema()
    schema.add_column("scalars", de_type=mstype.int64, shape=[1])
    data = ds.TFRecordDataset([str(bad), five[0]], schema=schema, shuffle=False)
    with pytest.raises(RuntimeError) as e:
        _epochs(data)
    assert f"not valid TFRecordDataset files:\n    {bad}\n" in str(e.value) and five[0] not in str(e.value)
    with pytest.raises(RuntimeError, match="numbers of tfrecord file should not less than num_shards when "
                                           "shard_equal_rows is false, but got numbers of tfrecord file: 1, "
                                           "num_shards: 4"):
        ds.TFRecordDataset(five[:1], num_shards=4, shard_id=3).get_dataset_size()


def test_schema_types_and_unknown_dimensions(tmp_path):
    path = tmp_path / "t.data"
    path.write_bytes(_tfrecord([_example(col_2d=[7, 1, 2, 3], col_1d=[4, 5])]))
    s = ds.Schema()
    s.add_column("col_1d", de_type=mstype.string, shape=[2])
    with pytest.raises(RuntimeError, match="The data type loaded from the example for feature name: col_1d does not "
                                           "match the predefined type in schema, the actual type: int64, but the "
                                           "predefined type: string"):
        _epochs(ds.TFRecordDataset(str(path), schema=s, shuffle=False))
    s = ds.Schema()
    s.add_column("col_2d", de_type=mstype.int64, shape=[2, -1])
    s.add_column("col_1d", de_type=mstype.int32, shape=[-1, 1])
    row = next(ds.TFRecordDataset(str(path), schema=s, shuffle=False).create_dict_iterator(output_numpy=True))
    # (w1.py: MindSpore 2.10 fills the -1 dimension from the values)
    assert row["col_2d"].tolist() == [[7, 1], [2, 3]] and row["col_1d"].dtype == np.int32
    assert row["col_1d"].tolist() == [[4], [5]]


def test_numrows_of_the_schema(five, tmp_path):
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({"columns": {"scalars": {"type": "int64", "rank": 1}}, "numRows": 7}))
    data = ds.TFRecordDataset(five[0], schema=str(schema), shuffle=False)
    assert data.get_dataset_size() == 7 and _epochs(data) == [[1, 2, 3, 4, 5, 6, 7]]


# --- Dataset.save (s1.py) ---------------------------------------------------------------------------------------------

def _gen():
    for i in range(7):
        yield (np.array(i, np.uint8), np.array([i, i + 1], np.uint32), np.array([[1.5, i]], np.float16),
               np.array(b"ab%d" % i), np.array("s%d" % i), np.array(i % 2 == 0), np.array([i], np.uint64))


_COLS = ["a.b", "arr", "f16", "by", "st", "flag", "u64"]


def test_save_schema_and_rows(tmp_path):
    name = str(tmp_path / "one")
    ds.GeneratorDataset(_gen, _COLS, shuffle=False).save(name)
    r = FileReader(name)
    assert sorted(r.schema().items()) == [  # (MindSpore 2.10's FileReader of its own saved file)
        ("a_b", {"type": "int32"}), ("arr", {"shape": [-1], "type": "int64"}), ("by", {"type": "bytes"}),
        ("f16", {"shape": [-1, 2], "type": "float32"}), ("flag", {"type": "int32"}), ("st", {"type": "string"}),
        ("u64", {"shape": [-1], "type": "int64"})]
    r.close()
    m = ds.MindDataset(name, shuffle=False)
    rows = list(m.create_dict_iterator(num_epochs=1, output_numpy=True))
    assert m.get_col_names() == ["a_b", "arr", "by", "f16", "flag", "st", "u64"] and len(rows) == 7
    got = {k: (v.dtype.str, v.shape, v.tolist()) for k, v in sorted(rows[0].items())}
    assert got == {"a_b": ("<i4", (), 0), "arr": ("<i8", (2,), [0, 1]), "by": ("|S3", (1,), [b"ab0"]),
                   "f16": ("<f4", (1, 2), [[1.5, 0.0]]), "flag": ("<i4", (), 1), "st": ("<U2", (), "s0"),
                   "u64": ("<i8", (1,), [0])}


def test_save_several_files(tmp_path):
    name = str(tmp_path / "many")
    ds.GeneratorDataset(_gen, _COLS, shuffle=False).save(name, 3)
    assert sorted(os.listdir(tmp_path)) == ["many0", "many0.db", "many1", "many1.db", "many2", "many2.db"]
    # (any one of them reads all 7 rows; MindSpore spreads the rows over the files at random, not followed)
    assert ds.MindDataset(name + "1", shuffle=False).get_dataset_size() == 7
    assert sorted(int(r["a_b"]) for r in ds.MindDataset(name + "1").create_dict_iterator(output_numpy=True)) == \
        list(range(7))


def test_save_errors(tmp_path):
    d = ds.GeneratorDataset(_gen, _COLS, shuffle=False)
    name = str(tmp_path / "x")
    with pytest.raises(ValueError, match="num_files should between 0 and 1000."):
        d.save(name, 0)
    with pytest.raises(ValueError, match="tfrecord dataset format is not supported."):
        d.save(name, 1, "tfrecord")
    with pytest.raises(TypeError, match=r"Argument num_files with value 1.5 is not of type \[<class 'int'>\], but "
                                        r"got <class 'float'>\."):
        d.save(name, 1.5)

    def strings():
        yield (np.array([["a", "b"]]),)

    with pytest.raises(RuntimeError, match="Invalid data, mindrecord can not support multi-dimensional string tensor"):
        ds.GeneratorDataset(strings, ["s"]).save(name)

    def byte_pair():
        yield (np.array([b"a", b"b"]),)

    with pytest.raises(RuntimeError, match="Currently, multi-dimensional bytes cannot be converted to MindRecord"):
        ds.GeneratorDataset(byte_pair, ["s"]).save(name)

    def dynamic():
        for i in range(4):
            yield (np.arange(5 * (1 + i // 2)).reshape([5, -1]),)

    with pytest.raises(RuntimeError, match="Tensor with dynamic shape do not currently support saving"):
        ds.GeneratorDataset(dynamic, ["d"]).save(name + "d")
    d.save(name + "2")
    with pytest.raises(RuntimeError, match="Invalid file, mindrecord files already exist"):
        d.save(name + "2")


# --- MindDataset Shuffle.PARTIAL (p1.py: files of 5, 4, 3, 2 rows, labels 0 .. 13) ---------------------------------

def _labels(data, n=2):
    it = data.create_tuple_iterator(num_epochs=n, output_numpy=True)
    return [[int(r[0]) for r in it] for _ in range(n)]


def test_partial_orders(tmp_path, seed, monkeypatch):
    files = _files(tmp_path, [5, 4, 3, 2])
    seed(1234)
    assert _labels(ds.MindDataset(files, shuffle=Shuffle.PARTIAL)) == [
        [1, 10, 5, 0, 11, 13, 9, 3, 2, 12, 6, 7, 8, 4], [6, 3, 8, 10, 13, 0, 1, 7, 9, 5, 11, 2, 4, 12]]
    seed(7)
    assert _labels(ds.MindDataset(files, shuffle=Shuffle.PARTIAL, num_shards=3, shard_id=1)) == [
        [8, 11, 2, 5, 13], [5, 10, 1, 8, 4]]
    seed(0)
    monkeypatch.setenv("MS_DEV_MINDRECORD_SHARD_BY_BLOCK", "true")
    assert _labels(ds.MindDataset(files, shuffle=Shuffle.PARTIAL, num_shards=8, shard_id=5)) == [[2, 1], [8, 7]]


# --- engine.iterators' list and _c_dataengine.Tensor (MindSpore 2.10's own test_iterator / test_tensor_string) -------

def test_iterators_list_and_cleanup():
    from gradserve._c_dataengine import Tensor as CTensor
    from gradserve.dataset.engine.iterators import ITERATORS_LIST, _cleanup

    ITERATORS_LIST.clear()
    data = ds.NumpySlicesDataset([1, 2, 3], shuffle=False)
    first, second = data.create_tuple_iterator(num_epochs=1), data.create_tuple_iterator(num_epochs=1)
    assert len(ITERATORS_LIST) == 2
    del first
    assert len(ITERATORS_LIST) == 1 and ITERATORS_LIST[0]() is second
    _cleanup()
    assert ITERATORS_LIST == []
    with pytest.raises(AttributeError, match="object has no attribute '_runtime_context'"):
        next(second)
    strings = np.array([["ab", "cde", "121"], ["x", "km", "789"]], dtype=np.bytes_)
    np.testing.assert_array_equal(CTensor(strings).as_array(), strings)
