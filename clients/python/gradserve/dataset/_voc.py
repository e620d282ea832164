"""VOCDataset: the user's own PASCAL VOC folder (ImageSets / JPEGImages / Annotations / SegmentationClass), read
here in the program as MindSpore 2.10 reads it (columns, dtypes, class numbering and texts from its runs: probe
/work/ms_suite61/probe/p3.py)."""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import numpy as np

from . import _checks
from ._file_source import FileSource, check_dir
from ._image_files import read_image_file
from .audio import _pipeline_error

_SETS = {"Segmentation": "Segmentation", "Detection": "Main"}


class VOCDataset(FileSource):
    """Segmentation: rows (image, target) of JPEGImages/<id>.jpg and SegmentationClass/<id>.png. Detection: rows
    (image, bbox float32 (N, 4) [xmin, ymin, width, height], label, difficult, truncate uint32 (N, 1)) of the
    objects whose class class_indexing holds (default: the listed files' class names, sorted, numbered from 0); a
    file left without objects is left out. The ids: ImageSets/<Segmentation|Main>/<usage>.txt. extra_metadata adds
    "_meta-filename" (the id), which iterators leave out until it is renamed."""

    def __init__(self, dataset_dir, task="Segmentation", usage="train", class_indexing=None, num_samples=None,
                 num_parallel_workers=None, shuffle=None, decode=False, sampler=None, num_shards=None, shard_id=None,
                 cache=None, extra_metadata=False, decrypt=None):
        check_dir(dataset_dir)
        _checks.typed("task", task, (str,))
        _checks.typed("usage", usage, (str,))
        if task not in _SETS:
            raise ValueError(f"Invalid task : {task}.")
        if class_indexing is not None:
            _checks.typed("class_indexing", class_indexing, (dict,))
            if task == "Segmentation":
                raise ValueError("class_indexing is not supported in Segmentation task.")
            if not all(isinstance(k, str) and type(v) is int for k, v in class_indexing.items()):
                raise TypeError(f"VOCDataset: class_indexing must map str to int, got {class_indexing!r}")
        listing = os.path.realpath(os.path.join(dataset_dir, "ImageSets", _SETS[task], usage + ".txt"))
        if not os.path.isfile(listing):
            raise ValueError(f"The file {listing} does not exist or permission denied!")
        _checks.typed("decode", decode, (bool,))
        if decrypt is not None:
            raise NotImplementedError("VOCDataset: decrypt is not supported by gradserve")
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._dir, self._task, self._listing, self._decode = dataset_dir, task, listing, decode
        self._given, self._meta = class_indexing, bool(extra_metadata)
        names = ["image", "target"] if task == "Segmentation" else ["image", "bbox", "label", "difficult", "truncate"]
        self._cols = names + (["_meta-filename"] if self._meta else [])

    def _ids(self) -> list[str]:
        """The listing's lines, an empty one too (MindSpore 2.10 then looks for "JPEGImages/.jpg": probe p5.py)."""
        with open(self._listing) as f:
            return [line.strip() for line in f.read().splitlines()]

    def _objects(self) -> list[tuple[str, str, list]]:
        """(id, annotation path, objects) of every listed id, in the listing's order."""
        return [(i, *_annotation(os.path.join(self._dir, "Annotations", i + ".xml"))) for i in self._ids()]

    def get_class_indexing(self) -> dict:
        if self._task != "Detection":
            raise NotImplementedError("Only 'Detection' support get_class_indexing.")
        if self._given is not None:
            return dict(self._given)
        names = sorted({o[0] for _, _, objs in self._objects() for o in objs})
        return {n: i for i, n in enumerate(names)}

    def num_classes(self) -> None:
        return None  # (MindSpore 2.10 gives None for VOC, class_indexing or not)

    def _entries(self) -> list[tuple[str, tuple]]:
        meta = lambda i: (np.array(i),) if self._meta else ()  # noqa: E731
        if self._task == "Segmentation":
            # (the row's file: its target, which a failing map names: MindSpore 2.10, probe p8.py)
            return [(os.path.join(self._dir, "SegmentationClass", i + ".png"), meta(i)) for i in self._ids()]
        indexing, out = self.get_class_indexing(), []
        for i, path, objs in self._objects():
            kept = [o for o in objs if o[0] in indexing]
            if kept:
                col = lambda k: np.array([[o[k]] for o in kept], np.uint32)  # noqa: E731
                label = np.array([[indexing[o[0]]] for o in kept]).astype(np.uint32)
                bbox = np.array([o[1] for o in kept], np.float32)
                out.append((path, (bbox, label, col(2), col(3), *meta(i))))
        return out

    def _no_rows_error(self) -> RuntimeError:
        return _pipeline_error("Invalid data, VOCDataset API can't read the data file (interface mismatch or no data "
                               f"found). Check file in directory:{self._dir}")

    def _read(self, path: str) -> tuple:
        ident = os.path.basename(path)[:-4]  # (the entry: <id>.png or <id>.xml; "" an empty line's)
        image = self._image(os.path.join(self._dir, "JPEGImages", ident + ".jpg"))
        if self._task == "Detection":
            return (image,)
        return image, self._image(os.path.join(self._dir, "SegmentationClass", ident + ".png"))

    def _image(self, path: str) -> np.ndarray:
        if not os.path.exists(path):
            raise _pipeline_error(f"Failed to open file: {path}")
        return read_image_file(path, self._decode)


def _num(text) -> float:
    return float((text or "0").strip())


def _annotation(path: str) -> tuple[str, list]:
    """An annotation file's objects: (name, [xmin, ymin, width, height], difficult, truncated), MindSpore 2.10's
    texts for a missing or damaged file, one without objects, and a box at x or y 0 or of no width or height."""
    if not os.path.isfile(path):
        raise _pipeline_error(f"Invalid file path, {path} does not exist.")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        raise _pipeline_error(f"Invalid xml, failed to load {path}: the xml file is damaged or incorrect format.")
    objs = []
    for obj in root.iter("object"):
        box = obj.find("bndbox")
        x0, y0, x1, y1 = (_num(box.findtext(k) if box is not None else None) for k in ("xmin", "ymin", "xmax", "ymax"))
        if min(x0, y0, x1 - x0, y1 - y0) <= 0:  # (MindSpore 2.10 refuses xmin 0 too: probe p4.py)
            got = ", ".join(f"{v:g}" for v in (x0, y0, x1, y1))
            raise _pipeline_error(f"Invalid bndbox, the coordinate of bndbox in {path} should be greater than 0, "
                                  f"but got {{{got}}}")
        objs.append(((obj.findtext("name") or "").strip(), [x0, y0, x1 - x0, y1 - y0],
                     int(_num(obj.findtext("difficult"))), int(_num(obj.findtext("truncated")))))
    if not objs:
        raise _pipeline_error(f"Invalid xml, the node of object is missing in {path}.")
    return path, objs
