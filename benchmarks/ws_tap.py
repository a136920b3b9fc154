"""What the WebSocket wire tap costs, measured against its peers in the same run.

(a) Echo round trips over a real loopback connection to the engine's server, with the tap
    off, with the tap on and nobody listening, and with the tap on and a subscriber taking
    every event. The client runs in a separate process (the websockets sync client), so the
    server's GIL is its own. Target: tap + subscriber >= 0.9x of no tap. The three modes run
    back to back in every round, each in turn first; each row gives the best run (as
    always), the median of the per-round ratios, and the CPU time (user and system) of the
    server thread that runs the connection, per round trip. The CPU column is closest to the
    tap's own cost: the wall-clock ratios also move with the client, whose reader and main
    threads hand over the GIL at a cost that depends on how fast the server answers, and
    with whatever else the machine runs. The subscriber only keeps events; filling them in
    (and inflating) happens when they are first read, timed separately afterwards.
(b) The frame parser alone: ``FrameReader.feed`` against ``websockets.frames.Frame.parse``
    driven the way websockets' ``Protocol.parse`` drives it (a generator reading through a
    ``StreamReader`` fed chunk by chunk), on the same byte stream of masked client frames.
    ``FrameReader`` unmasks on access, so it is also timed with every payload unmasked,
    which is the same work ``Frame.parse`` does. Target: >= 3x.

Run: ``python benchmarks/ws_tap.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import os
import platform
import queue
import random
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websockets
from websockets.frames import Frame
from websockets.streams import StreamReader

from engine import App
from engine.serving import Server
from engine.ws.frames import FrameReader, encode_frame

CLIENT = r"""
import sys, time
from websockets.sync.client import connect
url, n, size, binary = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
message = (b"\x01" * size) if binary else ("x" * size)
with connect(url, max_size=None) as ws:
    for _ in range(50):  # warm up
        ws.send(message); ws.recv()
    t0 = time.perf_counter()
    for _ in range(n):
        ws.send(message)
        ws.recv()
    print(time.perf_counter() - t0)
"""


def _echo_app(cpu: queue.Queue[float] | None = None) -> App:
    """The echo server; ``cpu`` receives each connection's handler-thread CPU seconds."""
    app = App("bench_ws")
    app.config["WEBSOCKET_PING_INTERVAL"] = None
    app.config["WEBSOCKET_MAX_SIZE"] = None

    @app.websocket("/echo")
    def echo(ws: Any) -> None:
        t0 = time.thread_time()
        for message in ws:
            ws.send(message)
        if cpu is not None:
            cpu.put(time.thread_time() - t0)

    return app


def _client_run(url: str, n: int, size: int, binary: bool) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, url, str(n), str(size), "1" if binary else "0"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return float(out.stdout.strip())


def bench_echo(rounds: int, n: int) -> None:
    cpu: queue.Queue[float] = queue.Queue()
    app = _echo_app(cpu)
    events: list[Any] = []
    server = Server(app).start()
    url = server.url.replace("http://", "ws://") + "/echo"

    def configure(mode: str) -> Any:
        app.config["WEBSOCKET_TAP"] = mode != "no tap"
        if mode == "tap + subscriber":
            return app.subscribe(events.append)
        return None

    modes = ["no tap", "tap, nobody listening", "tap + subscriber"]
    cases = [("64-byte text", 64, False), ("16 KiB binary", 16384, True)]
    try:
        for label, size, binary in cases:
            times: dict[str, list[float]] = {m: [] for m in modes}
            cpus: dict[str, list[float]] = {m: [] for m in modes}
            count = n if size < 1024 else max(n // 4, 50)
            kept: list[Any] = []
            for round_ in range(rounds):
                # Interleaved, so drift hits every mode alike, and in turn first, second and
                # third, so neither does what ran just before (the client's start, the last
                # run's kept events being freed) favour one of them.
                shift = round_ % len(modes)
                for mode in modes[shift:] + modes[:shift]:
                    sub = configure(mode)
                    try:
                        times[mode].append(_client_run(url, count, size, binary))
                        # The handler ends once the client closed; warm-up and close included.
                        cpus[mode].append(cpu.get(timeout=30) / (count + 50))
                    finally:
                        if sub is not None:
                            sub.unsubscribe()
                    if mode == "tap + subscriber" and round_ == rounds - 1:
                        kept = list(events)  # the last run's (no run sees another's events)
                    events.clear()
            (handshake,) = [e for e in kept if e.kind == "ws_handshake"]
            print(
                f"(a) echo round trips over loopback, {label}, {count} per run, {rounds} rounds"
                f"\n    negotiated: {handshake.extensions}"
                "\n    msg/s of the best run; its ratio; median and middle half of the per-round"
                " ratios; server thread CPU per round trip (median)"
            )
            base = times["no tap"]
            base_cpu = statistics.median(cpus["no tap"])
            for mode in modes:
                rate = count / min(times[mode])
                cpu_us = statistics.median(cpus[mode]) * 1e6
                line = f"    {mode:<24}: {rate:6.0f} msg/s"
                if mode == "no tap":
                    line += f"{'':<38}CPU {cpu_us:5.1f} us"
                else:
                    ratios = sorted(b / t for b, t in zip(base, times[mode], strict=True))
                    q1, q3 = ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4]
                    median = statistics.median(ratios)
                    line += (
                        f"  {rate * min(base) / count:.2f}x  median {median:.2f}x"
                        f" ({q1:.2f}-{q3:.2f})  CPU {cpu_us:5.1f} us"
                        f" ({cpu_us - base_cpu * 1e6:+.1f})"
                    )
                print(line)
            # Events are filled in when first read (inflating included), which the capture
            # pays when it saves, not the connection: shown here so no cost goes unreported.
            t0 = time.perf_counter()
            for event in kept:
                event.to_json()
            took = time.perf_counter() - t0
            ws = sum(1 for e in kept if e.kind in ("ws_frame", "ws_message"))
            print(
                f"    reading the {len(kept)} kept events afterwards (to_json): "
                f"{took / count * 1e6:.1f} us per round trip, {took / ws * 1e6:.2f} us per "
                "ws_frame/ws_message"
            )
    finally:
        server.stop()


