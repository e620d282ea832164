"""`mindspore.dataset.text`'s steps on strings: CaseFold, NormalizeUTF8, RegexReplace, RegexTokenizer,
BasicTokenizer, PythonTokenizer, to_bytes / to_str, as MindSpore 2.10 gives them (probes
/work/ms_suite_dataset3/probe/t4.py, t5.py). MindSpore's patterns are ICU's: Python's `re` reads them, with ICU's
\\p{..} general categories built from unicodedata and \\p{Han} from Scripts.txt; another property is refused by name."""
from __future__ import annotations

import functools
import re
import sys
import unicodedata

import numpy as np

from .._checks import typed
from ._seq import one_input, pipeline_error
from .utils import NormalizeForm

__all__ = ["CaseFold", "NormalizeUTF8", "RegexReplace", "RegexTokenizer", "BasicTokenizer", "PythonTokenizer",
           "to_bytes", "to_str"]


def _strings(arr: np.ndarray, name: str) -> list[str]:
    if arr.dtype.kind != "U":  # (bytes too: MindSpore 2.10's text ops take str only)
        raise pipeline_error(f"{name}: input is not string datatype.")
    return [str(w) for w in arr.ravel()]


def _each(arr: np.ndarray, name: str, fn) -> np.ndarray:
    return np.array([fn(w) for w in _strings(arr, name)]).reshape(arr.shape)


# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): NFKC_Casefold, ICU's CaseFold, drops them.
_IGNORABLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
                        "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")


def _nfkc_casefold(s: str) -> str:
    """Unicode's NFKC_Casefold (MindSpore 2.10: "Straße ẞ ﬁ Ⅻ A\\u00adB ①" -> "strasse ss fi xii ab 1")."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", _IGNORABLE.sub("", s)).casefold())


class CaseFold:
    """Each string case-folded as ICU's NFKC_Casefold (compatibility forms and ignorables too)."""

    def __call__(self, *args):
        return _each(one_input(args), "CaseFold", _nfkc_casefold)


class NormalizeUTF8:
    """Each string in normalize_form (NONE: as it is)."""

    def __init__(self, normalize_form=NormalizeForm.NFKC):
        if not isinstance(normalize_form, NormalizeForm):  # (MindSpore 2.10's text)
            raise TypeError("Wrong input type for normalization_form, should be enum of 'NormalizeForm'.")
        self._form = normalize_form

    def __call__(self, *args):
        form = self._form
        return _each(one_input(args), "NormalizeUTF8",
                     lambda s: s if form is NormalizeForm.NONE else unicodedata.normalize(form.name, s))


