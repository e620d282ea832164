"""`mindspore.dataset.text`, the part on NumPy string arrays: Vocab (from_list / from_dict / from_dataset), Lookup,
WordpieceTokenizer, WhitespaceTokenizer and UnicodeCharTokenizer, each as MindSpore 2.10 gives them (probes
/work/ms_suite_dataset2/probe/text*.py). Offsets are in UTF-8 bytes (uint32), as MindSpore's."""
from __future__ import annotations

import os
import re
from collections import Counter

import numpy as np

from ... import dtype as _dt
from .._checks import typed
from ._seq import Ngram, SlidingWindow, ToNumber, TruncateSequencePair
from ._seq import pipeline_error as _pipeline_error
from ._strings import CaseFold, NormalizeUTF8, PythonTokenizer, RegexReplace, RegexTokenizer, to_bytes, to_str
from ._strings import _tokenized as _with_offsets
from ._basic import BasicTokenizer
from . import utils
from .utils import NormalizeForm

__all__ = ["Vocab", "Lookup", "WordpieceTokenizer", "WhitespaceTokenizer", "UnicodeCharTokenizer", "ToNumber",
           "SlidingWindow", "TruncateSequencePair", "Ngram", "CaseFold", "NormalizeUTF8", "RegexReplace",
           "RegexTokenizer", "BasicTokenizer", "PythonTokenizer", "to_bytes", "to_str", "NormalizeForm", "utils"]

_ID_MAX = 2147483647


