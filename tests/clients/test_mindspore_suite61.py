"""Sample seed 61 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 61").

What the sample asked for: `mindspore.dataset.transforms.Slice` (ut/python/dataset/test_slice_op.py, 26 items) and
VOCDataset and Dataset.split (ut/python/dataset/test_datasets_voc.py). Expected values and texts: MindSpore 2.10 CPU
runs of the same calls (/work/ms_suite61/probe/p1.py, p2.py, p5.py - p8.py; their outputs p*.ms.txt; p5.py builds the
same VOC folder as the `voc` fixture below)."""
import os

import numpy as np
import pytest

import gradserve.dataset as ds
from gradserve.dataset import transforms


def _sliced(arr, *opts):
    data = ds.NumpySlicesDataset([arr], shuffle=False).map(operations=transforms.Slice(*opts))
    return [d["column_0"] for d in data.create_dict_iterator(num_epochs=1, output_numpy=True)]


A2 = [[1, 2, 3, 4], [5, 6, 7, 8]]


# MindSpore 2.10 (p1.py, p2.py): one option an axis, each axis indexed on its own; an int keeps its axis.
@pytest.mark.parametrize("arr, opts, expected", [
    ([1, 2, 3, 4, 5], (0,), [1]),
    ([1, 2, 3, 4, 5], (-5,), [1]),
    ([1, 2, 3, 4, 5], (True,), [1, 2, 3, 4, 5]),
    ([1, 2, 3, 4, 5], (None,), [1, 2, 3, 4, 5]),
    ([1, 2, 3, 4, 5], (), [1, 2, 3, 4, 5]),
    ([1, 2, 3, 4, 5], ([-5, 4],), [1, 5]),
    ([1, 2, 3, 4, 5], (slice(3, 1),), np.zeros((0,), np.int64)),
    ([1, 2, 3, 4, 5], (slice(None, 3),), [1, 2, 3]),
    ([1, 2, 3, 4, 5], (slice(-100, 100, 3),), [1, 4]),
    (A2, (1,), [[5, 6, 7, 8]]),
    (A2, (None, 1), [[2], [6]]),
    (A2, (Ellipsis, 1), [[2], [6]]),
    (A2, (1, Ellipsis), [[5, 6, 7, 8]]),
    (A2, ([1, 0], [3, 0]), [[8, 5], [4, 1]]),
    (A2, (True, 2), [[3], [7]]),
    (A2, ([0, 0], slice(0, 4, 2)), [[1, 3], [1, 3]]),
    (A2, (slice(0, 2), -1), [[4], [8]]),
    (np.arange(24).reshape(2, 3, 4), (None, [2, 0]), [[[8, 9, 10, 11], [0, 1, 2, 3]], [[20, 21, 22, 23], [12, 13, 14, 15]]]),
    (np.arange(24).reshape(2, 3, 4), (slice(0, 2), 1, [3, 0]), [[[7, 4]], [[19, 16]]]),
    ([b"a", b"b"], (1,), [b"b"]),
    (["ab", "cd"], ([1, 0],), ["cd", "ab"]),
])
def test_slice_values(arr, opts, expected):
    (out,) = _sliced(arr, *opts)
    expected = np.asarray(expected)
    assert out.shape == expected.shape and out.dtype.kind == expected.dtype.kind
    np.testing.assert_array_equal(out, expected)


# MindSpore 2.10 (p1.py): errors at run time, in its pipeline text; an index names itself after adding the axis size.
@pytest.mark.parametrize("arr, opts, text", [
    ([1, 2, 3, 4, 5], (5,), "map operation: [Slice] failed. Index 5 is out of bounds."),
    ([1, 2, 3, 4, 5], ([-6],), "map operation: [Slice] failed. Index -1 is out of bounds."),
    (A2, (0, [4]), "map operation: [Slice] failed. Index 4 is out of bounds."),
    ([1, 2, 3, 4, 5], ([],), "map operation: [Slice] failed. Both indices and slices can not be empty."),
    ([1, 2, 3, 4, 5], (False,), "map operation: [Slice] failed. Both indices and slices can not be empty."),
    (A2, ([], [0]), "map operation: [Slice] failed. Both indices and slices can not be empty."),
    (A2, (0, 0, 0), "map operation: [Slice] failed. Invalid shape, should be greater than slices index."),
])
def test_slice_run_errors(arr, opts, text):
    with pytest.raises(RuntimeError) as info:
        _sliced(arr, *opts)
    assert text in str(info.value)


_TYPES = ("[<class 'int'>, <class 'list'>, <class 'slice'>, <class 'bool'>, <class 'ellipsis'>, "
          "<class 'mindspore.dataset.transforms.transforms._SliceOption'>]")


