"""TedliumDataset: TED-LIUM folders (the user's own, read here in the program) as MindSpore 2.10 reads them. One row
a line of the talks' .stm files (talk, channel, speaker, start, end, identifier, transcript); the .sph file beside
gives the sample rate. MindSpore 2.10 (CPU) gives every segment's waveform as float32 zeros of shape
(1, floor(end * rate) - floor(start * rate)), whatever the .sph file's samples (probed on crafted files: constant,
ramp and random samples, both byte orders): gradserve gives the same, so that programs see what MindSpore's do.
Rows in MindSpore's order: by line number, then file name, then folder (usage)."""
from __future__ import annotations

import math
import os

import numpy as np

from ._file_source import FileSource, check_choice, check_dir, check_usage
from .audio import _pipeline_error
from ._schema import _syntax_error

_RELEASES = ["release1", "release2", "release3"]


def sph_rate(path: str) -> int:
    """The sample_rate field of a NIST SPHERE header."""
    try:
        with open(path, "rb") as f:
            head = f.read(1024).split(b"end_head")[0]
    except OSError:
        raise _pipeline_error(f"Invalid file, failed to open file: {path}") from None
    for line in head.decode("latin-1").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "sample_rate":
            return int(parts[2])
    raise _pipeline_error(f"Invalid file, no sample_rate in the SPHERE header of {path}")


class TedliumDataset(FileSource):
    """TED-LIUM: release1 / release2 DIR/<usage>/{stm,sph}/<talk>.{stm,sph}; release3 DIR/data/{stm,sph}."""

    def __init__(self, dataset_dir, release, usage=None, extensions=None, num_samples=None,
                 num_parallel_workers=None, shuffle=None, sampler=None, num_shards=None, shard_id=None, cache=None):
        check_dir(dataset_dir)
        check_choice("release", release, _RELEASES)
        usage = check_usage(usage, ["all"] if release == "release3" else ["train", "test", "dev", "all"])
        super().__init__(num_samples, num_parallel_workers, shuffle, sampler, num_shards, shard_id, cache)
        self._dir, self._release, self._usage, self._ext = dataset_dir, release, usage, extensions
        self._cols = ["waveform", "sample_rate", "transcript", "talk_id", "speaker_id", "identifier"]

    def _folders(self) -> list[str]:
        if self._release == "release3":
            return [os.path.join(self._dir, "data")]
        usages = ["dev", "test", "train"] if self._usage == "all" else [self._usage]
        return [os.path.join(self._dir, u) for u in usages]

    def _entries(self) -> list[tuple[str, tuple]]:
        if self._ext is not None and self._ext != ".sph":
            raise _syntax_error(f"TedliumNode: extension {self._ext} is not supported.")
        keyed = []
        for folder in self._folders():
            stm_dir = os.path.join(folder, "stm")
            if not os.path.isdir(stm_dir):
                raise _pipeline_error(f"Invalid file, failed to open folder: {stm_dir}")
            for name in os.listdir(stm_dir):
                if name.endswith(".stm"):
                    sph = os.path.join(folder, "sph", name[:-4] + ".sph")
                    for k, seg in enumerate(_stm_lines(os.path.join(stm_dir, name))):
                        keyed.append(((k, name, folder), (sph, seg)))
        return [entry for _, entry in sorted(keyed, key=lambda e: e[0])]

    def _no_rows_error(self) -> RuntimeError:
        return _pipeline_error("Invalid data, no valid data matching the dataset API TedliumDataset. Please check "
                               "file path or dataset API.")

    def _read(self, path: str) -> tuple:
        return (np.array(sph_rate(path), np.int32),)

    def _rows(self):
        for row in super()._rows():
            rate, start, end, *rest = row
            n = math.floor(end * int(rate)) - math.floor(start * int(rate))
            out = type(row)((np.zeros((1, n), np.float32), rate, *rest))
            out.file = row.file
            yield out


def _stm_lines(path: str) -> list[tuple]:
    """(start, end, transcript, talk, speaker, identifier) of each line."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = []
    for no, line in enumerate(lines, 1):
        parts = line.split(" ", 6)
        if len(parts) < 7:
            raise NotImplementedError(f"TedliumDataset: {path} line {no} has fewer than 7 fields; gradserve reads "
                                      "only full lines (talk channel speaker start end identifier transcript)")
        talk, _, speaker, start, end, ident, text = parts
        out.append((float(start), float(end), np.array(text), np.array(talk), np.array(speaker), np.array(ident)))
    return out