class Vocab:
    """Words and their ids; an unknown word's id is -1 and an unknown id's word "" (as MindSpore's)."""

    def __init__(self, ids: dict | None = None):
        self._built = ids is not None  # (Vocab(): not built, its look-ups refused as MindSpore's)
        self._ids = ids or {}
        self._words = {i: w for w, i in self._ids.items()}

    @classmethod
    def from_list(cls, word_list, special_tokens=None, special_first=True) -> "Vocab":
        words, specials = list(word_list), list(special_tokens or [])
        for name, seq in (("word_list", words), ("special_tokens", specials)):
            dup = next((w for k, w in enumerate(seq) if w in seq[:k]), None)
            if dup is not None:
                raise ValueError(f"{name} contains duplicate word: {dup}.")
        both = set(words) & set(specials)
        if both:
            raise ValueError(f"special_tokens and word_list contain duplicate word :{both}.")
        return cls(_numbered(words, specials, special_first))

    @classmethod
    def from_file(cls, file_path, delimiter="", vocab_size=None, special_tokens=None, special_first=True) -> "Vocab":
        """A word a line of the user's file (the line up to the first character of delimiter that it holds; "\\r"
        kept, an empty line is the word ""), the first vocab_size lines; MindSpore 2.10's checks and texts."""
        typed("file_path", file_path, (str,))
        typed("delimiter", delimiter, (str,))
        if vocab_size is not None:
            typed("vocab_size", vocab_size, (int, bool))
            if vocab_size <= 0:
                raise ValueError("Input vocab_size must be greater than 0.")
        specials = [] if special_tokens is None else special_tokens
        typed("special_tokens", specials, (list,))
        typed("special_first", special_first, (bool,))
        dup = next((w for k, w in enumerate(specials) if w in specials[:k]), None)
        if dup is not None:
            raise ValueError(f"special_tokens contains duplicate word: {dup}.")
        if not os.path.exists(file_path):
            raise RuntimeError(f"Get real path failed, path={file_path}")
        with open(file_path, encoding="utf-8", newline="") as f:
            lines = f.read().split("\n")
        if lines[-1] == "":  # (the file's last newline ends a line; it starts no empty word)
            lines.pop()
        cut = re.compile("[" + re.escape(delimiter) + "]") if delimiter else None
        words = [cut.split(ln, maxsplit=1)[0] if cut else ln for ln in lines][:vocab_size]
        seen: set = set()
        for w in words:
            if w in seen:
                raise RuntimeError(f"from_file: word_list contains duplicate word:{w}")
            seen.add(w)
        both = next((w for w in specials if w in seen), None)
        if both is not None:
            raise RuntimeError(f"from_file: special_tokens and word_list contain duplicate word:{both}")
        return cls(_numbered(words, list(specials), special_first))

    @classmethod
    def from_dict(cls, word_dict) -> "Vocab":
        for w, i in word_dict.items():
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i <= _ID_MAX:
                raise ValueError(f"Input word_id is not within the required interval of [0, {_ID_MAX}].")
        return cls(dict(word_dict))

    @classmethod
    def from_dataset(cls, dataset, columns=None, freq_range=None, top_k=None, special_tokens=None,
                     special_first=True) -> "Vocab":
        """Each string of the columns (None: all) counted; the words within freq_range (inclusive, None: open)
        by count, most first (ties in string order), at most top_k of them."""
        names = [columns] if isinstance(columns, str) else list(columns or dataset.get_col_names())
        counts: Counter = Counter()
        for row in dataset.create_tuple_iterator(columns=names, num_epochs=1, output_numpy=True):
            for col in row:
                counts.update(str(w) for w in np.asarray(col).ravel())
        low, high = freq_range or (None, None)
        kept = sorted((w for w, n in counts.items() if (low is None or n >= low) and (high is None or n <= high)),
                      key=lambda w: (-counts[w], w))
        return cls(_numbered(kept[:top_k] if top_k is not None else kept, list(special_tokens or []),
                             special_first))

    def _check_built(self) -> None:
        if not self._built:  # (MindSpore 2.10's text)
            raise RuntimeError("The Vocab has not built yet, got type <class 'NoneType'>. Use Vocab.from_dataset(), "
                               "Vocab.from_list(), Vocab.from_file() or Vocab.from_dict() to build a Vocab.")

    def vocab(self) -> dict:
        self._check_built()
        return dict(self._ids)

    def tokens_to_ids(self, tokens):
        """A word's id (a str or 0-d array), or a list of them (a list or array)."""
        typed("tokens", tokens, (str, list, np.ndarray))
        self._check_built()
        one, items = _one_or_many(tokens)
        for k, t in enumerate(items):
            typed(f"tokens[{k}]", t, (str, np.str_))
        got = [self._ids.get(str(t), -1) for t in items]
        return got[0] if one else got

    def ids_to_tokens(self, ids):
        """An id's word (an int or 0-d array; "" for an unknown id), or a list of them (a list or array)."""
        typed("ids", ids, (int, list, np.ndarray))
        self._check_built()
        one, items = _one_or_many(ids)
        for k, i in enumerate(items):
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
                raise TypeError(f"Argument ids[{k}] with value {i} is not of type [<class 'int'>, "
                                f"<class 'numpy.int64'>], but got {type(i)}.")
            if not 0 <= int(i) <= _ID_MAX:
                raise ValueError(f"Input ids is not within the required interval of [0, {_ID_MAX}].")
        got = [self._words.get(int(i), "") for i in items]
        return got[0] if one else got


def _one_or_many(x) -> tuple[bool, list]:
    """(True, [x]) for one word or id (a 0-d array too), else (False, its items)."""
    if isinstance(x, np.ndarray):
        return x.ndim == 0, [x.item()] if x.ndim == 0 else x.ravel().tolist()
    return (False, list(x)) if isinstance(x, list) else (True, [x])


def _numbered(words: list, specials: list, special_first: bool) -> dict:
    order = specials + words if special_first else words + specials
    return {w: k for k, w in enumerate(order)}


