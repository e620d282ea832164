"""mindspore.dataset file datasets MindSpore's own dataset tests use (benchmarks/mindspore_suite/README.md, "dataset
file datasets, round 4"): ImageFolderDataset, MnistDataset, TFRecordDataset, num_samples=0 of the file datasets, the
pipeline getters (len, num_classes, get_repeat_count). Expected values and
texts: MindSpore 2.10 CPU runs over the same folders and files (/work/ms_suite_dataset4/probe/p1.py - p14.py; the folders
are the ones the fixtures write), written here; none is gradserve's own output."""
import struct
import wave

import numpy as np
import pytest

import gradserve.dataset as ds
from clients.test_mindspore_suite56 import _bmp  # (a 24-bit BMP file's bytes)


@pytest.fixture
def folder(tmp_path):
    """probe/imf as p2.py read it: classes Beta, alpha, empty, zeta; each file holds its own name's bytes."""
    files = {"alpha": {"b.JPG": "a1", "a.jpg": "a2", "c.png": "a3"}, "zeta": {"x.jpeg": "z1"},
             "Beta": {"y.bmp": "B1", "q.txt": "B2"}, "empty": {}}
    files["zeta"].update({f"{n}.jpg": f"f{n}" for n in ["m", "k", "10", "9", "_u", "Zz"]})
    for cls, named in files.items():
        (tmp_path / cls).mkdir()
        for name, body in named.items():
            (tmp_path / cls / name).write_bytes(body.encode())
    return str(tmp_path)


def _rows(data):
    return [(r["image"].tobytes().decode(), int(r["label"])) for r in data.create_dict_iterator(output_numpy=True)]


_ALL = [("B2", 0), ("B1", 0), ("a2", 1), ("a1", 1), ("a3", 1), ("f10", 3), ("f9", 3), ("fZz", 3), ("f_u", 3),
        ("fk", 3), ("fm", 3), ("z1", 3)]


# MindSpore 2.10 (p2.py): classes and files in sorted (code point) order, an empty folder is a class
@pytest.mark.parametrize("kw, size, indexing, rows", [
    ({}, 12, {"Beta": 0, "alpha": 1, "empty": 2, "zeta": 3}, _ALL),
    ({"num_samples": 0}, 12, {"Beta": 0, "alpha": 1, "empty": 2, "zeta": 3}, _ALL),
    ({"class_indexing": {"zeta": 0, "alpha": 5}}, 12, {"zeta": 0, "alpha": 5},
     [("a2", 5), ("a1", 5), ("a3", 5)] + [(f, 0) for f, _ in _ALL[5:]]),
    ({"extensions": [".JPG", ".bmp"], "class_indexing": {"zeta": 0, "alpha": 5}}, 2, {"zeta": 0, "alpha": 5},
     [("a1", 5)]),
    ({"extensions": [".jpg", ".png"]}, 8, None, [("a2", 1), ("a3", 1)] + _ALL[5:11]),  # (p6.py)
    ({"num_samples": 3}, 3, None, _ALL[:3]),
    ({"num_samples": 5, "num_shards": 2, "shard_id": 0}, 5, None, [_ALL[i] for i in (0, 2, 4, 6, 8)]),
])
def test_image_folder_rows(folder, kw, size, indexing, rows):
    data = ds.ImageFolderDataset(folder, shuffle=False, **kw)
    assert data.get_col_names() == ["image", "label"]
    assert data.get_dataset_size() == size
    if indexing is not None:
        assert data.get_class_indexing() == indexing and data.num_classes() == len(indexing)
    assert _rows(data) == rows
    r = next(iter(data.create_tuple_iterator(output_numpy=True)))
    assert r[0].dtype == np.uint8 and r[0].ndim == 1 and r[1].dtype == np.int32 and r[1].shape == ()


