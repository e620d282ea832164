"""LibriTTSDataset and LJSpeechDataset: the speech corpora's folders (the user's own, read here in the program) as
MindSpore 2.10 reads them: 16-bit PCM WAV files as float32 (1, samples) divided by 32767, their texts from the
corpus's .trans.tsv / metadata.csv, folders in the file system's listing order (MindSpore's: not sorted). Shuffled by
default (an order of its own, not MindSpore's)."""
from __future__ import annotations

import os
import wave

import numpy as np

from ._file_source import FileSource, check_dir, check_usage

_LIBRI_USAGES = ["dev-clean", "dev-other", "test-clean", "test-other", "train-clean-100", "train-clean-360",
                 "train-other-500", "all"]


def read_wav(path: str) -> tuple[np.ndarray, int]:
    """(float32 (1, samples) / 32767, sample rate) of a 16-bit PCM WAV file: a stereo file's samples interleaved in
    one row, as MindSpore 2.10 reads it."""
    with wave.open(path, "rb") as f:
        if f.getsampwidth() != 2:
            raise NotImplementedError(f"{path}: only 16-bit PCM WAV files are read by gradserve, this one has "
                                      f"{8 * f.getsampwidth()}-bit samples")
        data = np.frombuffer(f.readframes(f.getnframes()), "<i2").reshape(1, -1)
        return (data / 32767.0).astype(np.float32), f.getframerate()


class _SpeechFolder(FileSource):
    """A speech corpus: WAV files, then the corpus's columns."""

    _rate_dtype: type = np.uint32

    def _read(self, path: str) -> tuple:
        waveform, rate = read_wav(path)
        return waveform, np.array(rate, self._rate_dtype)


class LibriTTSDataset(_SpeechFolder):
    """LibriTTS: DIR/<usage>/<speaker>/<chapter>/<speaker>_<chapter>.trans.tsv (utterance id, original text,
    normalized text a line) beside <utterance id>.wav."""

    def __init__(self, dataset_dir, usage=None, num_samples=None, num_parallel_workers=None, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None, cache=None):
        check_dir(dataset_dir)
        usage = check_usage(usage, _LIBRI_USAGES)
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._dir, self._usage = dataset_dir, usage
        self._cols = ["waveform", "sample_rate", "original_text", "normalized_text", "speaker_id", "chapter_id",
                      "utterance_id"]

    def _entries(self) -> list[tuple[str, tuple]]:
        usages = _LIBRI_USAGES[:-1] if self._usage == "all" else [self._usage]
        found = []
        for usage in usages:
            root = os.path.join(self._dir, usage)
            for speaker in os.listdir(root) if os.path.isdir(root) else []:
                for chapter in os.listdir(os.path.join(root, speaker)):
                    folder = os.path.join(root, speaker, chapter)
                    found += _libri_chapter(folder, f"{speaker}_{chapter}.trans.tsv")
        return found


def _libri_chapter(folder: str, listing: str) -> list[tuple[str, tuple]]:
    with open(os.path.join(folder, listing), encoding="utf-8") as f:
        lines = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    return [(os.path.join(folder, uid + ".wav"),
             (np.array(original), np.array(normalized), np.array(int(uid.split("_")[0]), np.uint32),
              np.array(int(uid.split("_")[1]), np.uint32), np.array(uid)))
            for uid, original, normalized in lines]


class LJSpeechDataset(_SpeechFolder):
    """LJ Speech: DIR/metadata.csv (file id|transcription|normalized transcription a line) and DIR/wavs/<id>.wav."""

    _rate_dtype: type = np.int32

    def __init__(self, dataset_dir, num_samples=None, num_parallel_workers=None, shuffle=None, sampler=None,
                 num_shards=None, shard_id=None, cache=None):
        check_dir(dataset_dir)
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._dir = dataset_dir
        self._cols = ["waveform", "sample_rate", "transcription", "normalized_transcription"]

    def _entries(self) -> list[tuple[str, tuple]]:
        with open(os.path.join(self._dir, "metadata.csv"), encoding="utf-8") as f:
            lines = [line.rstrip("\n").split("|") for line in f if line.strip()]
        return [(os.path.join(self._dir, "wavs", name + ".wav"), (np.array(text), np.array(normalized)))
                for name, text, normalized in lines]
