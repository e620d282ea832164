"""JPEG in dataset.vision (Decode, read_image) and ImageFolderDataset(decode=True) through Pillow (the SDK's vision
extra). Expected shapes, pixel sums and arrays are MindSpore 2.10.0 CPU's on the same files
(/work/ms_suite_jpeg53/probe/p1.py - p6.py; the files written by mk.py there with Pillow 13.0.0, as here: the
files are byte-identical). No server."""
import os
import sys

import numpy as np
import pytest

import gradserve.dataset as ds
from gradserve.dataset import vision

Image = pytest.importorskip("PIL.Image")

_RGB_PIXELS = np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8)
_RGB_PIXELS[:3] = 200


def _gray_pixels():
    rng = np.random.default_rng(0)
    rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    return rng.integers(0, 256, (4, 7), dtype=np.uint8)


_KINDS = ("baseline", "gray", "progressive", "444", "cmyk", "exif6")
_DATA = os.path.join(os.path.dirname(__file__), "data", "jpeg53")


def _encode(path, kind: str) -> str:
    """How the committed files under data/jpeg53 were made (Pillow 13.0.0; `python test_mindspore_jpeg.py` writes
    them again): the tests read the committed bytes, so another Pillow's encoder cannot change what they decode."""
    rgb = Image.fromarray(_RGB_PIXELS)
    if kind == "gray":
        Image.fromarray(_gray_pixels()).save(path, quality=90)
    elif kind == "progressive":
        rgb.save(path, quality=90, progressive=True)
    elif kind == "444":
        rgb.save(path, quality=95, subsampling=0)
    elif kind == "cmyk":
        rgb.convert("CMYK").save(path, quality=90)
    elif kind == "exif6":
        exif = Image.Exif()
        exif[0x0112] = 6  # orientation: turned 90 degrees
        rgb.save(path, quality=90, exif=exif)
    else:
        rgb.save(path, quality=90)
    return str(path)


def _write(path, kind: str) -> str:
    """The committed `kind` file copied to path."""
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(os.path.join(_DATA, f"{kind}.jpg"), "rb") as src, open(path, "wb") as dst:
        dst.write(src.read())
    return str(path)


def _summary(image):
    return image.shape, str(image.dtype), int(image.astype(np.int64).sum())


# MindSpore 2.10: read_image(UNCHANGED) of the baseline 4:2:0 file, all 90 values (p1.py)
_RGB_DECODED = [189, 200, 196, 199, 208, 205, 198, 199, 201, 196, 194, 195, 214, 206, 204, 195, 210, 215, 186, 200, 201,
                195, 204, 203, 201, 203, 202, 203, 198, 205, 177, 202, 222, 183, 207, 219, 183, 204, 199, 194, 209, 206,
                197, 197, 221, 137, 158, 187, 154, 174, 198, 103, 120, 130, 115, 124, 131, 152, 145, 161, 82, 85, 116,
                178, 178, 214, 187, 181, 227, 49, 36, 64, 207, 184, 168, 73, 68, 100, 183, 175, 216, 33, 17, 80, 173,
                148, 187, 214, 184, 150]
_GRAY_DECODED = [100, 122, 180, 0, 237, 247, 232, 104, 197, 207, 132, 221, 34, 144, 225, 137, 121, 9, 154, 3, 120, 217,
                 210, 191, 15, 177, 204, 187]

# MindSpore 2.10 (p1.py): (Decode, read_image UNCHANGED, GRAYSCALE, COLOR) as (shape, sum)
_EXPECTED = {
    "baseline": (((6, 5, 3), 15391), ((6, 5, 3), 15391), ((6, 5, 1), 5043), ((6, 5, 3), 15391)),
    "progressive": (((6, 5, 3), 15391), ((6, 5, 3), 15391), ((6, 5, 1), 5043), ((6, 5, 3), 15391)),
    "444": (((6, 5, 3), 15356), ((6, 5, 3), 15356), ((6, 5, 1), 5034), ((6, 5, 3), 15356)),
    "gray": (((4, 7, 3), 12381), ((4, 7, 1), 4127), ((4, 7, 1), 4127), ((4, 7, 3), 12381)),
    # CMYK: Decode is Pillow's RGB conversion, read_image OpenCV's (they differ by 1 in places)
    "cmyk": (((6, 5, 3), 15364), ((6, 5, 3), 15454), ((6, 5, 1), 5070), ((6, 5, 3), 15454)),
    # EXIF orientation 6: read_image COLOR / GRAYSCALE turn the image, Decode and UNCHANGED do not
    "exif6": (((6, 5, 3), 15391), ((6, 5, 3), 15391), ((5, 6, 1), 5043), ((5, 6, 3), 15391)),
}