def test_image_folder_samplers(folder):
    # MindSpore 2.10 (p2.py)
    assert _rows(ds.ImageFolderDataset(folder, sampler=ds.SequentialSampler(2, 3))) == _ALL[2:5]
    data = ds.ImageFolderDataset(folder, sampler=ds.DistributedSampler(3, 2, shuffle=False))
    assert data.get_dataset_size() == 4 and _rows(data) == [("a2", 1), ("f10", 3), ("f_u", 3), ("z1", 3)]
    assert sorted(_rows(ds.ImageFolderDataset(folder))) == sorted(_ALL)  # (shuffled: an order of its own)


def test_image_folder_refusals(folder, tmp_path):
    # MindSpore 2.10 (p1.py, p2.py): texts
    with pytest.raises(TypeError, match=r"Argument extensions with value .jpg is not of type \[<class 'list'>\]"):
        ds.ImageFolderDataset(folder, extensions=".jpg")
    with pytest.raises(TypeError, match=r"Argument decode with value 1 is not of type \[<class 'bool'>\]"):
        ds.ImageFolderDataset(folder, decode=1)
    with pytest.raises(TypeError, match=r"Argument class_indexing with value \[1\] is not of type \[<class 'dict'>\]"):
        ds.ImageFolderDataset(folder, class_indexing=[1])
    with pytest.raises(ValueError, match="The folder /nonexist does not exist or is not a directory"):
        ds.ImageFolderDataset("/nonexist")
    with pytest.raises(RuntimeError, match=r"Invalid subdirectory, class: nope doesn't exist in "):
        ds.ImageFolderDataset(folder, shuffle=False, class_indexing={"nope": 1}).get_dataset_size()
    empty = ds.ImageFolderDataset(folder, shuffle=False, extensions=[".gif"])
    assert empty.get_dataset_size() == 0
    with pytest.raises(RuntimeError, match="Invalid data, ImageFolderDataset API can't read the data file"):
        _rows(empty)
    (tmp_path / "alpha" / "sub").mkdir()
    with pytest.raises(RuntimeError, match=r"Invalid file found: .*alpha/sub, should be file, but got directory."):
        _rows(ds.ImageFolderDataset(folder, shuffle=False))
    with pytest.raises(RuntimeError, match=r"Invalid image, .*Beta/q.txt decode failed, the image is broken"):
        list(ds.ImageFolderDataset(folder, shuffle=False, decode=True).create_tuple_iterator(output_numpy=True))


def test_image_folder_decode(tmp_path):
    # MindSpore 2.10 (p3.py): decode=True gives a BMP's / PNG's pixels as RGB HWC uint8 (equal to the file's pixels)
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 13
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "i.bmp").write_bytes(_bmp(img))
    (r,) = ds.ImageFolderDataset(str(tmp_path), decode=True).create_tuple_iterator(output_numpy=True)
    assert r[0].dtype == np.uint8 and np.array_equal(r[0], img) and int(r[1]) == 0
    (tmp_path / "c" / "j.jpg").write_bytes(b"\xff\xd8\xff\xe0rest")  # (JPEG through Pillow: test_mindspore_jpeg.py)
    pytest.importorskip("PIL")
    # MindSpore 2.10 (/work/ms_suite_jpeg53/probe/p7.py) on these bytes
    with pytest.raises(RuntimeError, match=r"Invalid image, .*j\.jpg decode failed, the image is broken"):
        list(ds.ImageFolderDataset(str(tmp_path), decode=True, shuffle=False).create_tuple_iterator())


@pytest.fixture
def mnist(tmp_path):
    """probe/mkmn.py's files: 5 train and 3 t10k images of seeded random pixels."""
    rng = np.random.default_rng(0)
    for prefix, n in [("train", 5), ("t10k", 3)]:
        img = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        lab = rng.integers(0, 10, n, dtype=np.uint8)
        (tmp_path / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">iiii", 2051, n, 28, 28) + img.tobytes())
        (tmp_path / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">ii", 2049, n) + lab.tobytes())
    return str(tmp_path)


