"""mindspore.dataset.RandomSampler, sampler chaining (add_child), mindspore.mindrecord FileWriter / FileReader and
dataset.MindDataset (benchmarks/mindspore_suite/README.md, "dataset RandomSampler and MindRecord, round 6").
Expected values: MindSpore 2.10 CPU runs (/work/ms_suite_dataset6/probe/r1.py, r2.py, w1.py - w4.py, x1.py), written
here as literals; the page bytes are those of a file MindSpore 2.10's FileWriter wrote. None is gradserve's output."""
import json
import os
import struct

import numpy as np
import pytest

import gradserve.dataset as ds
from gradserve.mindrecord import FileReader, FileWriter, set_enc_key


@pytest.fixture
def seed():
    old = ds.config.get_seed()
    yield lambda s: ds.config.set_seed(s)
    ds.config.set_seed(old)


def _epochs(d, n):
    it = d.create_tuple_iterator(num_epochs=n, output_numpy=True)
    return [[int(r[0]) for r in it] for _ in range(n)]


# --- RandomSampler (r1.py): MindSpore 2.10's orders for a set seed ---------------------------------------------------

@pytest.mark.parametrize("s, n, want", [
    (0, 2, [[0, 1], [1, 0]]),
    (0, 5, [[2, 4, 3, 0, 1], [4, 2, 3, 0, 1]]),
    (0, 10, [[0, 2, 1, 5, 9, 8, 4, 7, 6, 3], [3, 0, 1, 8, 7, 9, 4, 5, 2, 6]]),
    (1, 17, [[10, 11, 6, 14, 13, 4, 12, 7, 5, 1, 9, 0, 2, 8, 3, 15, 16],
             [4, 3, 6, 13, 2, 9, 8, 15, 11, 14, 1, 0, 16, 10, 12, 7, 5]]),
    (1234, 10, [[5, 3, 0, 8, 2, 7, 1, 6, 4, 9], [5, 3, 8, 9, 4, 1, 7, 2, 6, 0]]),
])
def test_random_sampler_permutations(seed, s, n, want):
    seed(s)
    assert _epochs(ds.NumpySlicesDataset(np.arange(n), sampler=ds.RandomSampler()), 2) == want


def test_random_sampler_300_rows(seed):
    seed(7)  # MindSpore 2.10's first 30 of 300 (past the range where libstdc++'s newer draw method would differ)
    got = _epochs(ds.NumpySlicesDataset(np.arange(300), sampler=ds.RandomSampler()), 1)[0]
    assert got[:30] == [220, 76, 207, 52, 129, 87, 217, 45, 32, 27, 10, 290, 173, 248, 3, 239, 56, 169, 155, 74, 224,
                        82, 154, 103, 120, 15, 53, 150, 294, 33]
    assert sorted(got) == list(range(300))


@pytest.mark.parametrize("s, n, want", [
    (0, 10, [[5, 5, 7, 8, 6, 8, 5, 8, 4, 6], [4, 9, 7, 9, 0, 1, 3, 9, 1, 2]]),
    (5, 17, [[3, 0, 14, 14, 3, 6, 15, 16, 8, 1, 10, 6, 13, 6, 8, 8, 5],
             [15, 16, 5, 3, 13, 1, 0, 6, 1, 16, 10, 1, 9, 10, 7, 9, 5]]),
])
def test_random_sampler_with_replacement(seed, s, n, want):
    seed(s)
    assert _epochs(ds.NumpySlicesDataset(np.arange(n), sampler=ds.RandomSampler(replacement=True)), 2) == want


def test_random_sampler_num_samples(seed):
    seed(0)
    d = ds.NumpySlicesDataset(np.arange(10), sampler=ds.RandomSampler(num_samples=4))
    assert _epochs(d, 2) == [[0, 2, 1, 5], [3, 0, 1, 8]] and d.get_dataset_size() == 4
    # with replacement, 15 draws over 10 rows give 10 (MindSpore 2.10 caps num_samples at the rows)
    d = ds.NumpySlicesDataset(np.arange(10), sampler=ds.RandomSampler(replacement=True, num_samples=15))
    assert _epochs(d, 1) == [[5, 5, 7, 8, 6, 8, 5, 8, 4, 6]] and d.get_dataset_size() == 10


