"""The secret-key audit: batch HMACs are exact, lines are raw bytes, workers and cancel work."""

from __future__ import annotations

import hashlib
import hmac
import io
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cookies import CookieError, Cracker, SigningSettings, crack, sign
from engine.cookies.crack import iter_blocks
from engine.cookies.crackcore import CrackTarget, check_block, hmac_many, split_block

LATIN1_KEY = "clé-secrète".encode("latin-1")  # not UTF-8: a key only bytes can name


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512", "md5", "sha3_256", "blake2s"])
def test_hmac_many_is_hmac(digest: str) -> None:
    block = hashlib.new(digest).block_size
    keys = [b"", b"k", b"x" * (block - 1), b"y" * block, b"z" * (block + 1), b"\xff" * 300]
    message = b"eyJhIjoxfQ.ZZZZ"
    assert hmac_many(keys, message, digest) == [hmac.digest(k, message, digest) for k in keys]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=150), max_size=20), st.binary(max_size=100))
def test_hmac_many_property(keys: list[bytes], message: bytes) -> None:
    assert hmac_many(keys, message, "sha1") == [hmac.digest(k, message, "sha1") for k in keys]


@pytest.mark.parametrize("derivation", ["hmac", "concat", "django-concat", "none"])
def test_check_block_each_derivation(derivation: str) -> None:
    cfg = SigningSettings(salt=b"s", digest="sha256", key_derivation=derivation)
    token = sign({"a": 1}, b"key-3", salt="s", digest="sha256", key_derivation=derivation)
    from engine.cookies import decode

    decoded = decode(token)
    target = CrackTarget(decoded.signed_message, decoded.signature, cfg.salt, "sha256", derivation)
    assert check_block(target, [b"key-1", b"key-2", b"key-3", b"key-4"]) == 2
    assert check_block(target, [b"nope"]) == -1


def test_lines_are_raw_bytes_only_line_ends_removed() -> None:
    data = b"a\r\n\r\n\nb\rc\n 12 \n\xe9\nlast"
    lines = [line for block in iter_blocks(io.BytesIO(data), 4) for line in split_block(block)]
    assert lines == [b"a", b"", b"", b"b\rc", b" 12 ", b"\xe9", b"last"]
    # a CR/LF pair split across two reads is still one line end
    lines = [
        line for block in iter_blocks(io.BytesIO(b"ab\r\ncd\r\n"), 3) for line in split_block(block)
    ]
    assert lines == [b"ab", b"cd"]


WORDS = [b"123456", b"", b"0", b"3.14", "pässword".encode("latin-1"), b"  spaced  ", b"admin"]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("key", [b"", b"0", LATIN1_KEY, b"  spaced  ", b"last-line"])
def test_finds_odd_keys(tmp_path: Path, workers: int, key: bytes) -> None:
    token = sign({"user": "x"}, key)
    wordlist = tmp_path / "words.txt"
    lines = [w for w in WORDS if w != key] + [LATIN1_KEY] * (key == LATIN1_KEY) + [b"filler"]
    if key == b"last-line":
        body = b"\r\n".join([*lines, key])  # no final newline, CRLF elsewhere
    else:
        body = b"\n".join([*lines[:3], key, *lines[3:]]) + b"\n"
    wordlist.write_bytes(body)
    result = crack(token, wordlist, workers=workers)
    assert result.found and result.key == key and not result.cancelled
    assert result.key_text == (key.decode() if key != LATIN1_KEY else None)
    assert result.workers == 1  # a one-block file is not worth starting processes for
    result = crack(token, io.BytesIO(body), workers=workers)  # a stream: as many as asked
    assert result.key == key and result.workers == workers


@pytest.mark.parametrize("workers", [1, 2])
def test_not_found_counts_every_line_of_a_stream(workers: int) -> None:
    token = sign({"user": "x"}, "unguessable")
    data = b"".join(b"w%d\n" % i for i in range(50_000)) + b"\n\n"
    result = Cracker(token, workers=workers, block_size=16 * 1024).run(io.BytesIO(data))
    assert not result.found and result.tried == 50_002 and not result.cancelled


