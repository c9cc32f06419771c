import numpy as np
import pytest

from voiceclf import metrics
from voiceclf.errors import ModelError


def asvspoof_reference_eer(target_scores, nontarget_scores):
    """The ASVspoof 2019/2021 evaluation package's compute_eer, verbatim in logic."""
    n_scores = target_scores.size + nontarget_scores.size
    all_scores = np.concatenate((target_scores, nontarget_scores))
    labels = np.concatenate((np.ones(target_scores.size), np.zeros(nontarget_scores.size)))
    indices = np.argsort(all_scores, kind="mergesort")
    labels = labels[indices]
    tar_trial_sums = np.cumsum(labels)
    nontarget_trial_sums = nontarget_scores.size - (np.arange(1, n_scores + 1) - tar_trial_sums)
    frr = np.concatenate((np.atleast_1d(0), tar_trial_sums / target_scores.size))
    far = np.concatenate((np.atleast_1d(1), nontarget_trial_sums / nontarget_scores.size))
    min_index = np.argmin(np.abs(frr - far))
    return np.mean((frr[min_index], far[min_index]))


def test_perfect_separation():
    eer, threshold = metrics.eer([0.9, 0.8, 0.7], [0.1, 0.2, 0.3])
    assert eer == 0.0 and threshold == 0.7


def test_total_overlap_is_chance():
    eer, _ = metrics.eer([0.5] * 10, [0.5] * 10)
    assert eer == 0.5
    assert metrics.eer([1, 2, 3], [1, 2, 3])[0] == pytest.approx(0.5, abs=1 / 3)


def test_hand_computed_case():
    # bona fide 1, 3, 5, 7; spoof 2, 4, 6, 8. At t=5: FRR 2/4 (1, 3 rejected), FAR 2/4 (6, 8 accepted).
    eer, threshold = metrics.eer([1, 3, 5, 7], [2, 4, 6, 8])
    assert eer == 0.5 and threshold == 5
    # one spoof above every bona fide clip. At t=3: FRR 1/4 (1 rejected), FAR 1/3 (10 accepted),
    # the closest the two rates come (t=2 gives 1/4 vs 2/3, t=4 gives 2/4 vs 1/3).
    eer, threshold = metrics.eer([1, 3, 4, 5], [0, 2, 10])
    assert eer == pytest.approx((1 / 4 + 1 / 3) / 2) and threshold == 3


def test_ties_share_one_threshold():
    frr, far, thresholds = metrics.det_curve([1, 1, 2], [1, 0])
    np.testing.assert_array_equal(thresholds[:-1], [0, 1, 2])
    # at t=1 nothing bona fide is rejected and the tied spoof is accepted together with them
    np.testing.assert_allclose(frr, [0, 0, 2 / 3, 1])
    np.testing.assert_allclose(far, [1, 0.5, 0, 0])


@pytest.mark.parametrize("seed", range(20))
def test_agrees_with_the_asvspoof_reference_and_sklearn(seed):
    from sklearn.metrics import roc_auc_score, roc_curve

    rng = np.random.default_rng(seed)
    bona = rng.normal(1.0, 1.0, size=rng.integers(5, 400))
    spoof = rng.normal(-0.5, 1.3, size=rng.integers(5, 400))
    eer, _ = metrics.eer(bona, spoof)
    assert abs(eer - asvspoof_reference_eer(bona, spoof)) < 1e-9
    labels = np.r_[np.ones(bona.size), np.zeros(spoof.size)]
    fpr, tpr, _ = roc_curve(labels, np.r_[bona, spoof], drop_intermediate=False)
    fnr = 1 - tpr
    i = np.argmin(np.abs(fnr - fpr))
    assert abs(eer - (fnr[i] + fpr[i]) / 2) < 1e-9
    assert metrics.roc_auc(bona, spoof) == pytest.approx(roc_auc_score(labels, np.r_[bona, spoof]), abs=1e-12)


def test_curves_are_monotone_and_span_zero_to_one():
    rng = np.random.default_rng(1)
    frr, far, thresholds = metrics.det_curve(rng.normal(1, 1, 50), rng.normal(0, 1, 60))
    assert frr[0] == 0 and frr[-1] == 1 and far[0] == 1 and far[-1] == 0
    assert np.all(np.diff(frr) >= 0) and np.all(np.diff(far) <= 0) and np.all(np.diff(thresholds) > 0)


def test_empty_or_nan_scores_are_refused():
    with pytest.raises(ModelError):
        metrics.eer([], [1.0])
    with pytest.raises(ModelError):
        metrics.eer([np.nan], [1.0])
