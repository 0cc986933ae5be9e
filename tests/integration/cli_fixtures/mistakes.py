"""A training script with one of a new user's mistakes, chosen by a flag.

--dict prints the metrics as a Python dict (not JSON); --extra adds a non-numeric field;
--crash-seed N raises on seed N (a traceback); with none, a valid metrics line. accuracy is
drawn from SEEDGATE_SEED, so the runs differ.
"""

import argparse
import json
import os
import random


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dict", action="store_true")
    parser.add_argument("--extra", action="store_true")
    parser.add_argument("--crash-seed", type=int, default=None)
    args = parser.parse_args()
    seed = int(os.environ["SEEDGATE_SEED"])
    print(f"training with seed {seed}")
    if seed == args.crash_seed:
        message = "max_depth must be >= 1, got -1"
        raise ValueError(message)
    metrics: dict[str, object] = {"accuracy": 0.9 + 0.01 * random.Random(seed).gauss(0.0, 1.0)}
    if args.extra:
        metrics["model"] = "random-forest"
    print(metrics if args.dict else json.dumps(metrics))


if __name__ == "__main__":
    main()
