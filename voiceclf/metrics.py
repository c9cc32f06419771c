"""Detection metrics of the spoofing-countermeasure field.

Scores follow the ASVspoof convention: **higher means more bona fide**. A
threshold ``t`` accepts a clip as bona fide when ``score >= t``; the
false-rejection rate (FRR) is the share of bona fide clips rejected and the
false-acceptance rate (FAR) the share of spoofs accepted. The equal error rate
(EER) is where the two curves cross, computed as in the ASVspoof evaluation
package: sweep every observed score, take the point where ``|FRR - FAR|`` is
smallest and report the mean of the two rates there.
"""

from __future__ import annotations

import numpy as np

from .errors import ModelError


def _as_scores(scores, what: str) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.size == 0:
        raise ModelError(f"no {what} scores: the EER needs both bona fide and spoofed clips")
    if not np.isfinite(scores).all():
        raise ModelError(f"the {what} scores contain NaN or infinite values")
    return scores


def det_curve(bonafide_scores, spoof_scores):
    """False-rejection and false-acceptance rates over every distinct threshold.

    Parameters
    ----------
    bonafide_scores, spoof_scores : array-like of float
        Scores of the bona fide and of the spoofed clips.

    Returns
    -------
    frr, far, thresholds : ndarray
        ``thresholds`` are the distinct scores in increasing order followed by
        ``+inf``; at ``thresholds[i]`` clips scoring at least that much are
        accepted. ``frr`` rises from 0 to 1 while ``far`` falls from 1 to 0.
        Tied scores share one threshold, so ties never create a point that no
        threshold could reach.
    """
    bona = np.sort(_as_scores(bonafide_scores, "bona fide"))
    spoof = np.sort(_as_scores(spoof_scores, "spoof"))
    thresholds = np.unique(np.concatenate([bona, spoof]))
    thresholds = np.append(thresholds, np.inf)
    frr = np.searchsorted(bona, thresholds, side="left") / bona.size
    far = 1.0 - np.searchsorted(spoof, thresholds, side="left") / spoof.size
    return frr, far, thresholds


def eer(bonafide_scores, spoof_scores) -> tuple[float, float]:
    """Equal error rate and the threshold where it is reached.

    Returns
    -------
    eer : float
        In [0, 1]; 0 for perfectly separated scores, 0.5 or more when the
        scores carry no information.
    threshold : float
        The score at which FRR and FAR are closest. With perfectly separated
        scores it is the lowest bona fide score.

    Examples
    --------
    >>> eer([0.9, 0.8, 0.7], [0.1, 0.2, 0.3])
    (0.0, 0.7)
    """
    frr, far, thresholds = det_curve(bonafide_scores, spoof_scores)
    i = int(np.argmin(np.abs(frr - far)))
    threshold = float(thresholds[i])
    if not np.isfinite(threshold):  # every clip rejected: report the top score instead
        threshold = float(thresholds[i - 1])
    return float((frr[i] + far[i]) / 2.0), threshold


def roc_points(bonafide_scores, spoof_scores):
    """(false-acceptance rate, true-acceptance rate) pairs, for an ROC plot."""
    frr, far, _ = det_curve(bonafide_scores, spoof_scores)
    return far[::-1], (1.0 - frr)[::-1]


def roc_auc(bonafide_scores, spoof_scores) -> float:
    """Area under the ROC curve: the chance a bona fide clip outscores a spoof (ties count half)."""
    bona = _as_scores(bonafide_scores, "bona fide")
    spoof = _as_scores(spoof_scores, "spoof")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([bona, spoof]))
    u = ranks[: bona.size].sum() - bona.size * (bona.size + 1) / 2.0
    return float(u / (bona.size * spoof.size))
