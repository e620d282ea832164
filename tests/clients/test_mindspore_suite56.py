"""Sample seed 56 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 56").

What the sample's misses asked for: Cell.set_inputs by keyword (st/dynamic_shape/test_set_inputs.py: MindSpore's
incremental mode, `set_inputs(y=...)` declares y only); dataset.vision.read_image (ut/python/dataset/test_read_image.py)
of PNG, BMP and TIFF files. Expected values and texts: MindSpore 2.10 CPU runs of the same programs
(/work/ms_suite56/probe/p1.py - p5.py; the image files are the ones _files() writes, probe/imgs.py)."""
import struct
import zlib

import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn, ops
from gradserve.dataset import vision
from gradserve.dataset.vision import ImageReadMode

_X = np.arange(6, dtype=np.float32).reshape(2, 3)
_DYN = Tensor(shape=[None, None], dtype=ms.float32)


class _Add3(nn.Cell):
    def construct(self, x, y, z):
        return ops.add(ops.add(x, y), z)


@pytest.fixture(params=[ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def mode(request):
    before = ms.get_context("mode")
    ms.set_context(mode=request.param)
    yield request.param
    ms.set_context(mode=before)


def test_set_inputs_by_keyword_declares_that_input_only(mode, on_real_server):
    # MindSpore 2.10 (p1.py, p2.py): get_inputs() is the dict form; x may change its shape, y stays checked
    net = _Add3()
    net.set_inputs(y=_DYN)
    spec = net.get_inputs()
    assert spec["total_arg_length"] == 3 and spec["arg_specified_infos"][0][0] == 1
    out = net(Tensor(_X), Tensor(_X), Tensor(_X))
    np.testing.assert_array_equal(out.asnumpy(), 3 * _X)
    x4 = np.ones((2, 4), np.float32)
    out = net(Tensor(x4), Tensor(np.ones((1, 4), np.float32)), Tensor(x4))
    np.testing.assert_array_equal(out.asnumpy(), 3 * x4)
    net.set_inputs(x=_DYN, y=_DYN)  # a second call replaces the first
    assert [i for i, _ in net.get_inputs()["arg_specified_infos"]] == [0, 1]


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE], indirect=True)
def test_set_inputs_by_keyword_checks_the_declared_input(mode, on_real_server):
    # MindSpore 2.10 GRAPH_MODE (p1.py): a rank-3 declaration of y against a 2-d y is a ValueError
    net = _Add3()
    net.set_inputs(y=Tensor(shape=[None, None, None], dtype=ms.float32))
    with pytest.raises(ValueError):
        net(Tensor(_X), Tensor(_X), Tensor(_X))


def test_set_inputs_keyword_errors(on_real_server):
    # MindSpore 2.10 (p1.py, p2.py): an unknown name, and inputs and keywords together, are ValueErrors at set_inputs
    with pytest.raises(ValueError, match=r"For dict mode, valid key is \['x', 'y', 'z'\], but got w!"):
        _Add3().set_inputs(w=_DYN)
    with pytest.raises(ValueError, match="For Cell, set_inputs should only set inputs or kwargs"):
        _Add3().set_inputs(_DYN, y=_DYN)


def test_set_inputs_empty_checks_nothing(on_real_server):
    # MindSpore 2.10 (p2.py): set_inputs() with nothing declares nothing; the call runs
    net = _Add3()
    net.set_inputs()
    out = net(Tensor(_X), Tensor(_X), Tensor(_X))
    np.testing.assert_array_equal(out.asnumpy(), 3 * _X)


# -- read_image ------------------------------------------------------------------------------------------------------
_IMG_RNG = np.random.default_rng(56)
_RGB = _IMG_RNG.integers(0, 256, (5, 3, 3), dtype=np.uint8)
_RGB[0, 0] = (40, 40, 40)  # a gray pixel: kept as is by libpng's rgb_to_gray
_RGBA = np.concatenate([_RGB, _IMG_RNG.integers(0, 256, (5, 3, 1), dtype=np.uint8)], axis=2)
_GRAY = _IMG_RNG.integers(0, 256, (5, 3), dtype=np.uint8)


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _png(img, color, gamma=None):
    """Row r filtered with PNG filter r % 5 (None, Sub, Up, Average, Paeth)."""
    h, w = img.shape[:2]
    bpp = img.size // (h * w)
    rows = img.reshape(h, -1).astype(int)
    raw = b""
    for r in range(h):
        line, up = rows[r], rows[r - 1] if r else np.zeros_like(rows[r])
        out = []
        for i, v in enumerate(line):
            a = line[i - bpp] if i >= bpp else 0
            c = up[i - bpp] if i >= bpp else 0
            pred = [0, a, up[i], (a + up[i]) >> 1, _paeth(a, up[i], c)][r % 5]
            out.append((v - pred) & 255)
        raw += bytes([r % 5] + out)
    body = _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
    if gamma is not None:
        body += _chunk(b"gAMA", struct.pack(">I", gamma))
    return b"\x89PNG\r\n\x1a\n" + body + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


