"""PyTorch peer for `varstar bench`: median time of one training step
(forward + backward + Adam lr 2e-4, cross-entropy) of a thesis network on
random inputs, on the CPU with a given number of threads or on a GPU.
Prints one JSON line.

On CUDA each step is timed with CUDA events (torch.cuda.Event) around the
step and the median over all rounds is reported. cuDNN runs in benchmark
mode (its fastest algorithm per shape, as varstar's cudnnFind); TF32 is off
for matmuls and cuDNN unless --tf32 (PyTorch's own default allows it for
cuDNN), so both engines compute in float32 unless both are told otherwise.
--graph also times the step captured in a torch.cuda.CUDAGraph (Adam with
capturable=True, static input tensors), PyTorch's own answer to launch cost.
"""
import argparse
import json
import os
import sys
import time
import warnings

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import torch_models  # noqa: E402

SAMPLE_SHAPES = {"cnn-lstm": [1, 359], "cnn2d": [1, 24, 24], "cnn2d-scripts": [3, 90, 53]}


def set_tf32(on):
    """TF32 for matmuls and cuDNN, through whichever API this PyTorch has
    (2.9+: fp32_precision; the legacy allow_tf32 flags must not be mixed with it)."""
    precision = "tf32" if on else "ieee"
    try:
        torch.backends.cuda.matmul.fp32_precision = precision
        torch.backends.cudnn.conv.fp32_precision = precision
        torch.backends.cudnn.rnn.fp32_precision = precision
        return
    except (AttributeError, AssertionError):  # older PyTorch: no fp32_precision
        pass
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else 0.5 * (values[n // 2 - 1] + values[n // 2])


def make(args, device, capturable=False):
    torch.manual_seed(0)
    shape = SAMPLE_SHAPES[args.model]
    model = torch_models.make_model(args.model, 5, shape).to(device)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, capturable=capturable)
    x = (torch.rand([args.batch] + shape) * 2 - 1).to(device)
    y = (torch.arange(args.batch) % 5).to(device)
    return model, opt, x, y


def step(model, opt, x, y):
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def time_cpu(args):
    model, opt, x, y = make(args, "cpu")
    times = []
    for _ in range(args.rounds):
        for i in range(args.warmup + args.steps):
            t0 = time.perf_counter()
            step(model, opt, x, y)
            dt = (time.perf_counter() - t0) * 1000
            if i >= args.warmup:
                times.append(dt)
    return median(times)


def time_cuda_steps(run, args):
    times = []
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(args.rounds):
        for i in range(args.warmup + args.steps):
            torch.cuda.synchronize()
            start.record()
            run()
            end.record()
            end.synchronize()
            if i >= args.warmup:
                times.append(start.elapsed_time(end))
    return median(times)


def time_cuda_eager(args):
    model, opt, x, y = make(args, "cuda")
    return time_cuda_steps(lambda: step(model, opt, x, y), args)


def time_cuda_graph(args):
    model, opt, x, y = make(args, "cuda", capturable=True)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up on a side stream, as the PyTorch docs prescribe
        for _ in range(3):
            step(model, opt, x, y)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return time_cuda_steps(graph.replay, args)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=sorted(SAMPLE_SHAPES))
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=1, help="repetitions of warm-up + steps; median over all")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--graph", action="store_true", help="CUDA: also time the step in a CUDA graph")
    ap.add_argument("--tf32", action="store_true", help="CUDA: allow TF32 in matmuls and cuDNN")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "device": args.device}
    if args.device == "cpu":
        result["median_step_ms"] = time_cpu(args)
    else:
        if not torch.cuda.is_available():
            print("torch.cuda is not available", file=sys.stderr)
            sys.exit(2)
        torch.backends.cudnn.benchmark = True
        set_tf32(args.tf32)
        result["gpu"] = torch.cuda.get_device_name(0)
        result["median_step_ms"] = time_cuda_eager(args)
        if args.graph:
            try:
                result["graph_median_step_ms"] = time_cuda_graph(args)
            except Exception as e:  # report, keep the eager figure
                result["graph_error"] = f"{type(e).__name__}: {e}"[:300]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