@functools.lru_cache(maxsize=1)
def _category_ranges() -> dict[str, str]:
    """Each general category (and its letter: L, N, P, ...) as the inside of a `re` character class."""
    runs: dict[str, list] = {}
    for cp in range(sys.maxunicode + 1):
        full = unicodedata.category(chr(cp))
        for cat in (full, full[0]):
            r = runs.setdefault(cat, [])
            if r and r[-1][1] == cp - 1:
                r[-1][1] = cp
            else:
                r.append([cp, cp])
    return {cat: "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                         for a, b in r) for cat, r in runs.items()}


# Unicode's Scripts.txt, Script=Han (the one script property here: MindSpore's tests split Chinese text with it)
_HAN = ("\u2e80-\u2e99\u2e9b-\u2ef3\u2f00-\u2fd5\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf"
        "\u4e00-\u9fff\uf900-\ufa6d\ufa70-\ufad9\U00016fe2\U00016fe3\U00016ff0\U00016ff1"
        "\U00020000-\U0002a6df\U0002a700-\U0002b739\U0002b740-\U0002b81d\U0002b820-\U0002cea1"
        "\U0002ceb0-\U0002ebe0\U0002f800-\U0002fa1d\U00030000-\U0003134a")


def _property(name: str) -> str | None:
    """A \\p{name}'s characters as the inside of a `re` class: a general category or the Han script."""
    return _HAN if name in ("Han", "Hani", "sc=Han", "script=Han") else _category_ranges().get(name)


_PROP = re.compile(r"\\([pP])\{([^}]*)\}|\\x\{([0-9a-fA-F]+)\}|\\.|\[|\]")


def icu_pattern(pattern: str) -> str:
    """An ICU regex as Python's `re` reads it: \\p{Cat} / \\P{Cat} of a general category and \\x{HHHH} rewritten;
    any other property refused (ValueError naming it) rather than read differently."""
    out, pos, depth = [], 0, 0
    for m in _PROP.finditer(pattern):
        out.append(pattern[pos:m.start()])
        pos = m.end()
        tok = m.group()
        if m.group(3):
            out.append(f"\\U{int(m.group(3), 16):08x}")
        elif m.group(2) is not None:
            cls = _property(m.group(2))
            if cls is None or (m.group(1) == "P" and depth):
                raise ValueError(f"gradserve.dataset.text: the ICU regex property {tok} in {pattern!r} is not "
                                 f"supported (general categories, such as \\p{{L}} or \\p{{Lu}}, and \\p{{Han}} only)")
            out.append(cls if depth else ("[^" if m.group(1) == "P" else "[") + cls + "]")
        else:
            depth += 1 if tok == "[" else -1 if tok == "]" and depth else 0
            out.append(tok)
    out.append(pattern[pos:])
    return "".join(out)


def _compile(name: str, pattern: str) -> re.Pattern:
    try:
        return re.compile(icu_pattern(pattern))
    except re.error as err:
        raise pipeline_error(f"{name}: create icu RegexMatcher failed, you may input one error pattern.") from err


def _icu_replacement(replace: str) -> str:
    """ICU's replacement text ($1 a group, \\$ a dollar) as `re.sub`'s."""
    return re.sub(r"\\(.)|\$(\d+)|\\", lambda m: f"\\g<{m.group(2)}>" if m.group(2)
                  else (m.group(1) or "").replace("\\", "\\\\"), replace)


class RegexReplace:
    """Each match of pattern (ICU syntax) replaced by replace ($1: a group); replace_all False: the first only."""

    def __init__(self, pattern, replace, replace_all=True):
        typed("pattern", pattern, (str,))
        typed("replace", replace, (str,))
        typed("replace_all", replace_all, (bool,))
        self._pat, self._rep, self._all = pattern, _icu_replacement(replace), replace_all

    def __call__(self, *args):
        arr = one_input(args)
        if arr.size > 1:  # (MindSpore 2.10 runs the strings of one array into each other: ["abab", "cab"])
            raise pipeline_error("RegexReplace: gradserve takes one string at a time (MindSpore 2.10 joins the "
                                 "results of an array's strings)")
        pat = _compile("RegexReplace", self._pat)
        return _each(arr, "RegexReplace", lambda s: pat.sub(self._rep, s, count=0 if self._all else 1))


def _tokens(s: str, delim: re.Pattern, keep: re.Pattern | None):
    """(tokens, starts, limits): the text between delim's matches, and the matches keep matches whole; byte offsets."""
    toks: list = []
    starts: list = []
    limits: list = []

    def add(a: int, b: int) -> None:
        if b > a:
            toks.append(s[a:b])
            starts.append(len(s[:a].encode()))
            limits.append(len(s[:b].encode()))

    pos = 0
    for m in delim.finditer(s):
        add(pos, m.start())
        if keep is not None and keep.fullmatch(m.group()):
            add(m.start(), m.end())
        pos = m.end()
    add(pos, len(s))
    return toks, starts, limits


def _tokenized(toks: list, starts: list, limits: list, with_offsets: bool):
    if not toks:  # (no token: one empty one at 0, as MindSpore 2.10 gives)
        toks, starts, limits = [""], [0], [0]
    out = np.array(toks)
    if not with_offsets:
        return out
    return out, np.array(starts, dtype=np.uint32), np.array(limits, dtype=np.uint32)


def _one_string(args: tuple, name: str) -> str:
    arr = one_input(args)
    if arr.ndim != 0 or arr.dtype.kind != "U":
        raise pipeline_error(f"{name}: the input shape should be scalar and the input datatype should be string.")
    return str(arr)


class RegexTokenizer:
    """The string split at delim_pattern's matches; a match keep_delim_pattern matches whole is a token too."""

    def __init__(self, delim_pattern, keep_delim_pattern="", with_offsets=False):
        typed("delim_pattern", delim_pattern, (str,))
        typed("keep_delim_pattern", keep_delim_pattern, (str,))
        typed("with_offsets", with_offsets, (bool,))
        self._delim, self._keep, self._offsets = delim_pattern, keep_delim_pattern, with_offsets

    def __call__(self, *args):
        s = _one_string(args, "RegexTokenizerOp")
        keep = _compile("RegexTokenizer", self._keep) if self._keep else None
        return _tokenized(*_tokens(s, _compile("RegexTokenizer", self._delim), keep), self._offsets)


class PythonTokenizer:
    """tokenizer(str) -> a list of str, on one string (a 0-d array; bytes read as UTF-8)."""

    def __init__(self, tokenizer):
        if not callable(tokenizer):
            raise TypeError("tokenizer is not a callable Python function.")
        self._fn = tokenizer

    def __call__(self, *args):
        if len(args) != 1 or not isinstance(args[0], (np.ndarray, np.generic)):  # (np.str_: a row in map)
            raise TypeError(f"input should be a NumPy array. Got {type(args[0] if args else None)}.")
        arr = np.asarray(args[0])
        if arr.ndim != 0 or arr.dtype.kind not in "US":  # (MindSpore 2.10 vectorizes other shapes oddly)
            raise pipeline_error("PythonTokenizer: gradserve takes one string (a 0-d array) at a time")
        s = arr.item()
        words = self._fn(s.decode() if isinstance(s, bytes) else s)
        if not isinstance(words, (list, tuple, np.ndarray)):
            raise pipeline_error(f"PythonTokenizer: the tokenizer gave {type(words)}, not a list of str")
        return np.array(words, dtype=np.str_)


def to_bytes(array, encoding="utf8"):
    """A str array as a bytes array."""
    return np.char.encode(np.asarray(array), encoding)


def to_str(array, encoding="utf8"):
    """A bytes array as a str array."""
    return np.char.decode(np.asarray(array), encoding)