@pytest.mark.parametrize("workers", [1, 2])
def test_finds_key_deep_in_many_blocks(workers: int) -> None:
    token = sign({"user": "x"}, "w39999")
    data = b"".join(b"w%d\n" % i for i in range(60_000))
    seen: list[int] = []
    result = Cracker(token, workers=workers, block_size=8 * 1024).run(
        io.BytesIO(data), lambda tried, rate: seen.append(tried)
    )
    assert result.key == b"w39999" and result.tried <= 60_000
    assert seen and seen == sorted(seen) and seen[-1] <= 60_000


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_from_another_thread(workers: int) -> None:
    token = sign({"user": "x"}, "unguessable")

    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = b"guess\n" * (len(buffer) // 6)
            buffer[: len(chunk)] = chunk
            return len(chunk)

    cracker = Cracker(token, workers=workers, block_size=16 * 1024)
    timer = threading.Timer(0.3, cracker.cancel)
    timer.start()
    result = cracker.run(io.BufferedReader(Endless()))
    timer.join()
    assert result.cancelled and not result.found and result.tried > 0
    assert result.elapsed < 5


def test_cancel_event_of_crack() -> None:
    event = threading.Event()
    event.set()
    result = crack(sign({}, "k"), io.BytesIO(b"k\n"), workers=1, cancel_event=event)
    assert result.cancelled and result.tried == 0


def test_other_salts_and_digests() -> None:
    token = sign({"reset": 1}, "hunter2", salt="reset", digest="sha256", key_derivation="concat")
    cfg = SigningSettings(salt=b"reset", digest="sha256", key_derivation="concat")
    assert crack(token, io.BytesIO(b"a\nhunter2\n"), settings=cfg, workers=1).key == b"hunter2"
    assert not crack(token, io.BytesIO(b"a\nhunter2\n"), workers=1).found


def test_path_with_many_blocks_uses_the_workers(tmp_path: Path) -> None:
    token = sign({"user": "x"}, "w29999")
    wordlist = tmp_path / "big.txt"
    wordlist.write_bytes(b"".join(b"w%d\n" % i for i in range(30_000)))
    result = Cracker(token, workers=2, block_size=16 * 1024).run(wordlist)
    assert result.key == b"w29999" and result.workers == 2 and result.tried <= 30_000


def test_bad_wordlists_and_options(tmp_path: Path) -> None:
    token = sign({}, "k")
    with pytest.raises(CookieError) as info:
        crack(token, tmp_path / "missing.txt")
    assert info.value.reason == "wordlist"
    with pytest.raises(CookieError) as info:
        crack(token, io.StringIO("k\n"))
    assert info.value.reason == "wordlist"
    with pytest.raises(CookieError) as info:
        Cracker(token, workers=0)
    assert info.value.reason == "bad_option"
    with pytest.raises(CookieError):
        Cracker("not a cookie")


def test_dead_worker_is_a_cookieerror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.executable", "/bin/false")
    with pytest.raises(CookieError) as info:
        Cracker(sign({}, "k"), workers=2).run(io.BytesIO(b"a\nb\n"))
    assert info.value.reason == "worker"
    monkeypatch.setattr("sys.executable", "/nonexistent/python")
    with pytest.raises(CookieError) as info:
        Cracker(sign({}, "k"), workers=2).run(io.BytesIO(b"a\nb\n"))
    assert info.value.reason == "worker"


def test_check_block_index_across_batches() -> None:
    from engine.cookies import decode

    decoded = decode(sign({"a": 1}, "g9000"))
    target = CrackTarget(
        decoded.signed_message, decoded.signature, b"cookie-session", "sha1", "hmac"
    )
    guesses = [b"g%d" % i for i in range(10_000)]
    assert check_block(target, guesses) == 9000
    assert check_block(target, guesses[:9000]) == -1
