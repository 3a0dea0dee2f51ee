#!/usr/bin/env python3
"""factorize.py - the Python twin of lab 08's factorize: the lecture's
benchmark (naive trial division of the 300 odd numbers from
9999999999999), serially, with threads and with processes, every variant's
answers checked against the serial ones, timed like the C program and
written in the kit's data file format for plots/c-vs-python.gp.

    python3 factorize.py [-n count] [-s first] [-w 2,4] [-r runs] [-o file]

The algorithm and the hand-out are the C program's (factor.c): trial
division by 2, then by odd numbers; a static chunk of ceil(count/workers)
numbers per worker. Threads cannot run this Python code at the same time
(the global interpreter lock): they take about the serial time or more.
Processes can: with 2 cores, about half.
"""
import argparse
import concurrent.futures as cf
import sys
import threading

import kitbench

# No untimed warm-up run: CPython compiles nothing at run time, and each run
# lasts seconds, so a first run is no slower than the others (the checked
# run before the timed ones warms the caches anyway).
WARMUPS = 0


def factorize_naive(n):
    factors, p = [], 2
    while n > 1:
        if n % p == 0:
            factors.append(p)
            n //= p
        elif p * p >= n:
            factors.append(n)
            break
        else:
            p += 1 if p == 2 else 2
    return factors


def factorize_chunk(nums):
    return [factorize_naive(n) for n in nums]


def chunks(nums, workers):
    size = -(-len(nums) // workers)  # ceil, as the C program's chunk_of
    return [nums[i:i + size] for i in range(0, len(nums), size)]


def serial(nums, workers):
    return factorize_chunk(nums)


def threads(nums, workers):
    parts = chunks(nums, workers)
    results = [None] * len(parts)

    def work(k):
        results[k] = factorize_chunk(parts[k])

    ts = [threading.Thread(target=work, args=(k,)) for k in range(len(parts))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [f for part in results for f in part]


def processes(nums, workers):
    with cf.ProcessPoolExecutor(max_workers=workers) as pool:
        return [f for part in pool.map(factorize_chunk, chunks(nums, workers))
                for f in part]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=300, help="how many odd numbers")
    ap.add_argument("-s", type=int, default=9999999999999, help="the first (odd)")
    ap.add_argument("-w", default="2", help="worker counts, e.g. 2,4")
    ap.add_argument("-r", type=int, default=3, help="timed runs per variant")
    ap.add_argument("-o", help="data file to write")
    a = ap.parse_args()
    if a.n < 1 or a.s < 3 or a.s % 2 == 0 or a.r < 1:
        ap.error("count >= 1, an odd first >= 3, runs >= 1")
    try:
        counts = [int(w) for w in a.w.split(",")]
    except ValueError:
        ap.error(f"-w: '{a.w}' is not a list of whole numbers")
    nums = list(range(a.s, a.s + 2 * a.n, 2))
    want = None  # the serial answers, from its first timed run
    out = kitbench.DataFile(a.o, f"factorize {a.n} odd numbers from {a.s} (Python)",
                            WARMUPS, a.r) if a.o else None
    print(f"machine: {kitbench.machine()}; Python {sys.version.split()[0]}")
    variants = [("serial", 1, serial)] + [
        (name, w, f) for w in counts for name, f in (("threads", threads),
                                                    ("processes", processes))]
    for name, w, f in variants:
        m, got = kitbench.measure(lambda: f(nums, w), WARMUPS, a.r)
        want = got if want is None else want
        if got != want:  # checked before any time is reported
            sys.exit(f"factorize.py: {name} {w} gave other factorizations")
        print(f"{name:>9} {w}: median {m[0]:.3f} s (min {m[1]:.3f}, max {m[2]:.3f}),"
              f" cpu {m[3]:.3f} s", flush=True)
        if out:
            out.row(name, w, m)
    if out:
        out.close()


if __name__ == "__main__":
    main()
