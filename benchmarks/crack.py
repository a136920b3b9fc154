"""Secret-key audit speed: ctxscope vs flask-unsign on the same wordlist, in one run.

    python benchmarks/crack.py [--lines 200000] [--repeat 3]

The wordlist has the key on its very last line, so every tool must read all of it and find
the key (the run fails otherwise). flask-unsign runs as its CLI does with
``--no-literal-eval``: its ``Cracker`` with the CLI defaults (8 threads, chunks of 128
lines) over ``map(bytes.strip, file)``, quiet. ctxscope runs ``engine.cookies.Cracker`` with
1 and 2 worker processes (pool start-up included). The best of ``--repeat`` runs is kept for
each; keys/s = lines / wall time (the ratios), and lines per CPU-second (this process and its
workers) to show how much of a wall-clock figure a busy machine took away.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.cookies import Cracker, sign

KEY = "s3cr3t-k3y-n3ar-the-end"


def make_wordlist(path: Path, lines: int) -> None:
    rng = random.Random(4869)
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    with path.open("wb") as out:
        for i in range(lines - 1):
            word = "".join(rng.choices(letters, k=rng.randint(6, 14)))
            out.write(f"{word}{i % 1000}\n".encode())
        out.write(KEY.encode() + b"\n")


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished child processes."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_flask_unsign(cookie: str, path: Path) -> tuple[float, float, object]:
    from flask_unsign.cracker import Cracker as UnsignCracker

    with path.open("rb") as file:
        cracker = UnsignCracker(cookie, quiet=True)  # CLI defaults: threads=8, chunk_size=128
        start, cpu = time.perf_counter(), cpu_seconds()
        secret = cracker.crack(map(bytes.strip, file))  # what --no-literal-eval does
        return time.perf_counter() - start, cpu_seconds() - cpu, secret


def run_ctxscope(cookie: str, path: Path, workers: int) -> tuple[float, float, object]:
    start, cpu = time.perf_counter(), cpu_seconds()
    result = Cracker(cookie, workers=workers).run(path)
    return time.perf_counter() - start, cpu_seconds() - cpu, result.key


def best(runs: int, fn, *args) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall seconds, CPU seconds) of the fastest run."""
    times = []
    for _ in range(runs):
        elapsed, cpu, key = fn(*args)
        found = key.decode() if isinstance(key, bytes) else key
        if found != KEY:
            raise SystemExit(f"{fn.__name__} did not find the key (got {key!r})")
        times.append((elapsed, cpu))
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool, best kept")
    parser.add_argument("--unsign-repeat", type=int, default=1, help="flask-unsign is slow")
    args = parser.parse_args()

    import flask_unsign

    cookie = sign({"user_id": 42, "role": "user", "cart": ("a", "b")}, KEY)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wordlist.txt"
        make_wordlist(path, args.lines)
        size = path.stat().st_size
        print(f"wordlist: {args.lines:,} lines, {size / 1e6:.1f} MB, key on the last line")
        print(f"cookie:   {cookie}")
        print(f"cpus:     {os.cpu_count()}  python {sys.version.split()[0]}")

        peer, peer_cpu = best(args.unsign_repeat, run_flask_unsign, cookie, path)
        peer_rate, peer_cpu_rate = args.lines / peer, args.lines / peer_cpu
        print(
            f"flask-unsign {flask_unsign.__version__} (8 threads): {peer:6.2f} s "
            f"{peer_rate:>10,.0f} keys/s  (per CPU-second: {peer_cpu_rate:>9,.0f})"
        )
        for workers in (1, 2):
            elapsed, cpu = best(args.repeat, run_ctxscope, cookie, path, workers)
            rate, cpu_rate = args.lines / elapsed, args.lines / cpu
            print(
                f"ctxscope {workers} worker{'s' if workers > 1 else ' '}:"
                f"          {elapsed:6.2f} s "
                f"{rate:>10,.0f} keys/s  (per CPU-second: {cpu_rate:>9,.0f})"
                f"  = {rate / peer_rate:5.1f}x flask-unsign"
            )
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"load average at the end: {load:.2f} (other processes share the CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
