"""Secret-key audit: try every line of a wordlist as the key that signed a token.

The wordlist is streamed in blocks of whole lines (never loaded whole); every line is a
candidate as raw bytes, only its ``\\n`` / ``\\r\\n`` terminator removed (numbers, empty lines
and any encoding are just candidates). One worker hashes in this process; more workers are
processes running ``crackcore`` over pipes (no fork of a threaded GUI, no re-import of the
parent's ``__main__``), each fed one block of lines at a time by a thread here.
``Cracker.cancel()`` may be called from any thread.
"""

from __future__ import annotations

import io
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from engine.cookies import crackcore
from engine.cookies.crackcore import CrackTarget, check_block, split_block
from engine.cookies.decode import DecodedCookie, decode
from engine.cookies.errors import CookieError
from engine.cookies.signing import FLASK_SESSION, SigningSettings

__all__ = ["BLOCK_SIZE", "CrackResult", "Cracker", "crack", "iter_blocks"]

BLOCK_SIZE = 256 * 1024  # bytes of wordlist per block: ~25k short lines, ~0.1 s of hashing
ProgressCallback = Callable[[int, float], None]  # (candidates tried, candidates per second)


@dataclass(frozen=True)
class CrackResult:
    """The outcome of one audit."""

    key: bytes | None  # the secret that reproduces the signature, or None
    tried: int  # candidates checked (all of them when nothing matched)
    elapsed: float  # seconds, pool start-up included
    cancelled: bool  # stopped by cancel() before the list was exhausted
    workers: int  # hashing processes used

    @property
    def found(self) -> bool:
        return self.key is not None

    @property
    def key_text(self) -> str | None:
        """The key as UTF-8 text when it is that, else None (use ``key``)."""
        if self.key is None:
            return None
        try:
            return self.key.decode("utf-8")
        except UnicodeDecodeError:
            return None

    @property
    def rate(self) -> float:
        return self.tried / self.elapsed if self.elapsed > 0 else 0.0


def iter_blocks(stream: BinaryIO, size: int = BLOCK_SIZE) -> Iterator[bytes]:
    """Blocks of whole lines, each ending with ``\\n`` (one is added after a last bare line)."""
    carry = b""
    while True:
        data = stream.read(size)
        if not data:
            break
        if not isinstance(data, bytes):
            raise CookieError("wordlist", "the wordlist stream must be binary (opened with 'rb')")
        data = carry + data if carry else data
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data  # one line longer than a block: keep reading
            continue
        carry = data[cut + 1 :]
        yield data[: cut + 1]
    if carry:
        yield carry + b"\n"


