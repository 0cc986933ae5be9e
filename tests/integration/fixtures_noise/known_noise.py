"""A "training run" whose noise sources are known by construction.

score = mean + data_scale * N(data_seed) + init_scale * N(init_seed) + noise_scale * U
where N(seed) is a standard normal drawn from that seed alone and U is a unit-variance
uniform from os.urandom (so identical seeds differ exactly when noise_scale > 0).
With --n-test N the score is rounded to a whole number of N test examples and n_test
is reported, like an accuracy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random


def standard_normal(seed: int, stream: str) -> float:
    return random.Random(f"{stream}:{seed}").gauss(0.0, 1.0)


def unit_uniform_from_urandom() -> float:
    u = int.from_bytes(os.urandom(8), "big") / 2**64  # [0, 1), variance 1/12
    return (u - 0.5) * math.sqrt(12.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mean", type=float, default=0.0)
    parser.add_argument("--data-scale", type=float, default=0.0)
    parser.add_argument("--init-scale", type=float, default=0.0)
    parser.add_argument("--noise-scale", type=float, default=0.0)
    parser.add_argument("--n-test", type=int, default=None)
    args = parser.parse_args()
    data_seed = int(os.environ["SEEDGATE_DATA_SEED"])
    init_seed = int(os.environ["SEEDGATE_INIT_SEED"])
    score = (
        args.mean
        + args.data_scale * standard_normal(data_seed, "data")
        + args.init_scale * standard_normal(init_seed, "init")
    )
    if args.noise_scale:
        score += args.noise_scale * unit_uniform_from_urandom()
    metrics: dict[str, float] = {"score": score}
    if args.n_test is not None:
        metrics = {"score": round(score * args.n_test) / args.n_test, "n_test": args.n_test}
    print("training... done")
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
