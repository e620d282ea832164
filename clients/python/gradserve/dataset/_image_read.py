"""`vision.read_image`: PNG (8-bit, not interlaced), BMP (24-bit, uncompressed) and baseline TIFF (8-bit, uncompressed,
strips) decoded here in NumPy to HWC uint8, as MindSpore 2.10 reads them (its modes and texts; values checked against
its runs). JPEG goes through Pillow where it is installed (_jpeg: libjpeg-turbo, MindSpore's own decoder)."""
from __future__ import annotations

import os
import struct
import zlib
from enum import Enum

import numpy as np

from ._jpeg import JPEG_MAGIC, decode_jpeg_rgb, read_jpeg
from .text._seq import pipeline_error


class ImageReadMode(Enum):
    UNCHANGED = 0
    GRAYSCALE = 1
    COLOR = 2


def read_image(filename, mode=ImageReadMode.UNCHANGED) -> np.ndarray:
    """The image file as an HWC uint8 array: UNCHANGED keeps a gray image's 1 channel (an alpha channel is dropped,
    as MindSpore drops it; gray with alpha is 3 channels), GRAYSCALE gives 1 channel, COLOR 3 (RGB)."""
    if not isinstance(filename, str):
        raise TypeError(f"Input filename is not of type {str}, but got: {type(filename)}.")
    if not isinstance(mode, ImageReadMode):
        raise TypeError(f"Input mode is not of type {ImageReadMode}, but got: {type(mode)}.")
    if not os.path.exists(filename):
        raise pipeline_error(f"ReadImage: Invalid file path, {filename} does not exist.")
    if not os.path.isfile(filename):
        raise pipeline_error(f"ReadImage: Invalid file path, {filename} is not a regular file.")
    with open(filename, "rb") as f:
        image = decode_image(f.read(), filename, mode)
    if image is None:
        raise pipeline_error(f"ReadImage: Failed to read file {filename}")
    return image


def decode_image(data: bytes, filename: str, mode: ImageReadMode) -> np.ndarray | None:
    """The image in data (read from filename) as read_image gives it; None where it is no image read here."""
    if data[:3] == JPEG_MAGIC:
        return read_jpeg(data, mode.name, _opencv_gray)
    decoder = _DECODERS.get(data[:4] if data[:2] in (b"II", b"MM") else data[:2])
    decoded = decoder(data, filename) if decoder is not None else None
    if decoded is None:
        return None
    image, gray = decoded
    if image.shape[2] == 2:  # gray and alpha: MindSpore 2.10 gives 3 equal channels, even UNCHANGED
        image = np.repeat(image[..., :1], 3, axis=2)
    image = image[..., :3]  # (an alpha channel dropped)
    if mode is ImageReadMode.GRAYSCALE and image.shape[2] == 3:
        return gray(image.astype(np.int64)).astype(np.uint8)[..., None]
    if mode is ImageReadMode.COLOR and image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    return image


def _opencv_gray(x: np.ndarray) -> np.ndarray:
    """OpenCV's RGB -> gray (BMP, TIFF): 14-bit fixed point of 0.299, 0.587, 0.114, rounded."""
    return (x[..., 0] * 4899 + x[..., 1] * 9617 + x[..., 2] * 1868 + 8192) >> 14


def _libpng_gray(gamma):
    """libpng's rgb_to_gray as OpenCV asks for it (0.299, 0.587 as 15-bit integers 9797, 19234; blue the rest): a
    gray pixel kept as is; without a gAMA chunk the weighted sum truncated, with one the sum of linearised values
    (8-bit tables of x ** (1 / gamma)) rounded and re-encoded (x ** gamma). Checked pixel for pixel against
    MindSpore 2.10 on apple.png (gAMA 0.45455) and apple_4_channels.png."""
    def table(exponent: float) -> np.ndarray:
        t = np.floor(255 * np.power(np.arange(256) / 255.0, exponent) + 0.5).astype(np.int64)
        t[0], t[255] = 0, 255
        return t

    def gray(x: np.ndarray) -> np.ndarray:
        r, g, b = x[..., 0], x[..., 1], x[..., 2]
        if gamma is None:
            out = (9797 * r + 19234 * g + 3737 * b) >> 15
        else:
            to_linear = table(np.floor(1e10 / gamma + 0.5) * 1e-5)
            out = table(gamma * 1e-5)[(9797 * to_linear[r] + 19234 * to_linear[g] + 3737 * to_linear[b] + 16384) >> 15]
        return np.where((r == g) & (r == b), r, out)
    return gray


def _png(data: bytes, name: str):
    pos, idat, header, gamma = 8, [], None, None
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"gAMA":
            gamma = struct.unpack(">I", body)[0]  # (x 100000)
        elif kind in (b"PLTE", b"tRNS", b"sRGB"):
            return _unsupported(name, f"a PNG with a {kind.decode()} chunk")
        pos += 12 + n
    if header is None:
        return None
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or interlace or channels is None:
        return _unsupported(name, f"a PNG of bit depth {depth}, color type {color}, interlace {interlace}")
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(height, 1 + width * channels)
    return _unfilter(raw, channels).reshape(height, width, channels), _libpng_gray(gamma)


