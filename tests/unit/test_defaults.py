from __future__ import annotations

import pytest

from seedgate.config.defaults import default_gating_metric, name_group, name_words
from seedgate.config.settings import Config, MinEffect, build_config
from seedgate.records import Goal


@pytest.mark.parametrize(
    ("reported", "chosen"),
    [
        (("loss", "f1", "accuracy"), "accuracy"),  # accuracy-like before f1 and loss
        (("loss", "val_acc"), "val_acc"),
        (("loss", "macro_f1", "roc_auc"), "macro_f1"),  # f1 before auc
        (("loss", "roc_auc"), "roc_auc"),
        (("top_error", "val_loss"), "val_loss"),  # loss before error
        (("wall_time", "err_rate"), "err_rate"),
        (("throughput", "bleu"), "throughput"),  # nothing named: the first reported
        (("train_accuracy", "loss", "val_accuracy"), "val_accuracy"),  # held-out first
        (("train_acc", "loss"), "train_acc"),  # a train metric still beats another group
        (("valAccuracy", "loss"), "valAccuracy"),
        (("eval/F1", "loss"), "eval/F1"),
        (("accelerations", "success"), "accelerations"),  # words, not substrings
        ((), None),
    ],
)
def test_default_gating_metric(reported: tuple[str, ...], chosen: str | None) -> None:
    assert default_gating_metric(reported) == chosen


def test_name_words_split_separators_and_humps() -> None:
    assert name_words("val_TopAccuracy-5/x.y z") == {"val", "top", "accuracy", "5", "x", "y", "z"}


def test_name_group_is_the_first_group_matched_or_none() -> None:
    assert name_group("val_acc") == "accuracy"
    assert name_group("f1_loss") == "f1"  # f1 comes before loss
    assert name_group("perplexity") is None


def test_unconfigured_metrics_gate_one_and_report_the_others() -> None:
    specs = Config().metric_specs(("loss", "accuracy", "n_test", "f1"))
    assert [(s.name, s.primary) for s in specs] == [
        ("loss", False),
        ("accuracy", True),
        ("f1", False),
    ]
    assert specs[0].goal is Goal.MINIMIZE
    assert all(s.min_effect == MinEffect(0.01, relative=True) for s in specs)


def test_configured_metrics_are_kept_as_written() -> None:
    config = build_config({"metric": {"loss": {"min_effect": 0.1}, "accuracy": {}}})
    specs = config.metric_specs(("accuracy", "loss"))
    assert [(s.name, s.primary) for s in specs] == [("loss", False), ("accuracy", False)]
