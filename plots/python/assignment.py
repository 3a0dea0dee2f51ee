#!/usr/bin/env python3
"""assignment.py - the Python twin of lab 09's assignment: for each n in
range(start, stop, step), the sum of the primes below n, serially, with
threads and with processes, biggest tasks first, every variant's sums
checked against the serial ones, timed like the C program and written in
the kit's data file format for plots/c-vs-python.gp.

    python3 assignment.py [-a naive|sieve] [-w 2,4] [-r runs] [-o file]
                          [start stop step]

The algorithms are the C program's (primes.c): the assignment's isPrime
(trial division up to the square root) and the sieve of Eratosthenes.
The naive test over the default range takes minutes in Python (hours with
more runs): make's lecture charts use the sieve for this twin.
"""
import argparse
import concurrent.futures as cf
import sys

import kitbench

# No untimed warm-up run: CPython compiles nothing at run time, and each run
# lasts seconds, so a first run is no slower than the others (the checked
# run before the timed ones warms the caches anyway).
WARMUPS = 0


def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True


def sum_naive(n):
    return sum(x for x in range(2, n) if is_prime(x))


def sum_sieve(n):
    if n <= 2:
        return 0
    composite = bytearray(n)
    i = 2
    while i * i < n:
        if not composite[i]:
            composite[i * i::i] = b"\x01" * len(range(i * i, n, i))
        i += 1
    return sum(i for i in range(2, n) if not composite[i])


ALGORITHMS = {"naive": sum_naive, "sieve": sum_sieve}


def run(alg, ns, mode, workers):
    f = ALGORITHMS[alg]
    order = sorted(ns, reverse=True)  # biggest first, as the C program
    if mode == "serial":
        sums = {n: f(n) for n in order}
    else:
        pool = (cf.ThreadPoolExecutor if mode == "threads"
                else cf.ProcessPoolExecutor)(max_workers=workers)
        with pool:  # map hands the tasks out one by one: dynamic
            sums = dict(zip(order, pool.map(f, order)))
    return [sums[n] for n in ns]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-a", choices=ALGORITHMS, default="sieve")
    ap.add_argument("-w", default="2", help="worker counts, e.g. 2,4")
    ap.add_argument("-r", type=int, default=3, help="timed runs per variant")
    ap.add_argument("-o", help="data file to write")
    ap.add_argument("range", nargs="*", type=int,
                    help="start stop step (default 100000 2500000 100000)")
    a = ap.parse_args()
    rng = a.range or [100000, 2500000, 100000]
    if len(rng) != 3 or rng[2] < 1 or rng[0] < 0 or rng[1] > 100000000 or a.r < 1:
        ap.error("start stop step: 0 <= start, step >= 1, stop <= 100000000; runs >= 1")
    try:
        counts = [int(w) for w in a.w.split(",")]
    except ValueError:
        ap.error(f"-w: '{a.w}' is not a list of whole numbers")
    ns = list(range(*rng))
    want = None  # the serial sums, from its first timed run
    out = kitbench.DataFile(a.o, f"sums of primes below n in range({rng[0]}, "
                            f"{rng[1]}, {rng[2]}), {a.a} (Python)", WARMUPS, a.r) if a.o else None
    print(f"machine: {kitbench.machine()}; Python {sys.version.split()[0]}")
    variants = [("serial", 1)] + [(m, w) for w in counts for m in ("threads", "processes")]
    for mode, w in variants:
        m, got = kitbench.measure(lambda: run(a.a, ns, mode, w), WARMUPS, a.r)
        want = got if want is None else want
        if got != want:  # checked before any time is reported
            sys.exit(f"assignment.py: {mode} {w} gave other sums")
        print(f"{a.a}-{mode:>9} {w}: median {m[0]:.3f} s (min {m[1]:.3f}, max {m[2]:.3f}),"
              f" cpu {m[3]:.3f} s", flush=True)
        if out:
            out.row(f"{a.a}-{mode}", w, m)
    if out:
        out.close()


if __name__ == "__main__":
    main()