class Lookup:
    """Each string's id in vocab (unknown_token's for a word not in it; none given: an error, as MindSpore's)."""

    def __init__(self, vocab: Vocab, unknown_token=None, data_type=None):
        if data_type is not None and not isinstance(data_type, _dt.Type) and data_type is not _dt.string:
            # (MindSpore 2.10's texts)
            raise TypeError(f"Argument data_type with value {data_type} is not of type "
                            f"[<class 'mindspore._c_expression.typing.Type'>], but got {type(data_type)}.")
        if data_type is _dt.string:
            raise RuntimeError("Lookup : The parameter data_type must be numeric including bool.")
        if unknown_token is not None:
            typed("unknown_token", unknown_token, (str,))
        vocab._check_built()
        self._vocab, self._np = vocab, np.dtype(_dt.to_name(data_type) if data_type is not None else "int32")
        self._unk = None
        if unknown_token is not None:
            if unknown_token not in vocab._ids:  # (MindSpore 2.10 raises when the op is first used)
                raise RuntimeError(f"Syntax error. [ERROR] Lookup: \"{unknown_token}\" doesn't exist in vocab.")
            self._unk = vocab._ids[unknown_token]

    def _id(self, word: str) -> int:
        i = self._vocab._ids.get(word, self._unk)
        if i is None:
            raise _pipeline_error(f"Lookup: invalid data, token: \"{word}\" doesn't exist in vocab and no unknown "
                                  f"token is specified.")
        return i

    def __call__(self, x):
        arr = np.asarray(x)
        return np.array([self._id(str(w)) for w in arr.ravel()], dtype=self._np).reshape(arr.shape)


def _emit(tokens: list | None, starts: list, limits: list, token: str, start: int, limit: int) -> None:
    """One token and its byte offsets (tokens None: the offsets only)."""
    if tokens is not None:
        tokens.append(token)
    starts.append(start)
    limits.append(limit)


class WordpieceTokenizer:
    """Each word split into the longest pieces in vocab, the pieces after the first with suffix_indicator; a word
    longer than max_bytes_per_token, or one that does not split, is unknown_token ("": the word itself)."""

    def __init__(self, vocab: Vocab, suffix_indicator="##", max_bytes_per_token=100, unknown_token="[UNK]",
                 with_offsets=False):
        self._vocab, self._suffix, self._max = vocab, suffix_indicator, max_bytes_per_token
        self._unk, self._offsets = unknown_token, with_offsets

    def __call__(self, x):
        tokens: list = []
        starts: list = []
        limits: list = []
        words = np.asarray(x).ravel()
        if not words.size:
            raise _pipeline_error("WordpieceTokenizer: Input Tensor has no data.")
        for word in words:  # (an empty word gives no piece; no piece at all: one empty token, as MindSpore's)
            self._split(str(word), tokens, starts, limits)
        return _with_offsets(tokens, starts, limits, self._offsets)

    def _split(self, word: str, tokens: list, starts: list, limits: list) -> None:
        nbytes = len(word.encode())
        if nbytes > self._max:  # (its limit: the unknown token's length, as MindSpore 2.10's)
            out = self._unk or word
            _emit(tokens, starts, limits, out, 0, len(out.encode()))
            return
        pieces, start = [], 0
        while start < len(word):
            end = next((e for e in range(len(word), start, -1)
                        if (self._suffix if start else "") + word[start:e] in self._vocab._ids), None)
            if end is None:  # (MindSpore 2.10 keeps the offsets of the pieces found before: its quirk, kept)
                _emit(tokens, starts, limits, self._unk or word, 0, nbytes)
                return
            pieces.append((self._suffix if start else "") + word[start:end])
            _emit(None, starts, limits, "", len(word[:start].encode()), len(word[:end].encode()))
            start = end
        tokens.extend(pieces)


class WhitespaceTokenizer:
    """The string split at ICU whitespace (str.split's), with byte offsets."""

    def __init__(self, with_offsets=False):
        self._offsets = with_offsets

    def __call__(self, x):
        s = str(np.asarray(x).item())
        tokens, starts, limits, pos = [], [], [], 0
        for tok in s.split():
            pos = s.index(tok, pos)
            _emit(tokens, starts, limits, tok, len(s[:pos].encode()), len(s[:pos + len(tok)].encode()))
            pos += len(tok)
        return _with_offsets(tokens, starts, limits, self._offsets)


class UnicodeCharTokenizer:
    """The string split into its characters, with byte offsets."""

    def __init__(self, with_offsets=False):
        self._offsets = with_offsets

    def __call__(self, x):
        s = str(np.asarray(x).item())
        limits = list(np.cumsum([len(c.encode()) for c in s]))
        return _with_offsets(list(s), [0, *limits[:-1]] if s else [], limits, self._offsets)
