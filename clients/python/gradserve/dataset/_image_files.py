"""ImageFolderDataset and MnistDataset: the user's own image folders and MNIST files, read here in the program as
MindSpore 2.10 reads them (orders, dtypes, counts and texts from its runs)."""
from __future__ import annotations

import os

import numpy as np

from . import _checks
from ._file_source import FileSource, check_dir, check_usage
from ._image_read import ImageReadMode, decode_image
from ._jpeg import JPEG_MAGIC, decode_jpeg_rgb
from .audio import _pipeline_error


class ImageFolderDataset(FileSource):
    """DIR/<class>/<file>: the file's bytes (uint8, 1-d; decoded to HWC RGB with decode=True) and its class's label
    (int32): classes in sorted name order numbered from 0 (or class_indexing's, only its classes), files in sorted
    name order, those ending in one of `extensions` (case kept) where it is given."""

    def __init__(self, dataset_dir, num_samples=None, num_parallel_workers=None, shuffle=None, sampler=None,
                 extensions=None, class_indexing=None, decode=False, num_shards=None, shard_id=None, cache=None,
                 decrypt=None):
        check_dir(dataset_dir)
        if extensions is not None:
            _checks.typed("extensions", extensions, (list,))
        if class_indexing is not None:
            _checks.typed("class_indexing", class_indexing, (dict,))
        _checks.typed("decode", decode, (bool,))
        if decrypt is not None:
            raise NotImplementedError("ImageFolderDataset: decrypt is not supported by gradserve")
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._dir, self._ext, self._decode = dataset_dir, extensions, decode
        self._given = dict(class_indexing) if class_indexing else None  # ({}: every class, as MindSpore reads it)
        self._cols = ["image", "label"]

    def get_class_indexing(self) -> dict:
        if self._given is not None:
            return dict(self._given)
        names = sorted(n for n in os.listdir(self._dir) if os.path.isdir(os.path.join(self._dir, n)))
        return {n: i for i, n in enumerate(names)}

    def num_classes(self) -> int:
        return len(self.get_class_indexing())

    def _files(self, name: str) -> list[str]:
        found = sorted(os.listdir(os.path.join(self._dir, name)))
        return [f for f in found if self._ext is None or any(f.endswith(e) for e in self._ext)]

    def _entries(self) -> list[tuple[str, tuple]]:
        indexing = self.get_class_indexing()
        for name in indexing:
            if not os.path.isdir(os.path.join(self._dir, name)):
                raise _pipeline_error(f"Invalid subdirectory, class: {name} doesn't exist in {self._dir} .")
        return [(os.path.join(self._dir, name, f), (np.array(indexing[name], np.int32),))
                for name in sorted(indexing) for f in self._files(name)]

    def get_dataset_size(self) -> int:
        """MindSpore 2.10's count: the files of every class folder, class_indexing or not (its rows are fewer where
        class_indexing leaves classes out), as many as the sampler takes of them."""
        self._entries()  # (a class_indexing class without a folder: its error)
        every = sum(len(self._files(n)) for n in sorted(os.listdir(self._dir))
                    if os.path.isdir(os.path.join(self._dir, n)))
        return len(self._order(every, np.random.default_rng(0)))

    def _no_rows_error(self) -> RuntimeError:
        return _pipeline_error("Invalid data, ImageFolderDataset API can't read the data file (interface mismatch or "
                               f"no data found). Check image folder file path: {self._dir}")

    def _read(self, path: str) -> tuple:
        return (read_image_file(path, self._decode),)


def read_image_file(path: str, decode: bool) -> np.ndarray:
    """An image file's bytes (uint8, 1-d), or with decode its HWC RGB pixels (a file dataset's image column)."""
    if os.path.isdir(path):
        raise _pipeline_error(f"Invalid file found: {path}, should be file, but got directory.")
    with open(path, "rb") as f:
        data = f.read()
    if not decode:
        return np.frombuffer(data, np.uint8).copy()
    # JPEG as vision.Decode (MindSpore 2.10: Pillow's RGB, EXIF orientation not applied), not as read_image
    jpeg = data[:3] == JPEG_MAGIC
    image = decode_jpeg_rgb(data) if jpeg else decode_image(data, path, ImageReadMode.COLOR)
    if image is None:
        raise _pipeline_error(f"Invalid image, {path} decode failed, the image is broken or permission denied.")
    return image


_MNIST_USAGES = {"train": ["train"], "test": ["t10k"], "all": ["t10k", "train"]}  # (MindSpore's order)


class MnistDataset(FileSource):
    """DIR/{t10k,train}-images-idx3-ubyte and -labels-idx1-ubyte: images uint8 (rows, cols, 1), labels uint32;
    usage "all" is the test files' rows, then the train files'."""

    def __init__(self, dataset_dir, usage=None, num_samples=None, num_parallel_workers=None, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None, cache=None):
        check_dir(dataset_dir)
        usage = check_usage(usage, list(_MNIST_USAGES))
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._dir, self._usage = dataset_dir, usage
        self._cols = ["image", "label"]

    def _entries(self) -> list[tuple[str, tuple]]:
        found: list[tuple[str, tuple]] = []
        for prefix in _MNIST_USAGES[self._usage]:
            path = os.path.join(self._dir, f"{prefix}-images-idx3-ubyte")
            images, labels = _idx(path, 2051, 3), _idx(os.path.join(self._dir, f"{prefix}-labels-idx1-ubyte"), 2049, 1)
            if len(images) != len(labels):
                raise _pipeline_error(f"Invalid data, num of images: {len(images)} is not equal to num of labels: "
                                      f"{len(labels)}.")
            found += [(path, (image[..., None], np.array(label, np.uint32))) for image, label in zip(images, labels)]
        return found

    def _read(self, path: str) -> tuple:
        return ()


def _idx(path: str, magic: int, rank: int) -> np.ndarray:
    """An IDX file's uint8 array (big-endian header: magic, then `rank` sizes)."""
    if not os.path.isfile(path):
        raise _pipeline_error(f"Invalid file, failed to open {path}: the file does not exist.")
    with open(path, "rb") as f:
        data = f.read()
    head = np.frombuffer(data[: 4 * (rank + 1)], ">u4")
    if len(head) != rank + 1 or int(head[0]) != magic:
        raise _pipeline_error(f"Invalid file, {path} is not an MNIST {'image' if rank == 3 else 'label'} file.")
    shape = tuple(int(n) for n in head[1:])
    body = np.frombuffer(data[4 * (rank + 1):], np.uint8)
    if body.size < int(np.prod(shape)):
        raise _pipeline_error(f"Invalid file, {path} holds fewer values than its header's {shape}.")
    return body[: int(np.prod(shape))].reshape(shape)
