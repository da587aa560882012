"""PyTorch peer for `varstar bench`: median time of one training step
(forward + backward + Adam lr 2e-4, cross-entropy) of a thesis network on
random inputs, on the CPU with a given number of threads. Prints one JSON line.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import torch_models  # noqa: E402

SAMPLE_SHAPES = {"cnn-lstm": [1, 359], "cnn2d": [1, 24, 24], "cnn2d-scripts": [3, 90, 53]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=sorted(SAMPLE_SHAPES))
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    shape = SAMPLE_SHAPES[args.model]
    model = torch_models.make_model(args.model, 5, shape)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-4)
    x = torch.rand([args.batch] + shape) * 2 - 1
    y = torch.arange(args.batch) % 5
    times = []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        dt = (time.perf_counter() - t0) * 1000
        if i >= args.warmup:
            times.append(dt)
    times.sort()
    n = len(times)
    med = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "median_step_ms": med}))


if __name__ == "__main__":
    main()