def _bmp(img):
    h, w = img.shape[:2]
    stride = (w * 3 + 3) // 4 * 4  # 9 bytes of a row padded to 12
    rows = b"".join(img[r, :, ::-1].tobytes().ljust(stride, b"\0") for r in range(h - 1, -1, -1))
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(rows), 0, 0, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + len(rows), 0, 0, 54) + info + rows


def _tiff(img):
    h, w = img.shape[:2]
    pixels = img.tobytes()
    tags = [(256, 3, 1, w), (257, 3, 1, h), (259, 3, 1, 1), (262, 3, 1, 2), (273, 4, 1, 8),
            (277, 3, 1, 3), (278, 3, 1, h), (279, 4, 1, len(pixels)), (284, 3, 1, 1)]
    ifd_at = 8 + len(pixels)
    tags.insert(2, (258, 3, 3, ifd_at + 2 + 12 * (len(tags) + 1) + 4))  # BitsPerSample 8, 8, 8 after the IFD
    ifd = struct.pack("<H", len(tags))
    for tag, kind, count, value in tags:
        ifd += struct.pack("<HHI", tag, kind, count) + (struct.pack("<HH", value, 0) if kind == 3 and count == 1
                                                         else struct.pack("<I", value))
    return b"II*\0" + struct.pack("<I", ifd_at) + pixels + ifd + struct.pack("<I", 0) + struct.pack("<HHH", 8, 8, 8)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("read_image")
    files = {"rgb_gamma.png": _png(_RGB, 2, 45455), "rgb.png": _png(_RGB, 2), "rgba.png": _png(_RGBA, 6),
             "gray.png": _png(_GRAY, 0), "rgb.bmp": _bmp(_RGB), "rgb.tiff": _tiff(_RGB),
             "gray_gamma.png": _png(_GRAY, 0, 45455), "gray_alpha.png": _png(np.stack([_GRAY, 255 - _GRAY], axis=2), 4)}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


# MindSpore 2.10 (probe/p4.py): GRAYSCALE of the same RGB pixels. PNG: libpng's rgb_to_gray (truncated; with a gAMA
# chunk through its gamma tables); BMP / TIFF: OpenCV's cvtColor (rounded)
_GRAY_PNG = [[40, 126, 201], [122, 133, 132], [186, 100, 179], [123, 153, 141], [154, 141, 68]]
_GRAY_PNG_GAMMA = [[40, 130, 203], [126, 152, 162], [200, 144, 199], [128, 160, 180], [167, 142, 72]]
_GRAY_CV = [[40, 127, 202], [122, 134, 132], [186, 100, 180], [123, 153, 142], [154, 142, 68]]


@pytest.mark.parametrize("name,gray", [("rgb_gamma.png", _GRAY_PNG_GAMMA), ("rgb.png", _GRAY_PNG),
                                       ("rgba.png", _GRAY_PNG), ("rgb.bmp", _GRAY_CV), ("rgb.tiff", _GRAY_CV)])
def test_read_image_color_files(images, name, gray):
    # MindSpore 2.10 (probe/p4.py, p5.py): UNCHANGED and COLOR are the RGB pixels (an alpha channel dropped)
    for mode in (ImageReadMode.UNCHANGED, ImageReadMode.COLOR):
        out = vision.read_image(str(images / name), mode)
        assert out.dtype == np.uint8
        np.testing.assert_array_equal(out, _RGB)
    np.testing.assert_array_equal(vision.read_image(str(images / name)), _RGB)
    out = vision.read_image(str(images / name), ImageReadMode.GRAYSCALE)
    np.testing.assert_array_equal(out, np.array(gray, np.uint8)[..., None])


@pytest.mark.parametrize("name", ["gray.png", "gray_gamma.png"])
def test_read_image_gray_png(images, name):
    # MindSpore 2.10 (probe/p4.py, p7.py): 1 channel unchanged and as GRAYSCALE, 3 equal channels as COLOR (a gAMA
    # chunk changes nothing)
    path = str(images / name)
    for mode in (ImageReadMode.UNCHANGED, ImageReadMode.GRAYSCALE):
        np.testing.assert_array_equal(vision.read_image(path, mode), _GRAY[..., None])
    np.testing.assert_array_equal(vision.read_image(path, ImageReadMode.COLOR), np.repeat(_GRAY[..., None], 3, 2))


