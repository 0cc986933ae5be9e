"""A user's own training script, as seedgate first meets it: no config, three metrics.

loss comes first and is noisy (1% of it is a tenth of a seed SD: never resolvable in 20 runs),
accuracy is quiet (SD --accuracy-sd), throughput is noisy; all drawn from SEEDGATE_SEED.
"""

import argparse
import json
import os
import random


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accuracy-sd", type=float, default=0.002)
    parser.add_argument("--shift", type=float, default=0.0)
    args = parser.parse_args()
    draw = random.Random(int(os.environ["SEEDGATE_SEED"]))
    metrics = {
        "loss": 0.5 + 0.05 * draw.gauss(0.0, 1.0),
        "accuracy": 0.9 + args.shift + args.accuracy_sd * draw.gauss(0.0, 1.0),
        "throughput": 1000.0 + 100.0 * draw.gauss(0.0, 1.0),
    }
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