# MindSpore 2.10 (p1.py, p2.py): the constructor's TypeError texts, and "Wrong slice object" for a slice without a stop.
@pytest.mark.parametrize("opts, cls, text", [
    (([[0, 1]],), TypeError,
     "Argument slice_option[0] with value [0, 1] is not of type [<class 'int'>], but got <class 'list'>."),
    (([slice(3)],), TypeError, "Argument slice_option[0] with value slice(None, 3, None) is not of type "
                               "[<class 'int'>], but got <class 'slice'>."),
    (("a",), TypeError, f"Argument slice with value a is not of type {_TYPES}, but got <class 'str'>."),
    ((1.5,), TypeError, f"Argument slice with value 1.5 is not of type {_TYPES}, but got <class 'float'>."),
    (((0, 1),), TypeError, f"Argument slice with value (0, 1) is not of type {_TYPES}, but got <class 'tuple'>."),
    (([0, 1.5],), TypeError,
     "Argument slice[1] with value 1.5 is not of type [<class 'int'>], but got <class 'float'>."),
    (([True],), TypeError,
     "Argument slice[0] with value True is not of type (<class 'int'>,), but got <class 'bool'>."),
    ((slice(1, None),), RuntimeError, "Wrong slice object"),
    ((slice(0, 5, 0),), RuntimeError, "Wrong slice object"),
])
def test_slice_argument_errors(opts, cls, text):
    with pytest.raises(cls) as info:
        transforms.Slice(*opts)
    assert text in str(info.value)


_OBJ = "<object><name>{}</name>{}<bndbox><xmin>{}</xmin><ymin>{}</ymin><xmax>{}</xmax><ymax>{}</ymax></bndbox></object>"
_ANN = {"a": [("train", "<difficult>0</difficult><truncated>0</truncated>", 113, 79, 323, 191),
              ("car", "<difficult>1</difficult><truncated>0</truncated>", 195, 155, 235, 235)],
        "b": [("person", "<difficult>0</difficult><truncated>1</truncated>", 8, 121, 471, 242),
              ("cat", "", 1.5, 2.25, 10.75, 20.5)],
        "c": [("dog", "", 5, 5, 10, 20)],
        "neg": [("dog", "", -1, 5, 10, 20)], "origin": [("dog", "", 0, 0, 10, 20)], "flat": [("dog", "", 5, 5, 10, 5)],
        "none": []}


@pytest.fixture
def voc(tmp_path):
    """A VOC folder: annotations a, b, c (and broken ones), "images" of the id's letters (read undecoded)."""
    root = str(tmp_path)
    for d in ("Annotations", "ImageSets/Main", "ImageSets/Segmentation", "JPEGImages", "SegmentationClass"):
        os.makedirs(os.path.join(root, d))
    for k, objs in _ANN.items():
        body = "".join(_OBJ.format(*o) for o in objs)
        (tmp_path / "Annotations" / f"{k}.xml").write_text(f"<annotation><filename>{k}.jpg</filename>{body}</annotation>")
        (tmp_path / "JPEGImages" / f"{k}.jpg").write_bytes(k.encode() * 3)
        (tmp_path / "SegmentationClass" / f"{k}.png").write_bytes(k.encode() * 2)
        (tmp_path / "ImageSets" / "Main" / f"{k}.txt").write_text(k + "\n")
    (tmp_path / "Annotations" / "broken.xml").write_text("<annotation><object>")
    for name, ids in (("Main/train.txt", "a\nb\nc\n"), ("Main/broken.txt", "broken\n"), ("Main/lost.txt", "zz\n"),
                      ("Segmentation/train.txt", "a\nb\n"), ("Segmentation/gap.txt", "a\n\nb\n")):
        (tmp_path / "ImageSets" / name).write_text(ids)
    return root


def _rows(d):
    return list(d.create_dict_iterator(num_epochs=1, output_numpy=True))


# MindSpore 2.10 (p5.py): classes the listed files' names sorted; bbox [xmin, ymin, width, height] float32; label,
# difficult, truncate uint32 (N, 1) (a missing difficult / truncated is 0); the image the file's bytes.
def test_voc_detection_rows(voc):
    rows = _rows(ds.VOCDataset(voc, task="Detection", usage="train", shuffle=False))
    assert [list(r) for r in rows] == [["image", "bbox", "label", "difficult", "truncate"]] * 3
    assert [r["image"].tolist() for r in rows] == [[97] * 3, [98] * 3, [99] * 3]
    np.testing.assert_array_equal(rows[1]["bbox"], np.array([[8.0, 121.0, 463.0, 121.0], [1.5, 2.25, 9.25, 18.25]],
                                                            np.float32))
    assert rows[0]["bbox"].dtype == np.float32 and rows[0]["label"].dtype == np.uint32
    assert [r["label"].tolist() for r in rows] == [[[4], [0]], [[3], [1]], [[2]]]
    assert [r["difficult"].tolist() for r in rows] == [[[0], [1]], [[0], [0]], [[0]]]
    assert [r["truncate"].tolist() for r in rows] == [[[0], [0]], [[1], [0]], [[0]]]
    assert ds.VOCDataset(voc, task="Detection", usage="train").get_class_indexing() == {
        "car": 0, "cat": 1, "dog": 2, "person": 3, "train": 4}