def test_random_sampler_reseeds_at_each_pass_of_a_repeat(seed):
    seed(0)  # r3.py: every pass over the rows (a repeat's, an epoch's) is seed + pass
    d = ds.NumpySlicesDataset(np.arange(5), sampler=ds.RandomSampler()).repeat(2)
    assert _epochs(d, 2) == [[2, 4, 3, 0, 1, 4, 2, 3, 0, 1], [0, 4, 3, 1, 2, 1, 2, 0, 3, 4]]
    d = ds.NumpySlicesDataset(np.arange(5), sampler=ds.RandomSampler(replacement=True)).repeat(2)
    assert _epochs(d, 2) == [[2, 2, 3, 4, 3, 2, 4, 3, 4, 0], [2, 0, 0, 4, 2, 2, 0, 3, 4, 1]]
    # r4.py: get_dataset_size between epochs does not move the running iterator's passes
    d = ds.NumpySlicesDataset(np.arange(5), sampler=ds.RandomSampler())
    it = d.create_tuple_iterator(num_epochs=3, output_numpy=True)
    out = []
    for _ in range(3):
        out += [[int(r[0]) for r in it], d.get_dataset_size()]
    assert out == [[2, 4, 3, 0, 1], 5, [4, 2, 3, 0, 1], 5, [0, 4, 3, 1, 2], 5]


def test_chained_samplers(seed):
    seed(0)
    s = ds.RandomSampler()
    s.add_child(ds.SequentialSampler(start_index=2, num_samples=5))
    d = ds.NumpySlicesDataset(np.arange(10), sampler=s)
    assert _epochs(d, 2) == [[4, 6, 5, 2, 3], [6, 4, 5, 2, 3]] and d.get_dataset_size() == 5
    s = ds.SequentialSampler(start_index=1, num_samples=3)
    s.add_child(ds.RandomSampler())
    d = ds.NumpySlicesDataset(np.arange(10), sampler=s)
    assert _epochs(d, 2) == [[2, 1, 5], [0, 1, 8]] and d.get_dataset_size() == 3
    s = ds.RandomSampler(num_samples=3)
    s.add_child(ds.RandomSampler(num_samples=6))
    assert _epochs(ds.NumpySlicesDataset(np.arange(10), sampler=s), 2) == [[0, 1, 2], [1, 3, 0]]


def test_chained_sampler_with_repeat():
    # test_datasets_lfw's chain: RandomSampler over a SequentialSampler, 4 rows, repeat 3 -> 12
    sampler = ds.RandomSampler()
    sampler.add_child(ds.SequentialSampler())
    d = ds.NumpySlicesDataset(np.arange(4), sampler=sampler).repeat(3)
    assert d.get_dataset_size() == 12 and sum(1 for _ in d.create_tuple_iterator(num_epochs=1)) == 12


@pytest.mark.parametrize("kwargs, cls, text", [
    (dict(replacement=1), TypeError, "replacement must be a boolean value but was: 1."),
    (dict(num_samples=-1), ValueError, r"num_samples exceeds the boundary between 0 and 9223372036854775807\(INT64_MAX\)!"),
    (dict(num_samples="a"), TypeError, "num_samples must be integer but was: a."),
    (dict(shuffle=1), TypeError, "shuffle must be valid shuffle mode but was: 1."),
])
def test_random_sampler_refusals(kwargs, cls, text):
    with pytest.raises(cls, match=text):
        ds.RandomSampler(**kwargs)


def test_add_child_refusals():
    s = ds.RandomSampler()
    with pytest.raises(AttributeError, match="'int' object has no attribute 'get_shuffle_mode'"):
        s.add_child(5)
    s.add_child(ds.SequentialSampler())
    with pytest.raises(RuntimeError, match="Cannot add child sampler, this sampler already has a child."):
        s.add_child(ds.SequentialSampler())
    assert isinstance(s.get_child(), ds.SequentialSampler) and s.get_num_samples() is None
    assert [m.value for m in ds.Shuffle] == ["false", "adaptive", "global", "partial", "files", "infile"]


# --- MindRecord files (w1.py: MindSpore 2.10 wrote a.mr0 of 5 rows in 2 shards; these are its bytes) ---------------

_W1_HEADER = ('{"header_size":16777216,"index_fields":[{"index_field":"id","schema_id":0},{"index_field":"name",'
              '"schema_id":0}],"page":[{"end_row_id":3,"page_id":0,"page_size":192,"page_type":"BLOB_DATA",'
              '"page_type_id":0,"row_group_ids":[{"id":0,"offset":0}],"shard_id":0,"start_row_id":0},{"end_row_id":0,'
              '"page_id":1,"page_size":84,"page_type":"RAW_DATA","page_type_id":0,"row_group_ids":[{"id":0,"offset":0}],'
              '"shard_id":0,"start_row_id":0}],"page_size":33554432,"compression_size":98,"schema":[{"blob_fields":'
              '["arr","data","f"],"desc":"s","schema":{"arr":{"shape":[-1],"type":"int64"},"data":{"type":"bytes"},'
              '"f":{"shape":[2,2],"type":"float32"},"id":{"type":"int32"},"name":{"type":"string"},"r":{"type":'
              '"float64"}}}],"shard_addresses":["a.mr0"],"shard_id":0,"statistics":null,"version":"3.0"}')
