"""JPEG through Pillow (the optional `gradserve-client[vision]` extra), imported only when JPEG bytes arrive. Pillow
and MindSpore 2.10 both decode with libjpeg-turbo: checked pixel for pixel against MindSpore's runs (the mirror's
apple.jpg, 1_1.jpg, apple_grayscale.jpg; baseline, progressive, 4:4:4, gray, CMYK and EXIF-rotated files written by
Pillow; /work/ms_suite_jpeg53/probe). MindSpore's two paths differ and are kept apart here: vision.Decode and
ImageFolderDataset(decode=True) give Pillow's RGB conversion and ignore EXIF orientation; vision.read_image (OpenCV)
applies the orientation for COLOR and GRAYSCALE (not UNCHANGED), reads GRAYSCALE as libjpeg's own gray output and
turns CMYK into RGB by OpenCV's integer rule."""
from __future__ import annotations

import io

import numpy as np

JPEG_MAGIC = b"\xff\xd8\xff"


def _pillow():
    try:
        from PIL import Image, ImageOps
    except ImportError:
        raise NotImplementedError("JPEG decoding needs Pillow: pip install 'gradserve-client[vision]' (PNG, BMP and "
                                  "uncompressed TIFF are read without it)") from None
    return Image, ImageOps


def _open(data: bytes, gray: bool = False):
    """The loaded Pillow image, or None where the bytes are no complete JPEG (MindSpore fails them too)."""
    image_mod, _ = _pillow()
    try:
        image = image_mod.open(io.BytesIO(data), formats=["JPEG"])
        if gray and image.mode != "CMYK":
            image.draft("L", image.size)  # libjpeg's gray output, as OpenCV asks for it
        image.load()
    except (OSError, SyntaxError, ValueError):
        return None
    if image.mode not in ("L", "RGB", "CMYK"):
        raise NotImplementedError(f"JPEG of Pillow mode {image.mode} is not implemented by gradserve")
    return image


def decode_jpeg_rgb(data: bytes) -> np.ndarray | None:
    """vision.Decode / ImageFolderDataset(decode=True): HWC RGB uint8, EXIF orientation not applied."""
    image = _open(data)
    return None if image is None else np.asarray(image.convert("RGB")).copy()


def _cmyk_to_rgb(cmyk: np.ndarray) -> np.ndarray:
    """OpenCV's CMYK -> RGB on libjpeg's (Adobe-inverted) samples, k - ((255 - c) * k >> 8); Pillow's samples are
    those inverted back. Equal to MindSpore 2.10's read_image on a Pillow-written CMYK JPEG."""
    raw = 255 - cmyk.astype(np.int64)
    k = raw[..., 3:4]
    return (k - (((255 - raw[..., :3]) * k) >> 8)).astype(np.uint8)


def read_jpeg(data: bytes, mode_name: str, gray_rule) -> np.ndarray | None:
    """vision.read_image of JPEG bytes for mode UNCHANGED / COLOR / GRAYSCALE (gray_rule: RGB -> gray for CMYK)."""
    image = _open(data, gray=mode_name == "GRAYSCALE")
    if image is None:
        return None
    if mode_name != "UNCHANGED":
        image = _pillow()[1].exif_transpose(image)
    pixels = np.asarray(image)
    if image.mode == "CMYK":
        pixels = _cmyk_to_rgb(pixels)
        if mode_name == "GRAYSCALE":
            return gray_rule(pixels.astype(np.int64)).astype(np.uint8)[..., None]
        return pixels
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    return np.repeat(pixels, 3, axis=2) if mode_name == "COLOR" and pixels.shape[2] == 1 else pixels.copy()
