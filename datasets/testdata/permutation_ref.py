#!/usr/bin/env python3
"""Independent reference for datasets.Permutation (batch_test.go golden values).

Re-implements, from their published definitions, Go's math/rand/v2 PCG
(128-bit LCG, multiplier 0x2360ed051fc65da44385df649fccf645, increment
0x5851f42d4c957f2d14057b7ef767814f, DXSM output; state hi=seed1, lo=seed2),
Lemire's bounded integers and the Fisher-Yates shuffle from the end.

    python3 datasets/testdata/permutation_ref.py
"""

M64 = (1 << 64) - 1
MUL = (2549297995355413924 << 64) | 4865540595714422341
INC = (6364136223846793005 << 64) | 1442695040888963407


class PCG:
    def __init__(self, seed1, seed2):
        self.state = (seed1 << 64) | seed2

    def uint64(self):
        self.state = (self.state * MUL + INC) & ((1 << 128) - 1)
        hi, lo = self.state >> 64, self.state & M64
        hi ^= hi >> 32
        hi = (hi * 0xDA942042E4DD58B5) & M64
        hi ^= hi >> 48
        hi = (hi * (lo | 1)) & M64
        return hi


def uintn(rng, n):
    prod = rng.uint64() * n
    hi, lo = prod >> 64, prod & M64
    if lo < n:
        thresh = ((1 << 64) - n) % n
        while lo < thresh:
            prod = rng.uint64() * n
            hi, lo = prod >> 64, prod & M64
    return hi


def permutation(seed, epoch, n):
    rng = PCG(seed, epoch)
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = uintn(rng, i + 1)
        p[i], p[j] = p[j], p[i]
    return p


if __name__ == "__main__":
    for seed, epoch in [(1, 0), (1, 1)]:
        print(seed, epoch, permutation(seed, epoch, 10))