_W1_BLOB = (b'4\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\n\x00\x00\x00\x04\x04\x00\xff,\x01\x00\x00\x00'
            b'\x00\x00\x00\x00\x00\x02xy\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
            b'\x00\x00\x00\x00\x009\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\r\x00\x00\x00\x04\x06\x01'
            b'\xff,\x01p\x11\x01\x00\x00\x00\x00\x00\x00\x00\x00\x04xyxy\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x80?'
            b'\x00\x00\x80?\x00\x00\x80?\x00\x00\x80?;\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\r\x00'
            b'\x00\x00\x04\x06\x02\xff,\x01\xe0"\x02\x00\x00\x00\x00\x00\x00\x00\x00\x06xyxyxy\x00\x00\x00\x00\x00\x00'
            b'\x00\x10\x00\x00\x00@\x00\x00\x00@\x00\x00\x00@\x00\x00\x00@')
_W1_RAW = (b'\x14\x00\x00\x00\x00\x00\x00\x00\x83\xa2id\x00\xa4name\xa2n0\xa1r\xca\x00\x00\x00\x00\x14\x00\x00\x00\x00'
           b'\x00\x00\x00\x83\xa2id\x01\xa4name\xa2n1\xa1r\xca>\x80\x00\x00\x14\x00\x00\x00\x00\x00\x00\x00\x83\xa2id'
           b'\x02\xa4name\xa2n2\xa1r\xca?\x00\x00\x00')
_W1_SCHEMA = {"id": {"type": "int32"}, "name": {"type": "string"}, "r": {"type": "float64"}, "data": {"type": "bytes"},
              "arr": {"type": "int64", "shape": [-1]}, "f": {"type": "float32", "shape": [2, 2]}}


def _w1_rows(n):
    return [{"id": i, "name": "n%d" % i, "r": i / 4, "data": b"xy" * (i + 1),
             "arr": np.array([i, -1, 300, 70000 * i], np.int64), "f": np.full((2, 2), i, np.float32)} for i in range(n)]


def _pages(path):
    b = open(path, "rb").read()
    h = json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])
    return {p["page_type"]: b[h["header_size"] + p["page_id"] * h["page_size"]:][:p["page_size"]] for p in h["page"]}


def test_reads_a_file_mindspore_wrote(tmp_path):
    path = str(tmp_path / "a.mr0")  # (its first shard, its shard list cut to itself)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(_W1_HEADER)) + _W1_HEADER.encode())
        f.seek(16777216)
        f.write(_W1_BLOB)
        f.seek(16777216 + 33554432)
        f.write(_W1_RAW)
    d = ds.MindDataset(path, shuffle=False)
    assert d.get_col_names() == ["arr", "data", "f", "id", "name", "r"] and d.get_dataset_size() == 3
    rows = list(d.create_dict_iterator(num_epochs=1, output_numpy=True))
    want = _w1_rows(3)
    for got, w in zip(rows, want):
        assert got["arr"].dtype == np.int64 and got["arr"].tolist() == w["arr"].tolist()
        assert got["data"].dtype.kind == "S" and got["data"].shape == (1,) and got["data"].tobytes() == w["data"]
        assert got["f"].dtype == np.float32 and got["f"].tolist() == w["f"].tolist()
        assert got["id"].dtype == np.int32 and int(got["id"]) == w["id"] and str(got["name"]) == w["name"]
        assert got["r"].dtype == np.float64 and float(got["r"]) == w["r"]
    assert [r["name"] for r in FileReader(path).get_next()] == ["n0", "n1", "n2"]


def test_writes_mindspores_pages(tmp_path):
    w = FileWriter(str(tmp_path / "a.mr"), 2)
    w.add_schema(_W1_SCHEMA, "s")
    w.add_index(["id", "name"])
    w.write_raw_data(_w1_rows(5))
    w.commit()
    assert _pages(str(tmp_path / "a.mr0")) == {"BLOB_DATA": _W1_BLOB, "RAW_DATA": _W1_RAW}
    assert sorted(os.listdir(tmp_path)) == ["a.mr0", "a.mr0.db", "a.mr1", "a.mr1.db"]
    rows = list(FileReader(str(tmp_path / "a.mr0")).get_next())  # (FileReader: Python scalars, bytes, arrays)
    assert [r["id"] for r in rows] == [0, 1, 2, 3, 4] and rows[4]["data"] == b"xy" * 5 and rows[1]["r"] == 0.25