class _Worker:
    """One hashing process fed over pipes by one thread of ours."""

    def __init__(self, target: CrackTarget) -> None:
        # ``-I``: no site, no environment, no script directory on sys.path: crackcore runs on
        # the standard library alone, whatever the parent process is (CLI, tests, Qt window).
        try:
            self.process = subprocess.Popen(  # the worker; ends at EOF on its stdin
                [sys.executable, "-I", crackcore.__file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise CookieError("worker", f"cannot start a crack worker: {exc}") from None
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin = self.process.stdin  # frames to the worker
        self.stdout = self.process.stdout  # replies from the worker
        for field in crackcore.encode_target(target):
            crackcore.write_frame(self.stdin, field)  # buffered; sent with the first block

    def check(self, block: bytes) -> tuple[int, int]:
        """(lines checked, index of the key or -1) for one block."""
        crackcore.write_frame(self.stdin, block)
        self.stdin.flush()
        reply = crackcore.read_exact(self.stdout, crackcore.REPLY.size)
        if reply is None:
            raise OSError(f"crack worker exited with status {self.process.wait()}")
        return crackcore.REPLY.unpack(reply)

    def close(self) -> None:
        for pipe in (self.stdin, self.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)  # at most one block of hashing left
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Cracker:
    """One audit of one token; ``run`` it once, ``cancel`` it from anywhere."""

    def __init__(
        self,
        cookie: str | bytes | DecodedCookie,
        *,
        settings: SigningSettings = FLASK_SESSION,
        workers: int | None = None,
        cookie_name: str | None = None,
        block_size: int = BLOCK_SIZE,
    ) -> None:
        decoded = (
            cookie if isinstance(cookie, DecodedCookie) else decode(cookie, cookie_name=cookie_name)
        )
        if workers is None:
            workers = os.cpu_count() or 1
        if not isinstance(workers, int) or workers < 1:
            raise CookieError("bad_option", f"workers must be a positive integer, not {workers!r}")
        self.decoded = decoded  # the token under audit
        self.target = CrackTarget(  # guess-independent inputs, shipped once to each worker
            message=decoded.signed_message,
            signature=decoded.signature,
            salt=settings.salt,
            digest=settings.digest,
            key_derivation=settings.key_derivation,
        )
        self.workers = workers  # hashing processes; 1 hashes in the calling thread
        self.block_size = max(1024, block_size)  # bytes of wordlist per unit of work
        self._cancel = threading.Event()  # set by cancel(), polled between blocks

    def cancel(self) -> None:
        """Stop soon (within about one block's hashing time); safe from any thread."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(
        self,
        wordlist: str | os.PathLike[str] | BinaryIO,
        progress: ProgressCallback | None = None,
    ) -> CrackResult:
        """Try every line of ``wordlist`` (a path, or a binary stream read to its end)."""
        if isinstance(wordlist, (str, os.PathLike)):
            try:
                stream: BinaryIO = open(wordlist, "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise CookieError(
                    "wordlist", f"cannot open wordlist: {exc.strerror}: {wordlist}"
                ) from None
            with stream:
                workers = self.workers
                if os.path.getsize(wordlist) <= self.block_size:
                    workers = 1  # one block: starting processes would cost more than it saves
                return self._run_stream(stream, progress, workers)
        if isinstance(wordlist, io.TextIOBase):
            raise CookieError("wordlist", "the wordlist stream must be binary (opened with 'rb')")
        return self._run_stream(wordlist, progress, self.workers)

    def _run_stream(
        self, stream: BinaryIO, progress: ProgressCallback | None, workers: int
    ) -> CrackResult:
        start = time.perf_counter()
        if workers == 1:
            try:
                key, tried = self._run_here(stream, progress, start)
            except OSError as exc:
                raise CookieError("wordlist", f"cannot read wordlist: {exc}") from None
        else:
            key, tried = self._run_pool(stream, progress, start, workers)
        elapsed = time.perf_counter() - start
        cancelled = key is None and self._cancel.is_set()
        return CrackResult(key, tried, elapsed, cancelled, workers)

    def _report(self, progress: ProgressCallback | None, tried: int, start: float) -> None:
        if progress is not None:
            elapsed = time.perf_counter() - start
            progress(tried, tried / elapsed if elapsed > 0 else 0.0)

    def _run_here(
        self, stream: BinaryIO, progress: ProgressCallback | None, start: float
    ) -> tuple[bytes | None, int]:
        tried = 0
        for block in iter_blocks(stream, self.block_size):
            if self._cancel.is_set():
                break
            lines = split_block(block)
            index = check_block(self.target, lines)
            if index >= 0:
                return lines[index], tried + index + 1
            tried += len(lines)
            self._report(progress, tried, start)
        return None, tried

    def _run_pool(
        self, stream: BinaryIO, progress: ProgressCallback | None, start: float, count: int
    ) -> tuple[bytes | None, int]:
        # One feeding thread per worker process (pipes release the GIL); results come back
        # to this thread, which alone reports progress and decides when to stop.
        blocks = iter_blocks(stream, self.block_size)
        read_lock = threading.Lock()
        stop = threading.Event()
        results: queue.Queue[tuple[str, object]] = queue.Queue()

        def feed(worker: _Worker) -> None:
            try:
                while not stop.is_set():
                    with read_lock:
                        try:
                            block = next(blocks, None)
                        except OSError as exc:
                            raise CookieError("wordlist", f"cannot read wordlist: {exc}") from None
                    if block is None:
                        break
                    count, index = worker.check(block)
                    results.put(("block", (count, index, block if index >= 0 else b"")))
            except Exception as exc:  # reported to the caller's thread, never lost
                results.put(("error", exc))
            finally:
                results.put(("done", None))

        workers: list[_Worker] = []
        threads: list[threading.Thread] = []
        tried = 0
        key: bytes | None = None
        failure: BaseException | None = None
        try:
            for _ in range(count):
                workers.append(_Worker(self.target))
            for worker in workers:
                thread = threading.Thread(target=feed, args=(worker,), name="ctxscope-crack")
                thread.start()
                threads.append(thread)
            running = len(threads)
            while running:
                if self._cancel.is_set():
                    stop.set()
                try:
                    kind, item = results.get(timeout=0.05)
                except queue.Empty:
                    continue
                if kind == "done":
                    running -= 1
                elif kind == "error":
                    failure = failure or item  # type: ignore[assignment]
                    stop.set()
                else:
                    count, index, block = item  # type: ignore[misc]
                    if index >= 0 and key is None:
                        key = split_block(block)[index]
                        tried += index + 1
                        stop.set()
                    else:
                        tried += count
                    self._report(progress, tried, start)
        finally:
            stop.set()
            for worker in workers:
                worker.close()
            for thread in threads:
                thread.join()
        if failure is not None and key is None:
            if isinstance(failure, CookieError):
                raise failure
            raise CookieError("worker", f"crack worker failed: {failure}")
        return key, tried


def crack(
    cookie: str | bytes | DecodedCookie,
    wordlist: str | os.PathLike[str] | BinaryIO,
    *,
    settings: SigningSettings = FLASK_SESSION,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    cancel_event: threading.Event | None = None,
    cookie_name: str | None = None,
) -> CrackResult:
    """One-call audit; ``cancel_event`` (set from another thread) stops it like ``cancel()``."""
    cracker = Cracker(cookie, settings=settings, workers=workers, cookie_name=cookie_name)
    if cancel_event is not None:
        cracker._cancel = cancel_event
    return cracker.run(wordlist, progress)