def _unfilter(raw: np.ndarray, bpp: int) -> np.ndarray:
    """PNG's per-row filters undone (None, Sub, Up, Average, Paeth), in uint8 arithmetic."""
    rows = np.zeros((raw.shape[0], raw.shape[1] - 1), np.uint8)
    prior = np.zeros(raw.shape[1] - 1, np.uint8)
    for r in range(raw.shape[0]):
        kind, line = raw[r, 0], raw[r, 1:]
        if kind == 0:
            out = line.copy()
        elif kind == 2:
            out = line + prior
        elif kind == 1:
            out = np.cumsum(line.reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
        else:
            out = _unfilter_serial(line.tolist(), prior.tolist(), bpp, kind)
        rows[r] = prior = out
    return rows


def _unfilter_serial(line: list, up: list, bpp: int, kind: int) -> np.ndarray:
    out = [0] * len(line)
    for i, v in enumerate(line):
        a = out[i - bpp] if i >= bpp else 0
        b = up[i]
        if kind == 3:
            pred = (a + b) >> 1
        else:
            c = up[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out[i] = (v + pred) & 255
    return np.array(out, np.uint8)


def _bmp(data: bytes, name: str):
    offset = struct.unpack("<I", data[10:14])[0]
    width, height, _, bits, compression = struct.unpack("<iiHHI", data[18:34])
    if bits != 24 or compression != 0:
        return _unsupported(name, f"a {bits}-bit BMP (compression {compression})")
    stride = (width * 3 + 3) // 4 * 4
    rows = np.frombuffer(data, np.uint8, stride * abs(height), offset).reshape(abs(height), stride)
    image = rows[:, :width * 3].reshape(abs(height), width, 3)[..., ::-1]  # BGR -> RGB
    return np.ascontiguousarray(image[::-1] if height > 0 else image), _opencv_gray  # height > 0: bottom row first


_TIFF_TYPES = {3: "H", 4: "I"}


def _tiff(data: bytes, name: str):
    order = "<" if data[:2] == b"II" else ">"
    start = struct.unpack(order + "I", data[4:8])[0]
    tags = {}
    for k in range(struct.unpack(order + "H", data[start:start + 2])[0]):
        tag, kind, count, _ = struct.unpack(order + "HHII", data[start + 2 + 12 * k:start + 14 + 12 * k])
        code = _TIFF_TYPES.get(kind)
        if code is None:
            continue
        size = struct.calcsize(code) * count
        at = start + 10 + 12 * k  # the value itself, or (over 4 bytes) where it is
        at = at if size <= 4 else struct.unpack(order + "I", data[at:at + 4])[0]
        tags[tag] = struct.unpack(order + code * count, data[at:at + size])
    width, height = tags.get(256, (0,))[0], tags.get(257, (0,))[0]
    samples = tags.get(277, (1,))[0]
    plain = (tags.get(259, (1,))[0] == 1 and set(tags.get(258, (8,))) == {8} and tags.get(284, (1,))[0] == 1
             and tags.get(262, (0,))[0] in (1, 2) and samples in (1, 3) and 273 in tags)
    if not plain:
        return _unsupported(name, "a TIFF other than 8-bit uncompressed gray or RGB strips")
    pixels = b"".join(data[o:o + n] for o, n in zip(tags[273], tags[279]))
    image = np.frombuffer(pixels, np.uint8, width * height * samples).reshape(height, width, samples)
    return image.copy(), _opencv_gray


def _unsupported(name: str, what: str):
    raise NotImplementedError(f"vision.read_image: {what} ({name}) is not implemented by gradserve")


_DECODERS = {b"\x89P": _png, b"BM": _bmp, b"II*\x00": _tiff, b"MM\x00*": _tiff}


class Decode:
    """`vision.Decode`: encoded image bytes (a 1-D uint8 array, or one bytes element) to an HWC RGB image. MindSpore
    2.10's input checks and texts: a non-1-D input is its TypeError, bytes of no image format its "Decode: image
    decode failed."; the decoding itself is refused by name (MindSpore's Decode goes through its own codecs, whose
    conversions to RGB we have not checked; vision.read_image reads PNG, BMP and TIFF files), JPEG excepted:
    Pillow's RGB (_jpeg)."""

    def __init__(self, to_pil: bool = False):
        if to_pil:
            raise NotImplementedError("vision.Decode(to_pil=True): gradserve has no PIL images")

    def __call__(self, img) -> np.ndarray:
        data = np.asarray(img)
        if data.ndim != 1:
            raise TypeError(f"The number of array dimensions of the encoded image should be 1, but got {data.ndim}.")
        if data.dtype.kind == "S":  # (a bytes column, MindDataset's: MindSpore 2.10 decodes one element, no more)
            if data.size != 1:
                raise pipeline_error("Decode: image decode failed.")
            data = np.frombuffer(data[0], np.uint8)
        head = data[:4].astype(np.uint8).tobytes() if data.dtype == np.uint8 else b""
        if head[:3] == JPEG_MAGIC:
            image = decode_jpeg_rgb(data.tobytes())
            if image is None:  # (a truncated JPEG: MindSpore 2.10's process dies of SIGFPE)
                raise pipeline_error("Decode: image decode failed.")
            return image
        if head[:2] in _DECODERS or head in _DECODERS:
            raise NotImplementedError("vision.Decode: decoding images other than JPEG is not implemented by "
                                      "gradserve (vision.read_image reads PNG, BMP and uncompressed TIFF files)")
        raise pipeline_error("Decode: image decode failed.")
