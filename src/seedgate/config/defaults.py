"""Defaults that decide: with no metrics configured, ONE metric gates and the others are reported.

Gating every metric a script prints (with Holm's correction across them) makes the noisiest one
decide, and with a 1% default most of them cannot be resolved in 20 runs: an unchanged pull
request ends "inconclusive". So the default gates one metric, chosen by name in this order:

1. accuracy-like: ``accuracy`` or ``acc`` (``val_accuracy``, ``test_acc``, ``top1_acc``, ...)
2. ``f1``
3. ``auc`` / ``auroc``
4. loss-like: ``loss``
5. error-like: ``error`` or ``err``

and else the first metric reported. Names are matched by word (split at ``_``, ``-``, ``/``,
``.``, spaces and camelCase humps), case-insensitively. Within a group the first name reported
wins, except that a training-set metric (a ``train`` word) comes after held-out ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# (label for messages, words that put a name in the group), highest priority first
PRIORITY: tuple[tuple[str, frozenset[str]], ...] = (
    ("accuracy", frozenset({"accuracy", "acc"})),
    ("f1", frozenset({"f1"})),
    ("auc", frozenset({"auc", "auroc"})),
    ("loss", frozenset({"loss"})),
    ("error", frozenset({"error", "err"})),
)
_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATOR = re.compile(r"[^a-z0-9]+")
_TRAIN_WORDS = frozenset({"train", "training"})


def name_words(name: str) -> frozenset[str]:
    """The lower-case words of a metric name: ``valAccuracy`` -> {val, accuracy}."""
    return frozenset(w for w in _SEPARATOR.split(_HUMP.sub("_", name).lower()) if w)


def default_gating_metric(reported: Sequence[str]) -> str | None:
    """The one metric that gates when none is configured (None when nothing is reported).

    ``reported``: metric names in the order the runs report them (reserved ones removed).
    """
    for _, words in PRIORITY:
        group = [n for n in reported if name_words(n) & words]
        if group:
            held_out = [n for n in group if not name_words(n) & _TRAIN_WORDS]
            return (held_out or group)[0]
    return reported[0] if reported else None


def name_group(name: str) -> str | None:
    """The label of the first name group ``name`` is in (None: in none, so a default metric
    of that name was chosen by its place in the output); report.plans says why in words."""
    words = name_words(name)
    return next((label for label, group in PRIORITY if words & group), None)