def test_int_arrays_compressed_as_mindspore():
    from gradserve.mindrecord._format import compress_ints, decompress_ints
    # w2.py: MindSpore 2.10's blob of int32 [1, 2, -70000, 5, 9] and int64 [2**40, -3, 7]
    a32, a64 = np.array([1, 2, -70000, 5, 9], np.int32), np.array([2**40, -3, 7], np.int64)
    assert compress_ints(a32) == b"\x00\x00\x00\x05\x08\x00\x01\x02\x90\xee\xfe\xff\x05\t"
    assert compress_ints(a64) == b"\x00\x00\x00\x03\xc0\x00\x00\x00\x00\x00\x01\x00\x00\xfd\x07"
    assert decompress_ints(compress_ints(a64), np.int64).tolist() == a64.tolist()


@pytest.fixture
def ten_rows(tmp_path):
    w = FileWriter(str(tmp_path / "c.mr"), 4)
    w.add_schema({"id": {"type": "int32"}}, "s")
    w.write_raw_data([{"id": i} for i in range(10)])
    w.commit()
    return str(tmp_path / "c.mr0")


def _ids(d, e=1):
    it = d.create_dict_iterator(num_epochs=e, output_numpy=True)
    return [[int(r["id"]) for r in it] for _ in range(e)]


@pytest.mark.parametrize("ns, want", [  # w3.py: shuffle=False, every shard
    (3, [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]),
    (4, [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]),
    (11, [[0], [1], [2], [3], [4], [5], [6], [7], [8], [9], [0]]),
])
def test_minddataset_shards(ten_rows, ns, want):
    assert [_ids(ds.MindDataset(ten_rows, shuffle=False, num_shards=ns, shard_id=s))[0] for s in range(ns)] == want


def test_minddataset_orders(ten_rows, seed):
    assert _ids(ds.MindDataset(ten_rows, shuffle=False)) == [list(range(10))]
    assert _ids(ds.MindDataset(ten_rows, shuffle=False, num_samples=4)) == [[0, 1, 2, 3]]
    assert [_ids(ds.MindDataset(ten_rows, shuffle=False, num_shards=3, shard_id=s, num_samples=2))[0]
            for s in range(3)] == [[0, 3], [1, 4], [2, 5]]
    assert _ids(ds.MindDataset(ten_rows, sampler=ds.SequentialSampler(2, 5))) == [[2, 3, 4, 5, 6]]
    assert _ids(ds.MindDataset(ten_rows, sampler=ds.DistributedSampler(3, 1, shuffle=False))) == [[1, 4, 7, 0]]
    pad = [_ids(ds.MindDataset(ten_rows, ["id"], shuffle=False, num_shards=4, shard_id=s, padded_sample={"id": -1},
                               num_padded=2))[0] for s in range(4)]
    assert pad == [[0, 4, 8], [1, 5, 9], [2, 6, -1], [3, 7, -1]]
    with pytest.raises(RuntimeError, match="padded_sample is specified and requires columns_list as well."):
        ds.MindDataset(ten_rows, padded_sample={"id": -1}, num_padded=2)


@pytest.mark.parametrize("s, shuf, shards", [  # w4.py: the global shuffle's 3 epochs; shard 0 and 1 of 3, 2 epochs
    (0, [[2, 7, 1, 6, 8, 0, 4, 9, 5, 3], [5, 2, 8, 9, 7, 3, 4, 0, 1, 6], [9, 7, 4, 6, 8, 1, 3, 5, 0, 2]],
     [[[2, 6, 4, 3], [8, 7, 6, 3]], [[7, 8, 9, 2], [0, 1, 5, 8]]]),
    (1234, [[7, 3, 0, 6, 1, 5, 2, 9, 8, 4], [3, 9, 6, 5, 8, 4, 2, 0, 1, 7], [1, 3, 7, 0, 9, 6, 4, 8, 5, 2]],
     [[[7, 6, 2, 4], [1, 5, 6, 0]], [[3, 1, 9, 7], [7, 8, 2, 1]]]),
])
def test_minddataset_seeded_shuffle(ten_rows, seed, s, shuf, shards):
    seed(s)
    assert _ids(ds.MindDataset(ten_rows), 3) == shuf
    assert _ids(ds.MindDataset(ten_rows, shuffle=ds.Shuffle.GLOBAL), 3) == shuf
    assert _ids(ds.MindDataset(ten_rows, sampler=ds.RandomSampler()), 2) == shuf[:2]
    assert _ids(ds.MindDataset(ten_rows, sampler=ds.RandomSampler(num_samples=4))) == [shuf[0][:4]]
    assert [_ids(ds.MindDataset(ten_rows, num_shards=3, shard_id=k), 2) for k in range(2)] == shards


def test_minddataset_refusals(tmp_path):
    empty = tmp_path / "e"
    empty.write_bytes(b"")
    with pytest.raises(RuntimeError, match="Invalid file, the size of mindrecord file: "):
        ds.MindDataset(str(empty))
    with pytest.raises(NotImplementedError, match="encrypted MindRecord files"):
        set_enc_key("abcdefghijklmnop01234567")
    set_enc_key(None)