def _stream(frames: int) -> list[bytes]:
    rng = random.Random(6455)
    sizes = [0, 2, 8, 16, 32, 64, 125, 126, 200, 512, 1024, 4096]
    weights = [2, 6, 12, 16, 16, 14, 8, 4, 8, 6, 5, 3]
    parts = []
    for _ in range(frames):
        size = rng.choices(sizes, weights)[0]
        opcode = rng.choice((1, 2))
        parts.append(encode_frame(opcode, rng.randbytes(size), masking_key=rng.randbytes(4)))
    data = b"".join(parts)
    return [data[i : i + 65536] for i in range(0, len(data), 65536)]


def _ours(chunks: list[bytes]) -> list[Any]:
    reader = FrameReader(True)
    out: list[Any] = []
    for chunk in chunks:
        out += reader.feed(chunk)
    return out


def _ours_unmasked(chunks: list[bytes]) -> list[Any]:
    out = _ours(chunks)
    for frame in out:
        frame.payload  # noqa: B018 - unmask every payload, as Frame.parse does
    return out


def _websockets(chunks: list[bytes]) -> list[Any]:
    reader = StreamReader()
    out: list[Any] = []

    def parse() -> Any:  # the loop of websockets.protocol.Protocol.parse
        while True:
            if (yield from reader.at_eof()):
                return
            frame = yield from Frame.parse(
                reader.read_exact, mask=True, max_size=2**20, extensions=[]
            )
            out.append(frame)

    parser = parse()
    next(parser)
    for chunk in chunks:
        reader.feed_data(chunk)
        next(parser)
    reader.feed_eof()
    try:
        next(parser)
    except StopIteration:
        pass
    return out


def bench_parse(frames: int, repeat: int) -> None:
    chunks = _stream(frames)
    total = sum(map(len, chunks))
    ours, theirs = _ours(chunks), _websockets(chunks)
    assert len(ours) == len(theirs) == frames
    assert all(a.payload == bytes(b.data) for a, b in zip(ours, theirs, strict=True))
    times = {}
    for name, fn in (
        ("websockets", _websockets),
        ("ours", _ours),
        ("ours_unmasked", _ours_unmasked),
    ):
        times[name] = min(timeit.repeat(lambda fn=fn: fn(chunks), number=1, repeat=repeat))
    print(
        f"(b) frame parsing, {frames} masked client frames (0-4096 bytes, mostly small), "
        f"{total / 1e6:.1f} MB in 64 KiB chunks, best of {repeat}"
    )
    base = times["websockets"]
    rows = [
        ("websockets Frame.parse + StreamReader", "websockets"),
        ("FrameReader.feed (unmask on access)", "ours"),
        ("FrameReader.feed + unmask every payload", "ours_unmasked"),
    ]
    for label, key in rows:
        t = times[key]
        ratio = f"  {base / t:.2f}x" if key != "websockets" else ""
        print(
            f"    {label:<40}: {t * 1e3:7.1f} ms  {t / frames * 1e6:5.2f} us/frame"
            f"  {total / t / 1e6:6.1f} MB/s{ratio}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    args = parser.parse_args()
    print(
        f"ctxscope WebSocket tap benchmark: Python {platform.python_version()}, "
        f"websockets {websockets.__version__}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S')}"
    )
    bench_parse(5000 if args.quick else 30000, 3 if args.quick else 7)
    # Best of several interleaved rounds: on a shared machine the minimum is the run that
    # was disturbed least, for every mode alike.
    bench_echo(1 if args.quick else 15, 300 if args.quick else 1000)


if __name__ == "__main__":
    main()