def test_read_image_gray_alpha_png(images):
    # MindSpore 2.10 (probe/p7.py): gray with alpha reads as 3 equal channels UNCHANGED too, 1 as GRAYSCALE
    path = str(images / "gray_alpha.png")
    for mode in (ImageReadMode.UNCHANGED, ImageReadMode.COLOR):
        np.testing.assert_array_equal(vision.read_image(path, mode), np.repeat(_GRAY[..., None], 3, 2))
    np.testing.assert_array_equal(vision.read_image(path, ImageReadMode.GRAYSCALE), _GRAY[..., None])


def test_read_image_errors(images, tmp_path):
    # MindSpore 2.10 (probe/p3.py): its exception classes and texts
    with pytest.raises(RuntimeError, match="ReadImage: Invalid file path, nope does not exist."):
        vision.read_image("nope", ImageReadMode.COLOR)
    with pytest.raises(RuntimeError, match="is not a regular file."):
        vision.read_image(str(images), ImageReadMode.COLOR)
    gif = tmp_path / "a.gif"
    gif.write_bytes(b"GIF89a" + bytes(20))
    with pytest.raises(RuntimeError, match="Failed to read file " + str(gif)):
        vision.read_image(str(gif), ImageReadMode.COLOR)
    with pytest.raises(TypeError, match="Input filename is not of type <class 'str'>, but got: <class 'int'>."):
        vision.read_image(0, ImageReadMode.UNCHANGED)
    with pytest.raises(TypeError, match="Input mode is not of type <enum 'ImageReadMode'>, but got: <class 'str'>."):
        vision.read_image(str(images / "rgb.png"), "0")
    assert [m.value for m in ImageReadMode] == [0, 1, 2]


def test_read_image_broken_jpeg(tmp_path):
    # MindSpore 2.10 (/work/ms_suite_jpeg53/probe/p2.py): a JPEG header and no image is "Failed to read file"
    # (JPEG itself is read through Pillow: tests/clients/test_mindspore_jpeg.py)
    pytest.importorskip("PIL")
    jpg = tmp_path / "a.jpg"
    jpg.write_bytes(b"\xff\xd8\xff\xe0" + bytes(20))
    with pytest.raises(RuntimeError, match="ReadImage: Failed to read file"):
        vision.read_image(str(jpg))


# -- OBSMindDataset ---------------------------------------------------------------------------------------------------
_OBS = ["s3://dataset/imagenet0", "s3://dataset/imagenet1"]
_OBS_REST = ("https://dummy_site", "dummy_ak", "dummy_sk", "s3://dummy_sync_dir")


@pytest.mark.parametrize("args,kwargs,error,text", [
    # MindSpore 2.10 (probe/p6.py): its classes and texts, in the order it checks
    (("err_dataset",) + _OBS_REST, {}, TypeError,
     "Argument dataset_files with value err_dataset is not of type [<class 'list'>], but got <class 'str'>."),
    (([1, 2],) + _OBS_REST, {}, TypeError,
     "Item of dataset files is not of type [<class 'str'>], but got <class 'int'>."),
    ((_OBS, 12, "a", "s", "s3://x"), {}, TypeError,
     "Argument server with value 12 is not of type [<class 'str'>], but got <class 'int'>."),
    ((_OBS, "ftp://dummy_site", "a", "s", "s3://x"), {}, ValueError,
     "server should be a str that starts with http:// or https://, but got ftp://dummy_site."),
    ((_OBS, "https://d", "a", 12, "s3://x"), {}, TypeError,
     "Argument sk with value 12 is not of type [<class 'str'>], but got <class 'int'>."),
    ((_OBS,) + _OBS_REST, {"num_shards": 4, "shard_id": 4}, ValueError,
     "Input shard_id is not within the required interval of [0, 3]."),
    ((_OBS,) + _OBS_REST, {"num_shards": 2}, RuntimeError, "num_shards is specified and currently requires shard_id"),
    ((_OBS,) + _OBS_REST, {"shard_equal_rows": 1}, TypeError,
     "Argument shard_equal_rows with value 1 is not of type [<class 'bool'>], but got <class 'int'>."),
    ((_OBS,) + _OBS_REST, {"shuffle": 1}, TypeError, "shuffle must be of boolean or enum of 'Shuffle' values"),
])
def test_obs_mind_dataset_argument_checks(args, kwargs, error, text):
    from gradserve.dataset.engine.datasets_standard_format import OBSMindDataset
    with pytest.raises(error) as info:
        OBSMindDataset(*args, **kwargs)
    assert text in str(info.value)


def test_obs_mind_dataset_refused():
    # MindSpore 2.10 without Huawei's obs SDK: RuntimeError "OBS SDK is not installed"; gradserve reads no OBS files
    from gradserve.dataset.engine.datasets_standard_format import OBSMindDataset
    with pytest.raises(NotImplementedError, match="OBSMindDataset"):
        OBSMindDataset(_OBS, *_OBS_REST)
