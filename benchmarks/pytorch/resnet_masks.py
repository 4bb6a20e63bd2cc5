#!/usr/bin/env python3
"""PyTorch eager baseline for PruneSharp's ResNet mask benchmarks (docs/benchmarks.md).

Computes local magnitude masks, fasterai's rule, for every conv and linear weight of torchvision's ResNet-18 and
ResNet-50, the way a PyTorch user writes it in eager mode: score = |w| averaged over the granularity's dims, groups
already pruned by the held mask score -inf (masks only grow), the lowest round(s * groups) groups of each layer are
pruned. Two selections: a kthvalue threshold with ties broken by flat index (what PruneSharp computes exactly) and a
stable sort. 2:4 keeps the two largest |w| of every four consecutive inputs.

Two cases, as the issue asks: "grow" (a mask held at 0.45, grown to 0.5: the selection runs) and "first" (no mask
held, sparsity 0.5). Each figure is the median of --runs runs after one warm-up, over all layers of the network, with
torch.cuda.synchronize() around each run on CUDA.

    python3 benchmarks/pytorch/resnet_masks.py                  # CPU, both networks
    python3 benchmarks/pytorch/resnet_masks.py --device cuda    # where a CUDA build of PyTorch is installed

Nothing in the tests needs this script or PyTorch.
"""
import argparse
import statistics
import time

import torch
import torchvision

# The dims (of the weight, without fasterai's leading dummy dim) each granularity averages over, per weight rank.
# Linear takes the 1x1-conv analogue: Kernel -> Weight (single weights), Filter -> Row (output neurons).
REDUCE_DIMS = {
    "weight": {4: (), 2: ()},
    "kernel": {4: (2, 3), 2: ()},
    "filter": {4: (1, 2, 3), 2: (1,)},
}


def resnet_weights(name, device):
    model = getattr(torchvision.models, name)()
    torch.manual_seed(0)
    weights = []
    for module in model.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            weights.append(torch.randn_like(module.weight).to(device, torch.float32))
    return weights


def group_scores(weight, dims):
    scores = weight.abs()
    if dims:
        scores = scores.mean(dim=dims, keepdim=True)
    return scores.to(torch.float64)


def pruned_count(groups, sparsity):
    return int(round(sparsity * groups))  # Python's round is half-to-even, as PruneSharp's


def mask_kthvalue(weight, dims, sparsity, held):
    scores = group_scores(weight, dims)
    if held is not None:
        held_groups = held if not dims else held.amax(dim=dims, keepdim=True)
        scores = scores.masked_fill(held_groups == 0, float("-inf"))
    flat = scores.reshape(-1)
    k = pruned_count(flat.numel(), sparsity)
    keep = torch.ones_like(flat, dtype=torch.bool)
    if k > 0:
        threshold = flat.kthvalue(k).values
        below = flat < threshold
        ties = flat == threshold
        owed = k - below.sum()
        tie_rank = ties.cumsum(0)  # ties are pruned lowest flat index first
        keep = ~(below | (ties & (tie_rank <= owed)))
    return keep.reshape(scores.shape).expand_as(weight).to(weight.dtype)


def mask_sort(weight, dims, sparsity, held):
    scores = group_scores(weight, dims)
    if held is not None:
        held_groups = held if not dims else held.amax(dim=dims, keepdim=True)
        scores = scores.masked_fill(held_groups == 0, float("-inf"))
    flat = scores.reshape(-1)
    k = pruned_count(flat.numel(), sparsity)
    keep = torch.ones_like(flat)
    if k > 0:
        order = torch.sort(flat, stable=True).indices
        keep[order[:k]] = 0
    return keep.reshape(scores.shape).expand_as(weight).to(weight.dtype)


def mask_two_of_four(weight, held):
    # Groups of 4 consecutive inputs (dim 1 for conv, the last dim for linear), keep the 2 largest |w|.
    moved = weight.movedim(1, -1)
    if moved.shape[-1] % 4:
        return torch.ones_like(weight)
    blocks = moved.abs().reshape(-1, 4)
    if held is not None:
        blocks = blocks.masked_fill(held.movedim(1, -1).reshape(-1, 4) == 0, float("-inf"))
    order = blocks.argsort(dim=1, descending=True, stable=True)
    keep = torch.zeros_like(blocks)
    keep.scatter_(1, order[:, :2], 1.0)
    return keep.reshape(moved.shape).movedim(-1, 1)


def one_pass(weights, granularity, method, sparsity, held):
    if granularity == "2:4":
        return [mask_two_of_four(w, h) for w, h in zip(weights, held)]
    compute = mask_kthvalue if method == "kthvalue" else mask_sort
    return [compute(w, REDUCE_DIMS[granularity][w.dim()], sparsity, h) for w, h in zip(weights, held)]


def timed(fn, runs, device):
    fn()
    times = []
    for _ in range(runs):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def floor(weights):
    # One read of every weight: what any mask update must at least pay.
    return [w.abs().sum() for w in weights]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--networks", default="resnet18,resnet50")
    parser.add_argument("--granularities", default="weight,kernel,filter,2:4")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0 leaves the default)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"PyTorch {torch.__version__} eager on {name}; median of {args.runs} runs, ms per update of all layers")
    print("| network | granularity | case | kthvalue | sort | floor |")
    print("|---|---|---|---:|---:|---:|")
    for network in args.networks.split(","):
        weights = resnet_weights(network, device)
        floor_ms = timed(lambda: floor(weights), args.runs, device)
        for granularity in args.granularities.split(","):
            none = [None] * len(weights)
            held = [m.clone() for m in one_pass(weights, granularity, "kthvalue", 0.45, none)]
            for case, masks in (("grow 0.45 -> 0.5", held), ("first, 0.5", none)):
                cells = []
                for method in ("kthvalue", "sort"):
                    if granularity == "2:4" and method == "sort":
                        cells.append("–")
                        continue
                    ms = timed(lambda: one_pass(weights, granularity, method, 0.5, masks), args.runs, device)
                    cells.append(f"{ms:.2f}")
                print(f"| {network} | {granularity} | {case} | {cells[0]} | {cells[1]} | {floor_ms:.2f} |", flush=True)


if __name__ == "__main__":
    main()
