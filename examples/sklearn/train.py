"""The scikit-learn example: a small MLP on the digits data set that ships with scikit-learn.

    python train.py [--data-seed D] [--init-seed I] [--hidden 32] [--lr 0.001] [--epochs 60]

Both kinds of run-to-run noise come from the seeds: the data seed draws the train/test
split (and so the test set the metrics are measured on), the init seed is the model's
``random_state`` (initial weights and the order of the mini-batches). They default to
SEEDGATE_DATA_SEED / SEEDGATE_INIT_SEED, which seedgate sets for every run. No network:
``load_digits`` reads a file inside the scikit-learn package.

The metrics (accuracy, log_loss on the held-out quarter) go to $SEEDGATE_METRICS_FILE as
JSON when it is set, else to the last line of stdout: seedgate's experiment contract.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def _seed_from_env(name: str) -> int:
    value = os.environ.get(name, "0")
    if not value.isdigit():
        sys.exit(f"train.py: {name} must be a non-negative integer, got {value!r}")
    return int(value) % 2**32


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-seed", type=int, default=None)
    parser.add_argument("--init-seed", type=int, default=None)
    parser.add_argument("--hidden", type=int, default=32, help="hidden units")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args(argv)
    if args.data_seed is None:
        args.data_seed = _seed_from_env("SEEDGATE_DATA_SEED")
    if args.init_seed is None:
        args.init_seed = _seed_from_env("SEEDGATE_INIT_SEED")
    return args


def train_and_evaluate(args: argparse.Namespace) -> dict[str, float]:
    features, labels = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=0.25, random_state=args.data_seed, stratify=labels
    )
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=(args.hidden,),
            learning_rate_init=args.lr,
            max_iter=args.epochs,
            random_state=args.init_seed,
        ),
    )
    with warnings.catch_warnings():
        # A fixed epoch budget is the experiment; not converging within it is expected.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, y_train)
    probabilities = model.predict_proba(x_test)
    return {
        "accuracy": float(accuracy_score(y_test, probabilities.argmax(axis=1))),
        "log_loss": float(log_loss(y_test, probabilities, labels=model.classes_)),
    }


def main(argv: Sequence[str] | None = None) -> None:
    metrics = train_and_evaluate(parse_args(argv))
    text = json.dumps(metrics)
    if os.environ.get("SEEDGATE_METRICS_FILE"):
        Path(os.environ["SEEDGATE_METRICS_FILE"]).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