# MindSpore 2.10 (p4.py): (pixel sum, label) of each row; "all" is t10k's rows, then train's
_TRAIN = [(97627, 4), (98812, 7), (100649, 6), (101368, 4), (99015, 8)]
_TEST = [(99162, 6), (103218, 0), (100028, 7)]


@pytest.mark.parametrize("kw, rows", [
    ({}, _TEST + _TRAIN), ({"usage": "train"}, _TRAIN), ({"usage": "test", "num_samples": 2}, _TEST[:2]),
    ({"num_samples": 0}, _TEST + _TRAIN), ({"num_shards": 3, "shard_id": 2}, [_TEST[2], _TRAIN[2], _TEST[0]]),
])
def test_mnist_rows(mnist, kw, rows):
    data = ds.MnistDataset(mnist, shuffle=False, **kw)
    assert data.get_col_names() == ["image", "label"] and data.get_dataset_size() == len(rows)
    got = list(data.create_tuple_iterator(output_numpy=True))
    assert all(i.shape == (28, 28, 1) and i.dtype == np.uint8 and lab.dtype == np.uint32 for i, lab in got)
    assert [(int(i.astype(np.int64).sum()), int(lab)) for i, lab in got] == rows


def test_mnist_refusals(mnist):
    # MindSpore 2.10 (p4.py)
    with pytest.raises(ValueError, match=r"Input usage is not within the valid set of \['train', 'test', 'all'\]."):
        ds.MnistDataset(mnist, usage="foo")
    with pytest.raises(ValueError, match="The folder /nonexist does not exist or is not a directory"):
        ds.MnistDataset("/nonexist")