# MindSpore 2.10 (p5.py): class_indexing keeps only its classes' objects, and only files left with one.
def test_voc_class_indexing(voc):
    d = ds.VOCDataset(voc, task="Detection", usage="train", shuffle=False, class_indexing={"cat": 0, "train": 5})
    rows = _rows(d)
    assert [r["label"].tolist() for r in rows] == [[[5]], [[0]]]
    assert [r["bbox"].tolist() for r in rows] == [[[113.0, 79.0, 210.0, 112.0]], [[1.5, 2.25, 9.25, 18.25]]]
    assert d.shuffle(2).get_class_indexing() == {"cat": 0, "train": 5}
    with pytest.raises(NotImplementedError, match="Only 'Detection' support get_class_indexing."):
        ds.VOCDataset(voc, task="Segmentation", usage="train").get_class_indexing()


# MindSpore 2.10 (p5.py): "_meta-filename" is a column name, left out by the iterators until renamed.
def test_voc_segmentation_meta_column(voc):
    d = ds.VOCDataset(voc, task="Segmentation", usage="train", shuffle=False, extra_metadata=True)
    assert d.get_col_names() == ["image", "target", "_meta-filename"]
    tuples = list(d.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert [[v.tolist() for v in t] for t in tuples] == [[[97] * 3, [97] * 2], [[98] * 3, [98] * 2]]
    rows = _rows(d.rename("_meta-filename", "filename"))
    assert [(list(r), r["filename"].tolist()) for r in rows] == [(["image", "target", "filename"], "a"),
                                                                  (["image", "target", "filename"], "b")]
    d = ds.VOCDataset(voc, task="Detection", usage="train", shuffle=False, extra_metadata=True)
    rows = _rows(d.rename("_meta-filename", "name").project(["name", "label"]))
    assert [(r["name"].tolist(), r["label"].tolist()) for r in rows] == [("a", [[4], [0]]), ("b", [[3], [1]]),
                                                                         ("c", [[2]])]


# MindSpore 2.10 (p5.py): its pipeline texts; a box at x or y 0 is refused as well as one of no height.
@pytest.mark.parametrize("usage, text", [
    ("neg", "Invalid bndbox, the coordinate of bndbox in {}/Annotations/neg.xml should be greater than 0, "
            "but got {{-1, 5, 10, 20}}"),
    ("origin", "Invalid bndbox, the coordinate of bndbox in {}/Annotations/origin.xml should be greater than 0, "
               "but got {{0, 0, 10, 20}}"),
    ("flat", "Invalid bndbox, the coordinate of bndbox in {}/Annotations/flat.xml should be greater than 0, "
             "but got {{5, 5, 10, 5}}"),
    ("none", "Invalid xml, the node of object is missing in {}/Annotations/none.xml."),
    ("broken", "Invalid xml, failed to load {}/Annotations/broken.xml: the xml file is damaged or incorrect format."),
    ("lost", "Invalid file path, {}/Annotations/zz.xml does not exist."),
])
def test_voc_annotation_errors(voc, usage, text):
    with pytest.raises(RuntimeError) as info:
        _rows(ds.VOCDataset(voc, task="Detection", usage=usage))
    assert text.format(voc) in str(info.value)


# MindSpore 2.10 (p5.py, p3.py): no file left; an empty listing line; the argument errors.
def test_voc_other_errors(voc):
    with pytest.raises(RuntimeError, match="Check file in directory:"):
        _rows(ds.VOCDataset(voc, task="Detection", usage="train", class_indexing={"zebra": 0}))
    with pytest.raises(RuntimeError) as info:
        _rows(ds.VOCDataset(voc, task="Segmentation", usage="gap", shuffle=False))
    assert f"Failed to open file: {voc}/JPEGImages/.jpg" in str(info.value)
    with pytest.raises(ValueError, match="Invalid task : InvalidTask."):
        ds.VOCDataset(voc, task="InvalidTask", usage="train")
    with pytest.raises(ValueError, match="class_indexing is not supported in Segmentation task."):
        ds.VOCDataset(voc, task="Segmentation", usage="train", class_indexing={"cat": 0})
    with pytest.raises(ValueError, match="notexist.txt does not exist or permission denied!"):
        ds.VOCDataset(voc, task="Detection", usage="notexist")
    with pytest.raises(TypeError, match="Argument decode with value 1 is not of type"):
        ds.VOCDataset(voc, task="Detection", usage="train", decode=1)
    assert ds.VOCDataset(voc, task="Detection", usage="train").num_classes() is None


# MindSpore 2.10 (p6.py): Dataset.split(randomize=False) into consecutive parts; fractions rounded (Python's round), the
# rows left over to the first part, rows too many taken from the first part that keeps one.
@pytest.mark.parametrize("n, sizes, counts", [
    (10, [0.5, 0.5], [5, 5]), (10, [0.33, 0.33, 0.34], [4, 3, 3]), (5, [0.5, 0.5], [3, 2]), (7, [0.1, 0.9], [1, 6]),
    (9, [0.3, 0.3, 0.4], [2, 3, 4]), (10, [3, 7], [3, 7]), (10, [1.0], [10]), (10, [True, 9], [1, 9]),
])
def test_split_parts(n, sizes, counts):
    parts = ds.NumpySlicesDataset(np.arange(n), shuffle=False).split(sizes=sizes, randomize=False)
    got = [[int(r[0]) for r in p.create_tuple_iterator(num_epochs=1, output_numpy=True)] for p in parts]
    starts = np.cumsum([0] + counts)
    assert got == [list(range(a, b)) for a, b in zip(starts[:-1], starts[1:])]
    assert [p.get_dataset_size() for p in parts] == counts


@pytest.mark.parametrize("sizes, cls, text", [
    ([3, 6], RuntimeError, "Sum of split sizes 9 is not equal to dataset size 10."),
    ([0.5, 0.6], ValueError, "sizes is a list of float, but the percentages do not sum up to 1."),
    ([0.04, 0.96], RuntimeError, "Split percentage 0.04 is too small."),
    ([5, 0.5], ValueError, "sizes should be list of int or list of float."),
    ([], ValueError, "sizes cannot be empty."),
    ([0, 10], ValueError, "sizes is a list of int, but there should be no negative or zero numbers."),
    ((5, 5), TypeError, "Argument sizes with value (5, 5) is not of type [<class 'list'>], but got <class 'tuple'>."),
])
def test_split_errors(sizes, cls, text):
    with pytest.raises(cls) as info:
        ds.NumpySlicesDataset(np.arange(10), shuffle=False).split(sizes=sizes, randomize=False)
    assert text in str(info.value)


def test_split_randomize_refused():
    with pytest.raises(NotImplementedError, match="randomize=True"):
        ds.NumpySlicesDataset(np.arange(10), shuffle=False).split(sizes=[0.5, 0.5])


# MindSpore 2.10 (p8.py): a failing map after another map still names the row's file: a Detection row its annotation,
# a Segmentation row its target.
@pytest.mark.parametrize("task, col, name", [("Detection", "label", "Annotations/a.xml"),
                                             ("Segmentation", "target", "SegmentationClass/a.png")])
def test_voc_map_after_map_names_the_file(voc, task, col, name):
    def bad(x):
        raise ValueError("no")

    d = ds.VOCDataset(voc, task=task, usage="train", shuffle=False).map(lambda x: x + 1, input_columns=[col])
    with pytest.raises(RuntimeError) as info:
        list(d.map(bad, input_columns=[col]).create_tuple_iterator(num_epochs=1))
    assert f"map operation: [PyFunc] failed. The corresponding data file is: {voc}/{name}. Error description:" \
        in str(info.value)


# MindSpore 2.10 (p7.py): padded_batch(pad_info={}) pads every column to the batch's largest shape with 0.
def test_padded_batch_empty_pad_info_pads_every_column():
    def gen():
        yield np.array([1, 2], np.int32), np.ones((1, 2), np.float32), np.array(5, np.int64)
        yield np.array([3], np.int32), np.ones((2, 1), np.float32), np.array(6, np.int64)
        yield np.array([4, 5, 6], np.int32), np.ones((2, 2), np.float32), np.array(7, np.int64)

    d = ds.GeneratorDataset(gen, ["a", "b", "c"], shuffle=False).padded_batch(2, pad_info={})
    rows = [[(x.tolist(), x.dtype.str) for x in r] for r in d.create_tuple_iterator(num_epochs=1, output_numpy=True)]
    assert rows == [[([[1, 2], [3, 0]], "<i4"), ([[[1.0, 1.0], [0.0, 0.0]], [[1.0, 0.0], [1.0, 0.0]]], "<f4"),
                     ([5, 6], "<i8")],
                    [([[4, 5, 6]], "<i4"), ([[[1.0, 1.0], [1.0, 1.0]]], "<f4"), ([7], "<i8")]]
