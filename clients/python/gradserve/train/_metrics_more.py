"""train.BleuScore, CosineSimilarity, Dice, Perplexity: MindSpore 2.10's metrics of
text, embeddings, segmentations and language models, on NumPy in the client."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ..nn._metrics import Metric, check_inputs, not_updated, rearrange_inputs


class BleuScore(Metric):
    """train.BleuScore(n_gram=4, smooth=False): corpus BLEU of candidate token lists against lists of references
    (n-gram counts clipped by the references' maxima; the brevity penalty uses each candidate's closest
    reference length)."""

    def __init__(self, n_gram=4, smooth=False):
        if not isinstance(n_gram, int) or not 1 <= n_gram <= 4:
            raise ValueError(f"For 'BleuScore', the argument 'n_gram' should be an int from 1 to 4, but got "
                             f"{n_gram!r}.")
        if not isinstance(smooth, bool):
            raise TypeError(f"For 'BleuScore', the argument 'smooth' must be a bool, but got {type(smooth)}.")
        self.n_gram, self.smooth = n_gram, smooth
        super().__init__()

    def clear(self) -> None:
        self._numerator, self._denominator = np.zeros(self.n_gram), np.zeros(self.n_gram)
        self._c, self._r, self._is_update = 0.0, 0.0, False

    def _ngrams(self, tokens) -> Counter:
        return Counter(tuple(tokens[j:j + i]) for i in range(1, self.n_gram + 1)
                       for j in range(len(tokens) - i + 1))

    @rearrange_inputs
    def update(self, *inputs) -> None:
        check_inputs("BleuScore", inputs, "candidate_corpus", "reference_corpus")
        candidates, references = inputs
        if len(candidates) != len(references):
            raise ValueError(f"For 'BleuScore.update', 'candidate_corpus' (inputs[0]) and 'reference_corpus' "
                             f"(inputs[1]) should be equal in length, but got {len(candidates)}, {len(references)}")
        for candidate, refs in zip(candidates, references):
            self._c += len(candidate)
            lengths = [len(ref) for ref in refs]
            gaps = [abs(len(candidate) - n) for n in lengths]
            self._r += lengths[gaps.index(min(gaps))]
            counts, most = self._ngrams(candidate), Counter[tuple]()
            for ref in refs:
                most |= self._ngrams(ref)
            for gram, n in (counts & most).items():
                self._numerator[len(gram) - 1] += n
            for gram, n in counts.items():
                self._denominator[len(gram) - 1] += n
        self._is_update = True

    def eval(self):
        if not self._is_update:
            raise not_updated()
        if min(self._numerator) == 0.0:
            return np.array(0.0)
        extra = 1.0 if self.smooth else 0.0
        precisions = (self._numerator + extra) / (self._denominator + extra)
        geometric_mean = np.exp(np.sum(np.log(precisions) / self.n_gram))
        brevity = np.array(1.0) if self._c > self._r else np.exp(1 - np.array(self._r) / np.array(self._c))
        return brevity * geometric_mean


class CosineSimilarity(Metric):
    """train.CosineSimilarity(similarity, reduction, zero_diagonal): the rows' pairwise cosine (or dot)
    similarity matrix, its diagonal zeroed, optionally summed or averaged per row."""

    def __init__(self, similarity="cosine", reduction="none", zero_diagonal=True):
        if similarity not in ("dot", "cosine"):
            raise ValueError(f"For 'CosineSimilarity', the argument 'similarity' must be 'dot' or 'cosine', but got "
                             f"{similarity!r}.")
        if reduction not in ("none", "sum", "mean"):
            raise ValueError(f"For 'CosineSimilarity', the argument 'reduction' must be 'none', 'sum' or 'mean', but "
                             f"got {reduction!r}.")
        if not isinstance(zero_diagonal, bool):
            raise TypeError(f"For 'CosineSimilarity', the argument 'zero_diagonal' must be a bool, but got "
                            f"{type(zero_diagonal)}.")
        self.similarity, self.reduction, self.zero_diagonal = similarity, reduction, zero_diagonal
        super().__init__()

    def clear(self) -> None:
        self.sqr_mtx_res, self._is_update = 0, False

    @rearrange_inputs
    def update(self, inputs) -> None:  # MindSpore's: one input
        data = self._convert_data(inputs)
        if self.similarity == "cosine":
            data = data / np.linalg.norm(data, ord=2, axis=1)[:, None]
        self.sqr_mtx_res, self._is_update = data @ data.T, True

    def eval(self):
        if not self._is_update:
            raise not_updated()
        result = np.array(self.sqr_mtx_res)
        if self.zero_diagonal:
            np.fill_diagonal(result, 0)
        if self.reduction == "mean":
            return result.mean(axis=-1)
        return result.sum(axis=-1) if self.reduction == "sum" else result


class Dice(Metric):
    """train.Dice(smooth): each update's 2 <y_pred, y> / (|y_pred|^2 + |y|^2 + smooth), summed over updates and
    divided by the samples seen (MindSpore's definition)."""

    def __init__(self, smooth=1e-5):
        if not isinstance(smooth, float) or not smooth > 0:
            raise ValueError(f"For 'Dice', the argument 'smooth' must be a positive float, but got {smooth!r}.")
        self.smooth = smooth
        super().__init__()

    def clear(self) -> None:
        self._dice_coeff_sum, self._samples_num = 0.0, 0

    @rearrange_inputs
    def update(self, *inputs) -> None:
        check_inputs("Dice", inputs, "predicted value", "true value")
        y_pred, y = self._convert_data(inputs[0]), self._convert_data(inputs[1])
        self._samples_num += y.shape[0]
        if y_pred.shape != y.shape:
            raise ValueError(f"For 'Dice.update', predicted value (input[0]) and true value (input[1]) should have "
                             f"same shape, but got {y_pred.shape} and {y.shape}.")
        y_pred, y = y_pred.ravel(), y.ravel()
        union = float(y_pred @ y_pred + y @ y)
        self._dice_coeff_sum += 2 * float(y_pred @ y) / (union + self.smooth)

    def eval(self) -> float:
        if self._samples_num == 0:
            raise RuntimeError("The 'Dice coefficient' can not be calculated, because the number of samples is 0.")
        return self._dice_coeff_sum / float(self._samples_num)


class Perplexity(Metric):
    """train.Perplexity(ignore_label): exp of the mean negative log of each label's predicted probability
    (clipped at 1e-10), labels equal to ignore_label left out."""

    def __init__(self, ignore_label=None):
        if ignore_label is not None and not isinstance(ignore_label, int):
            raise TypeError(f"For 'Perplexity', the argument 'ignore_label' must be int or None, but got "
                            f"{type(ignore_label)}.")
        self.ignore_label = ignore_label
        super().__init__()

    def clear(self) -> None:
        self._sum_metric, self._num_inst = 0.0, 0

    @rearrange_inputs
    def update(self, *inputs) -> None:
        check_inputs("Perplexity", inputs, "predicted value", "label")
        pred, label = self._convert_data(inputs[0]), self._convert_data(inputs[1])
        if label.size != pred.size / pred.shape[-1]:
            raise RuntimeError(f"For 'Perplexity.update', predicted value (input[0]) and label (input[1]) should "
                               f"have the same shape, but got {pred.shape} and {label.shape}.")
        label = label.reshape(-1)
        probs = pred.reshape(-1, pred.shape[-1])[np.arange(label.size), label.astype(np.int64)]
        count = probs.size
        if self.ignore_label is not None:
            ignore = (label == self.ignore_label).astype(probs.dtype)
            count -= int(ignore.sum())
            probs = probs * (1 - ignore) + ignore
        self._sum_metric -= float(np.sum(np.log(np.maximum(1e-10, probs))))
        self._num_inst += count

    def eval(self) -> float:
        if self._num_inst == 0:
            raise RuntimeError("The 'Perplexity' can not be calculated, because the number of samples is 0, please "
                               "check whether the update method has been called before calling eval method.")
        return math.exp(self._sum_metric / self._num_inst)
