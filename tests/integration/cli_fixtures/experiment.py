"""A stand-in experiment whose metrics depend on the seed in a known way.

accuracy = 0.80 + shift + 0.01 * N(0, 1) drawn from the seed; loss moves opposite.
--crash-seeds, --hang-seed, --garbage-seeds, --nan-seeds make chosen seeds misbehave.
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path


def _seeds(text: str) -> set[int]:
    return {int(s) for s in text.split(",") if s}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shift", type=float, default=0.0)
    parser.add_argument("--crash-seeds", type=_seeds, default=set())
    parser.add_argument("--hang-seed", type=int, default=-1)
    parser.add_argument("--garbage-seeds", type=_seeds, default=set())
    parser.add_argument("--nan-seeds", type=_seeds, default=set())
    parser.add_argument("--to-file", action="store_true")
    args = parser.parse_args()
    seed = int(os.environ["SEEDGATE_SEED"])
    print(f"training with seed {seed}", flush=True)
    if seed in args.crash_seeds:
        print("CUDA error: out of memory (simulated)", file=sys.stderr)
        return 3
    if seed == args.hang_seed:
        time.sleep(600)
    if seed in args.garbage_seeds:
        print("accuracy: 0.8 (not JSON)")
        return 0
    noise = random.Random(seed).gauss(0.0, 1.0)
    accuracy = 0.80 + args.shift + 0.01 * noise
    metrics = {"accuracy": accuracy, "loss": 0.5 - (accuracy - 0.8)}
    if seed in args.nan_seeds:
        metrics["accuracy"] = float("nan")
    if args.to_file:
        Path(os.environ["SEEDGATE_METRICS_FILE"]).write_text(json.dumps(metrics), encoding="utf-8")
    else:
        print(json.dumps(metrics, allow_nan=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
