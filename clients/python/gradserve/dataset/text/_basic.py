"""`mindspore.dataset.text.BasicTokenizer`: BERT's basic split (whitespace, ASCII and Unicode punctuation, CJK
ideographs), as MindSpore 2.10 gives it (probe /work/ms_suite_dataset3/probe/t5.py): case-folded, NFD and
without combining marks when lower_case, else normalization_form; controls as spaces; byte offsets into that text."""
from __future__ import annotations

import re
import unicodedata

from .._checks import typed
from ._seq import pipeline_error
from ._strings import _compile, _nfkc_casefold, _one_string, _tokenized, _tokens
from .utils import NormalizeForm

__all__ = ["BasicTokenizer"]

# BERT's "Chinese character" blocks and ASCII punctuation, as MindSpore's pattern lists them (ICU syntax).
_COMMON = (r"[!-/]|[:-@]|[\[-`]|[{-~]|[\p{P}]|[\x{4E00}-\x{9FFF}]|[\x{3400}-\x{4DBF}]|[\x{20000}-\x{2A6DF}]"
           r"|[\x{2A700}-\x{2B73F}]|[\x{2B740}-\x{2B81F}]|[\x{F900}-\x{FAFF}]|[\x{2F800}-\x{2FA1F}]")
_UNUSED = r"\[CLS\]|\[SEP\]|\[UNK\]|\[PAD\]|\[MASK\]|\[unused\d+\]"


class BasicTokenizer:
    def __init__(self, lower_case=False, keep_whitespace=False, normalization_form=NormalizeForm.NONE,
                 preserve_unused_token=True, with_offsets=False):
        typed("lower_case", lower_case, (bool,))
        typed("keep_whitespace", keep_whitespace, (bool,))
        if not isinstance(normalization_form, NormalizeForm):
            raise TypeError("Wrong input type for normalization_form, should be enum of 'NormalizeForm'.")
        typed("preserve_unused_token", preserve_unused_token, (bool,))
        typed("with_offsets", with_offsets, (bool,))
        self._lower, self._form, self._offsets = lower_case, normalization_form, with_offsets
        unused = _UNUSED + "|" if preserve_unused_token else ""
        self._delim = _compile("BasicTokenizer", r"\s+|" + unused + _COMMON)
        self._keep = _compile("BasicTokenizer", (r"\s+|" if keep_whitespace else "") + unused + _COMMON)
        self._unused = re.compile(f"({_UNUSED})") if preserve_unused_token else None

    def _fold(self, s: str) -> str:
        folded = _nfkc_casefold(s)
        return "".join(c for c in unicodedata.normalize("NFD", folded) if unicodedata.category(c) != "Mn")

    def _prepare(self, s: str) -> str:
        if self._lower:
            if self._unused and self._unused.search(s):  # (MindSpore 2.10 repeats parts of such a string)
                raise pipeline_error("BasicTokenizer: gradserve refuses lower_case with preserve_unused_token on a "
                                     "string holding [CLS], [SEP], [UNK], [PAD], [MASK] or [unusedN] (MindSpore "
                                     "2.10 gives the string's parts twice)")
            s = self._fold(s)
        elif self._form is not NormalizeForm.NONE:
            s = unicodedata.normalize(self._form.name, s)
        return "".join(" " if unicodedata.category(c) in ("Cc", "Cf") else c for c in s)

    def __call__(self, *args):
        s = self._prepare(_one_string(args, "BasicTokenizer"))
        return _tokenized(*_tokens(s, self._delim, self._keep), self._offsets)
