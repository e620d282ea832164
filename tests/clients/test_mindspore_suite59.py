"""Sample seed 59 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 59").

What the sample asked for: num_samples=0 read as "every row" by the sources and samplers (a silently empty dataset
before), and STL10Dataset (ut/python/dataset/test_datasets_stl10.py). Expected values and texts: MindSpore 2.10 CPU
runs of the same programs (/work/ms_suite59/probe/p2.py .. p6.py); the STL10 pixels also from the format's own
layout (uint8 (N, 3, 96, 96) column-major images, 1-based labels), read here with NumPy."""
import os
import wave

import numpy as np
import pytest

import gradserve.dataset as ds


def _lj(tmp_path):
    """A two-utterance LJ Speech folder (metadata.csv, wavs/a.wav, wavs/b.wav)."""
    os.makedirs(tmp_path / "wavs")
    for name in "ab":
        with wave.open(str(tmp_path / "wavs" / f"{name}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(np.arange(10, dtype="<i2").tobytes())
    (tmp_path / "metadata.csv").write_text("a|x|y\nb|z|w\n")
    return str(tmp_path)


def _count(d):
    return sum(1 for _ in d.create_tuple_iterator(num_epochs=1, output_numpy=True))


# MindSpore 2.10 (probe p5.py / p6.py): num_samples=0 reads every row (4, 2, 2, 7 rows; LJSpeech 2, its shard 0 of
# 2 one row, a SequentialSampler(num_samples=0) 2, a DistributedSampler(2, 0, num_samples=0) 1); gradserve gave 0.
def test_num_samples_zero_reads_every_row(tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("a\nb\nc\n\nd\n")
    assert _count(ds.NumpySlicesDataset(np.arange(4), num_samples=0, shuffle=False)) == 4
    assert _count(ds.GeneratorDataset(lambda: iter([(1,), (2,)]), ["a"], num_samples=0)) == 2
    assert _count(ds.GeneratorDataset([(1,), (2,)], ["a"], num_samples=0)) == 2
    assert _count(ds.TextFileDataset(str(lines), num_samples=0)) == 4


def test_num_samples_zero_in_file_datasets_and_samplers(tmp_path):
    root = _lj(tmp_path)
    assert _count(ds.LJSpeechDataset(root, num_samples=0)) == 2
    assert ds.LJSpeechDataset(root, num_samples=0).get_dataset_size() == 2
    assert _count(ds.LJSpeechDataset(root, num_samples=0, num_shards=2, shard_id=0)) == 1
    assert _count(ds.LJSpeechDataset(root, sampler=ds.SequentialSampler(num_samples=0))) == 2
    assert _count(ds.LJSpeechDataset(root, sampler=ds.DistributedSampler(2, 0, shuffle=False, num_samples=0))) == 1
    assert _count(ds.LJSpeechDataset(root, num_samples=1)) == 1  # (a limit still limits)
