"""kitbench.py - the Python side of common/bench.h: time a piece of work
(warm-up, then repeated runs; median, minimum, maximum of wall and CPU
time) and write the kit's data file format, so that the same gnuplot
scripts read C and Python measurements.

Standard library only. Used by factorize.py and assignment.py beside it.
"""
import datetime
import os
import platform
import resource
import socket
import statistics
import time


def cpu_time():
    """CPU time of this process (all its threads) and of its reaped
    children: more CPU than wall time means several cores worked."""
    own = time.process_time()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + kids.ru_utime + kids.ru_stime


def measure(work, warmups, runs):
    """Run work() warmups times untimed, then runs times timed; return
    ((median, min, max, cpu_median, cpu_min, cpu_max) in seconds, what the
    first timed run returned), so that the caller checks the answers of a
    run it times instead of paying for one more run."""
    for _ in range(warmups):
        work()
    wall, cpu, first = [], [], None
    for k in range(runs):
        c0, t0 = cpu_time(), time.monotonic()
        got = work()
        wall.append(time.monotonic() - t0)
        cpu.append(cpu_time() - c0)
        if k == 0:
            first = got
    return (statistics.median(wall), min(wall), max(wall),
            statistics.median(cpu), min(cpu), max(cpu)), first


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine():
    return f"{os.cpu_count()} cores, {cpu_model()}"


class DataFile:
    """The data file of common/bench.h, written row by row."""

    def __init__(self, path, title, warmups, runs):
        self.path = path
        self.file = open(path + ".tmp", "w")
        stamp = datetime.datetime.now(datetime.timezone.utc)
        self.file.write(
            "# kit-bench data file\n"
            f"# title: {title}\n"
            f"# host: {socket.gethostname()}\n"
            f"# cores: {os.cpu_count()}\n"
            f"# cpu: {cpu_model()}\n"
            f"# compiler: Python {platform.python_version()}"
            f" ({platform.python_implementation()})\n"
            "# flags: -\n"
            f"# date: {stamp.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
            f"# runs: {runs} timed after {warmups} warm-up(s)\n"
            "# columns: variant workers median min max cpu_median cpu_min cpu_max\n")

    def row(self, variant, workers, m):
        self.file.write(f"{variant} {workers} " +
                        " ".join(f"{v:.4f}" for v in m) + "\n")
        self.file.flush()

    def close(self):
        self.file.close()
        os.replace(self.path + ".tmp", self.path)  # whole or not at all
