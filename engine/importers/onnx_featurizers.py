"""ONNX feature extractors in front of a model: MelWeightMatrix (opset 17: the mel filter bank an audio front end
multiplies a spectrogram by; its sizes and edges are constants, so the matrix is one) and TfIdfVectorizer
(opset 9: n-gram counts of integer token ids, computed in the graph so the ids may be run-time data).
Importing this module registers them in onnx_ops.HANDLERS."""
from __future__ import annotations

import numpy as np

from .graph_writer import UnsupportedModel
from .onnx_ops import _ins, _np_dtype, handles


def mel_points(bins: int, dft_length: int, rate: int, low_hz: float, high_hz: float) -> np.ndarray:
    """The bins + 2 filter edges (spectrogram bins), as the ONNX spec's definition (and onnx.reference) place
    them: evenly spaced on the mel scale in steps of (high - low) / (num_mel_bins + 2), floored to a bin."""
    def to_mel(hz):
        return 2595 * np.log1p(hz / 700) / np.log(10)

    low, high = to_mel(low_hz), to_mel(high_hz)
    mels = np.arange(bins + 2) * ((high - low) / (bins + 2)) + low
    return (((dft_length + 1) * (700 * np.expm1(mels / 2595 * np.log(10)))) // rate).astype(np.int64)


def mel_weight_matrix(points: np.ndarray, spectrogram_bins: int) -> np.ndarray:
    """[spectrogram_bins, len(points) - 2] triangles: filter i rises from point i to point i + 1 (1 at a point
    i + 1 equal to point i) and falls to point i + 2 (excluded)."""
    out = np.zeros((spectrogram_bins, len(points) - 2))
    for i in range(len(points) - 2):
        left, center, right = points[i], points[i + 1], points[i + 2]
        if center == left:
            out[center, i] = 1
        else:
            out[left:center + 1, i] = (np.arange(left, center + 1) - left) / (center - left)
        if right > center:
            out[center:right, i] = (right - np.arange(center, right)) / (right - center)
    return out


@handles("MelWeightMatrix")
def _mel_weight_matrix(ctx, node, attrs):
    i = _ins(node)
    bins, dft_length, rate = (int(np.asarray(ctx.cval(n, node)).reshape(-1)[0]) for n in i[:3])
    low, high = (float(np.asarray(ctx.cval(n, node)).reshape(-1)[0]) for n in i[3:5])
    where = f"MelWeightMatrix node {node.name!r}"
    if bins < 1 or dft_length < 2 or rate < 1 or not 0 <= low < high:
        raise UnsupportedModel(f"{where}: num_mel_bins {bins}, dft_length {dft_length}, sample_rate {rate}, "
                               f"edges [{low}, {high}] Hz (known: positive sizes, 0 <= lower < upper)")
    points, rows = mel_points(bins, dft_length, rate, low, high), dft_length // 2 + 1
    if points[-2] >= rows or points[-1] > rows:
        raise UnsupportedModel(f"{where}: upper_edge_hertz {high} reaches spectrogram bin {int(points[-1])}, past "
                               f"the {rows} bins of dft_length {dft_length} (at most sample_rate / 2 = {rate / 2})")
    dt = _np_dtype(ctx.onnx, attrs.get("output_datatype", 1), where)
    return [ctx.w.const(mel_weight_matrix(points, rows).astype(dt))]


def _tfidf_grams(attrs, where: str) -> list[tuple[tuple[int, ...], int]]:
    """[(the n-gram's ids, its output column)] of the pool, for the sizes min_gram_length..max_gram_length."""
    if attrs.get("pool_strings"):
        raise UnsupportedModel(f"{where}: string n-grams (pool_strings; gradserve graphs hold numbers: map the "
                               "tokens to integer ids and use pool_int64s)")
    pool, starts = list(attrs.get("pool_int64s", [])), list(attrs.get("ngram_counts", []))
    columns = list(attrs.get("ngram_indexes", []))
    lo, hi = int(attrs.get("min_gram_length", 1)), int(attrs.get("max_gram_length", 1))
    grams, k = [], 0
    for n, start in enumerate(starts, 1):
        end = starts[n] if n < len(starts) else len(pool)
        for at in range(start, end - n + 1, n):
            if k >= len(columns):
                raise UnsupportedModel(f"{where}: {len(columns)} ngram_indexes for more n-grams in pool_int64s")
            if lo <= n <= hi:
                grams.append((tuple(pool[at:at + n]), int(columns[k])))
            k += 1
    return grams


def _matches(w, x: str, grams, n: int, skip: int) -> str:
    """[rows, len(grams)] float32: how many positions i of each row start gram g with a step of skip + 1
    (x[i + k (skip + 1)] == g[k] for k < n)."""
    length, step = w.shape(x)[1], skip + 1
    starts = length - (n - 1) * step
    pos = np.arange(starts)[:, None] + np.arange(n)[None, :] * step  # [starts, n]
    windows = w.gather(x, w.const(pos.astype(np.int64)), 1)  # [rows, starts, n]
    rows = w.shape(x)[0]
    windows = w.reshape(windows, [rows, starts, 1, n])
    pats = w.const(np.array(grams, np.int64).reshape(1, 1, len(grams), n))
    hit = w.reduce("min", w.cast(w.binary("equal", windows, w.cast(pats, w.dtype(x))), "float32"), [3])
    return w.reduce("sum", hit, [1])  # [rows, grams]


@handles("TfIdfVectorizer")
def _tfidf(ctx, node, attrs):
    """Counts of each pool n-gram (unigrams once; longer grams at every skip 0..max_skip_count), into its
    ngram_indexes column; mode TF the counts, IDF weight (or 1) where a count is nonzero, TFIDF weight * count."""
    w, where = ctx.w, f"TfIdfVectorizer node {node.name!r}"
    x = ctx.val(node.input[0])
    shape = w.shape(x)
    if not w.dtype(x).startswith(("int", "uint")) or len(shape) not in (1, 2):
        raise UnsupportedModel(f"{where}: input {w.dtype(x)} {list(shape)} (known: integer ids, [C] or [B, C])")
    mode, skips = attrs.get("mode", "TF"), int(attrs.get("max_skip_count", 0))
    if isinstance(mode, bytes):
        mode = mode.decode()
    if mode not in ("TF", "IDF", "TFIDF"):
        raise UnsupportedModel(f"{where}: mode {mode!r} (known: TF, IDF, TFIDF)")
    grams = _tfidf_grams(attrs, where)
    width = max(attrs.get("ngram_indexes", [0])) + 1
    rows = w.reshape(x, [1, shape[0]]) if len(shape) == 1 else x
    b, length = w.shape(rows)
    counts = w.const(np.zeros((b, width), np.float32))
    for n in sorted({len(g) for g, _ in grams}):
        sized = [(g, col) for g, col in grams if len(g) == n]
        to_column = np.zeros((len(sized), width), np.float32)
        to_column[np.arange(len(sized)), [col for _, col in sized]] = 1
        for skip in range(skips + 1 if n > 1 else 1):
            if length - (n - 1) * (skip + 1) < 1:
                break
            found = _matches(w, rows, [g for g, _ in sized], n, skip)
            counts = w.add(counts, w.matmul(found, w.const(to_column)))
    weights = np.asarray(attrs.get("weights", []) or np.ones(width), np.float32)
    if weights.shape != (width,):
        raise UnsupportedModel(f"{where}: {weights.size} weights for {width} output columns")
    if mode == "IDF":
        counts = w.mul(w.cast(w.binary("greater", counts, w.scalar_like(0.0, counts)), "float32"), w.const(weights))
    elif mode == "TFIDF":
        counts = w.mul(counts, w.const(weights))
    return [w.reshape(counts, [width]) if len(shape) == 1 else counts]