@pytest.mark.parametrize("kind", sorted(_EXPECTED))
def test_decode_and_read_image_as_mindspore(tmp_path, kind):
    path = _write(tmp_path / f"{kind}.jpg", kind)
    got = [vision.Decode()(np.fromfile(path, np.uint8))]
    got += [vision.read_image(path, mode) for mode in
            (vision.ImageReadMode.UNCHANGED, vision.ImageReadMode.GRAYSCALE, vision.ImageReadMode.COLOR)]
    assert [_summary(a) for a in got] == [(shape, "uint8", total) for shape, total in _EXPECTED[kind]]


def test_exact_pixels(tmp_path):
    rgb = vision.read_image(_write(tmp_path / "a.jpg", "baseline"))
    assert rgb.reshape(-1).tolist() == _RGB_DECODED
    gray = vision.read_image(_write(tmp_path / "g.jpg", "gray"))
    assert gray.shape == (4, 7, 1) and gray.reshape(-1).tolist() == _GRAY_DECODED
    np.testing.assert_array_equal(vision.Decode()(np.fromfile(str(tmp_path / "a.jpg"), np.uint8)),
                                  np.array(_RGB_DECODED, np.uint8).reshape(6, 5, 3))


def test_exif_rotation_direction(tmp_path):
    """MindSpore 2.10's read_image(COLOR) of orientation 6 is the stored image turned 90 degrees clockwise (p3.py)."""
    stored = vision.read_image(_write(tmp_path / "a.jpg", "baseline"))
    turned = vision.read_image(_write(tmp_path / "e.jpg", "exif6"), vision.ImageReadMode.COLOR)
    np.testing.assert_array_equal(turned, np.rot90(stored, -1))


@pytest.mark.parametrize("cut", ["head", "garbage", "truncated"])
def test_corrupt_jpeg_texts(tmp_path, cut):
    """MindSpore 2.10 (p2.py, p5.py): read_image "Failed to read file", Decode "image decode failed." (a truncated
    file kills MindSpore's process with SIGFPE in Decode: refused here with the same text)."""
    data = open(_write(tmp_path / "a.jpg", "baseline"), "rb").read()
    data = {"head": data[:3], "garbage": b"\xff\xd8\xff" + bytes(40), "truncated": data[:len(data) // 2]}[cut]
    path = str(tmp_path / "bad.jpg")
    with open(path, "wb") as f:
        f.write(data)
    with pytest.raises(RuntimeError, match=f"ReadImage: Failed to read file {path}"):
        vision.read_image(path, vision.ImageReadMode.COLOR)
    with pytest.raises(RuntimeError, match=r"Decode: image decode failed\."):
        vision.Decode()(np.frombuffer(data, np.uint8))


def test_image_folder_decodes_jpeg_as_decode(tmp_path):
    """MindSpore 2.10 (p6.py): ImageFolderDataset(decode=True) gives Decode's pixels (no EXIF turn; CMYK as Pillow)."""
    os.mkdir(tmp_path / "a")
    for kind in ("cmyk", "exif6", "gray"):
        _write(tmp_path / "a" / f"{kind}.jpg", kind)
    rows = list(ds.ImageFolderDataset(str(tmp_path), decode=True, shuffle=False).create_tuple_iterator(
        output_numpy=True))
    assert [_summary(r[0]) for r in rows] == [((6, 5, 3), "uint8", 15364), ((6, 5, 3), "uint8", 15391),
                                              ((4, 7, 3), "uint8", 12381)]


def test_without_pillow_names_the_extra(tmp_path, monkeypatch):
    path = _write(tmp_path / "a.jpg", "baseline")
    for name in [m for m in list(sys.modules) if m == "PIL" or m.startswith("PIL.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(NotImplementedError, match=r"gradserve-client\[vision\]"):
        vision.read_image(path)
    with pytest.raises(NotImplementedError, match=r"gradserve-client\[vision\]"):
        vision.Decode()(np.fromfile(path, np.uint8))


if __name__ == "__main__":
    os.makedirs(_DATA, exist_ok=True)
    for k in _KINDS:
        _encode(os.path.join(_DATA, f"{k}.jpg"), k)