def test_speech_num_samples_zero_is_every_row(tmp_path):
    # MindSpore 2.10 (p5.py): LJSpeechDataset(num_samples=0) gives every row (3 of the mirror's 3); gradserve gave none
    (tmp_path / "wavs").mkdir()
    for name in ["a1", "b2"]:
        with wave.open(str(tmp_path / "wavs" / f"{name}.wav"), "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(16000)
            f.writeframes(np.array([1, -1], "<i2").tobytes())
    (tmp_path / "metadata.csv").write_text("a1|one|One\nb2|two|Two\n")
    data = ds.LJSpeechDataset(str(tmp_path), num_samples=0, shuffle=False)
    assert len(list(data.create_tuple_iterator(output_numpy=True))) == 2


# probe/t1.tfrecord as probe/tfw.py wrote it (an independent writer: CRC-32C and protobuf by hand) and MindSpore 2.10
# read it (p9.py, p10.py): two tf.train.Example records with features s: bytes [b"ab", b"cde"] / [b"q", b""],
# b: bytes [b"xyz"] / [b"\0\xff"], f: float [1.5, -2.25, 3, 4] / [0.1, 0.2, 0.3, 0.4], i: int64 [-1, 2**40, 3, 4] /
# [5, 6, 7, 8], one: int64 [7] / [9]
_TFRECORD = bytes.fromhex(
    "6800000000000000fe9c7ad40a660a100a0173120b0a090a0261620a036364650a0c0a016212070a050a0378797a0a190a01"
    "66121412120a100000c03f000010c000004040000080400a1b0a016912161a140a12ffffffffffffffffff01808080808020"
    "03040a0c0a036f6e6512051a030a0107f4ffc8ff5500000000000000d7df0fc10a530a0c0a017312070a050a01710a000a0b"
    "0a016212060a040a0200ff0a190a0166121412120a10cdcccc3dcdcc4c3e9a99993ecdcccc3e0a0d0a016912081a060a0405"
    "0607080a0c0a036f6e6512051a030a0109e19b41f0")
_F32 = np.float32([0.1, 0.2, 0.3, 0.4])


@pytest.fixture
def tfrecord(tmp_path):
    (tmp_path / "t1.tfrecord").write_bytes(_TFRECORD)
    return tmp_path


def _schema(tmp_path, columns):
    import json
    (tmp_path / "s.json").write_text(json.dumps({"columns": columns}))
    return str(tmp_path / "s.json")


def _tf_rows(data):
    rows = data.create_dict_iterator(output_numpy=True)
    return [{k: (v.dtype, v.shape, v.tolist()) for k, v in r.items()} for r in rows]


def test_tfrecord_without_schema(tfrecord):
    # MindSpore 2.10 (p9.py): columns sorted by name; int64, float32, a bytes value's uint8 bytes
    path = str(tfrecord / "t1.tfrecord")
    assert ds.TFRecordDataset(path, shuffle=False).get_col_names() == ["b", "f", "i", "one", "s"]
    data = ds.TFRecordDataset(path, shuffle=False, columns_list=["one", "b", "f", "i"])
    assert data.get_col_names() == ["one", "b", "f", "i"] and data.get_dataset_size() == 2
    assert _tf_rows(data) == [
        {"one": (np.int64, (1,), [7]), "b": (np.uint8, (3,), [120, 121, 122]),
         "f": (np.float32, (4,), [1.5, -2.25, 3.0, 4.0]), "i": (np.int64, (4,), [-1, 2 ** 40, 3, 4])},
        {"one": (np.int64, (1,), [9]), "b": (np.uint8, (2,), [0, 255]), "f": (np.float32, (4,), _F32.tolist()),
         "i": (np.int64, (4,), [5, 6, 7, 8])}]
    # (p12.py: one worker reads the files one after the other; two workers interleave their rows: MindSpore 2.10's
    # [7, 7, 9, 9], h-dataset8's probe t4.py)
    data = ds.TFRecordDataset([path, path], shuffle=False, num_samples=3, columns_list=["one"], num_parallel_workers=1)
    assert data.get_dataset_size() == 3 and [r["one"][2][0] for r in _tf_rows(data)] == [7, 9, 7]
    data = ds.TFRecordDataset([path, path], shuffle=False, columns_list=["one"], num_parallel_workers=2)
    assert data.get_dataset_size() == 4 and [r["one"][2][0] for r in _tf_rows(data)] == [7, 7, 9, 9]
    assert sorted(r["one"][2][0] for r in _tf_rows(ds.TFRecordDataset(path, columns_list=["one"]))) == [7, 9]


def test_tfrecord_schema(tfrecord):
    # MindSpore 2.10 (p9.py): the schema's type (int64 -> int32 wraps: 2**40 is 0), shape, rank 0 a scalar
    path = str(tfrecord / "t1.tfrecord")
    schema = _schema(tfrecord, {"one": {"type": "int64", "rank": 0}, "i": {"type": "int32", "rank": 1},
                                "f": {"type": "float32", "rank": 2, "shape": [2, 2]}})
    data = ds.TFRecordDataset(path, schema=schema, shuffle=False)
    assert data.get_col_names() == ["f", "i", "one"]
    assert _tf_rows(data)[0] == {"f": (np.float32, (2, 2), [[1.5, -2.25], [3.0, 4.0]]),
                                 "i": (np.int32, (4,), [-1, 0, 3, 4]), "one": (np.int64, (), 7)}
    data = ds.TFRecordDataset(path, schema=_schema(tfrecord, {"f": {"type": "float64", "rank": 1}}), shuffle=False)
    assert _tf_rows(data)[1] == {"f": (np.float64, (4,), _F32.astype(np.float64).tolist())}
    s = ds.Schema()
    s.add_column("one", "int64", [1])
    s.add_column("b", "uint8")
    assert _tf_rows(ds.TFRecordDataset(path, schema=s, shuffle=False)) == [
        {"one": (np.int64, (1,), [7]), "b": (np.uint8, (3,), [120, 121, 122])},
        {"one": (np.int64, (1,), [9]), "b": (np.uint8, (2,), [0, 255])}]
    strings = ds.TFRecordDataset(path, shuffle=False, schema=_schema(
        tfrecord, {"s": {"type": "string", "rank": 1}, "b": {"type": "string", "rank": 0}}))
    first = next(iter(strings.create_dict_iterator(output_numpy=True)))
    assert first["b"].shape == () and str(first["b"]) == "xyz" and first["s"].tolist() == ["ab", "cde"]
    with pytest.raises(RuntimeError, match="Failed to cast to Unicode string: UnicodeDecodeError: 'utf-8' codec "
                                           "can't decode byte 0xff in position 1: invalid start byte"):  # (p14.py)
        _tf_rows(strings)


def test_tfrecord_refusals(tfrecord):
    # MindSpore 2.10 (p9.py, p10.py): texts
    path = str(tfrecord / "t1.tfrecord")
    with pytest.raises(RuntimeError, match="Column shape of f defined in schema does not match the shape actually"):
        _tf_rows(ds.TFRecordDataset(path, schema=_schema(tfrecord, {"f": {"type": "float32", "rank": 1,
                                                                           "shape": [3]}})))
    with pytest.raises(RuntimeError, match="Feature name: nope is required in schema but could not be found"):
        _tf_rows(ds.TFRecordDataset(path, schema=_schema(tfrecord, {"nope": {"type": "int64", "rank": 1}})))
    with pytest.raises(RuntimeError, match="Invalid columns_list, tfrecord file failed to find column name: zz"):
        _tf_rows(ds.TFRecordDataset(path, columns_list=["zz"]))
    with pytest.raises(TypeError, match=r"Argument columns_list with value one is not of type \[<class 'list'>\]"):
        ds.TFRecordDataset(path, columns_list="one")
    with pytest.raises(ValueError, match=r"The following patterns did not match any files: \['nothere.tfrecord'\]"):
        ds.TFRecordDataset("nothere.tfrecord")
    bad = bytearray(_TFRECORD)
    for at in (8, 116, 128, 217):  # (every CRC zeroed)
        bad[at: at + 4] = bytes(4)
    (tfrecord / "t2.tfrecord").write_bytes(bytes(bad))
    with pytest.raises(RuntimeError, match="Syntax error.[\\s\\S]*Invalid file. The following files either cannot "
                                           "be opened, or are not valid TFRecordDataset files:\n    .*t2.tfrecord"):
        ds.TFRecordDataset(str(tfrecord / "t2.tfrecord"), schema=_schema(tfrecord, {"one": {"type": "int64"}}),
                           shuffle=False).get_dataset_size()
    with pytest.raises(NotImplementedError, match="column s: 2 bytes values"):  # (MindSpore: b"ab cde" as uint8)
        _tf_rows(ds.TFRecordDataset(path, columns_list=["s"]))


def test_pipeline_getters(folder, tfrecord):
    # MindSpore 2.10 (p13.py): len() is get_dataset_size(); num_classes through the steps; class_indexing={} is
    # every class; get_repeat_count the outermost repeat's count
    def image_folder(**kw):
        return ds.ImageFolderDataset(folder, shuffle=False, **kw)
    assert len(image_folder()) == 12 and len(image_folder().batch(5)) == 3
    assert image_folder().shuffle(4).num_classes() == 4 and image_folder().repeat(2).batch(2).num_classes() == 4
    assert ds.NumpySlicesDataset([1, 2, 3], shuffle=False).num_classes() is None
    assert len(ds.NumpySlicesDataset([1, 2, 3], shuffle=False)) == 3
    empty = image_folder(class_indexing={})
    assert empty.get_class_indexing() == {"Beta": 0, "alpha": 1, "empty": 2, "zeta": 3} and empty.num_classes() == 4
    assert [label for _, label in _rows(empty)] == [label for _, label in _ALL]

    def tf():
        return ds.TFRecordDataset(str(tfrecord / "t1.tfrecord"), shuffle=False)
    assert [tf().get_repeat_count(), tf().repeat(3).get_repeat_count(), tf().repeat(3).batch(1).get_repeat_count(),
            tf().repeat(2).repeat(3).get_repeat_count(), tf().repeat().get_repeat_count()] == [1, 3, 3, 3, -1]
