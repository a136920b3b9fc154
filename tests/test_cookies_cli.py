"""``ctxscope decode | sign | crack`` as a user runs them: real processes, exit codes, output."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import flask
import pytest

from engine.cli import main
from engine.cookies import decode, sign

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "eyJ1c2VyX2luZm8iOiJuYW1lIn0.awHfdQ.JqD0sGwdNF8pPas7c4YZz7Q-woc"


def run_process(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """The real thing, in a child process (exit status, stdout and stderr as a user sees)."""
    code = "import sys; from engine.cli import main; sys.exit(main())"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``engine.cli.main`` in this process (fast); same results as ``run_process``."""

    def invoke(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return invoke


def test_decode_readable(run) -> None:  # type: ignore[no-untyped-def]
    proc = run("decode", f"Cookie: a=b; session={EXAMPLE}", "--secret", "aptx4869")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "{'user_info': 'name'}" in out
    assert "1795284853 = 2026-11-21 18:14:13 UTC" in out
    assert "26a0f4b06c1d345f293dab3b738619cfb43ec287" in out
    assert "VALID" in out and proc.stderr == ""


def test_decode_json_keys_and_exit_codes(run) -> None:  # type: ignore[no-untyped-def]
    proc = run("decode", EXAMPLE, "--json")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["payload"] == {"user_info": "name"} and doc["compressed"] is False
    assert doc["timestamp"] == 1795284853 and doc["signature_valid"] is None
    for key in ("key_index", "expired", "age_seconds", "signature_hex", "sizes", "attributes"):
        assert key in doc

    proc = run("decode", EXAMPLE, "--json", "--secret", "old", "--secret", "aptx4869")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0 and doc["signature_valid"] is True and doc["key_index"] == 1
    assert doc["key_is_current"] is True and doc["expired"] is False

    proc = run("decode", EXAMPLE, "--json", "--secret", "wrong")
    assert proc.returncode == 1 and json.loads(proc.stdout)["signature_valid"] is False

    proc = run("decode", EXAMPLE, "--json", "--secret", "aptx4869", "--max-age", "0")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1 and doc["expired"] is True and doc["signature_valid"] is True


@pytest.mark.parametrize("bad", ["", "garbage", "a.b.c", "é" * 3, "x" * 20000])
def test_decode_malformed_exit_2_one_line(run, bad: str) -> None:  # type: ignore[no-untyped-def]
    proc = run("decode", bad)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("ctxscope decode: error: ")
    assert "Traceback" not in proc.stderr


def test_decode_tags_in_json_and_set_cookie_attributes(run) -> None:  # type: ignore[no-untyped-def]
    app = flask.Flask("cli")
    app.secret_key = "s"

    @app.route("/")
    def view() -> str:
        flask.session.permanent = True
        flask.session["t"] = (1, b"\x01")
        return ""

    line = "Set-Cookie: " + app.test_client().get("/").headers["Set-Cookie"]
    proc = run("decode", line, "--json", "--secret", "s")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0
    assert doc["payload"]["t"] == [1, {"__bytes__": "AQ=="}]
    assert doc["payload_tagged"]["t"] == {" t": [1, {" b": "AQ=="}]}
    assert doc["attributes"]["httponly"] is True and doc["attributes"]["expires"]
    assert doc["source"] == "set-cookie" and doc["cookie_name"] == "session"


def test_decode_from_stdin(run) -> None:  # type: ignore[no-untyped-def]
    proc = run("decode", "-", "--json", stdin=f"session={EXAMPLE}\n".encode())
    assert proc.returncode == 0 and json.loads(proc.stdout)["payload"] == {"user_info": "name"}


def test_sign_payload_tagged_and_from(run) -> None:  # type: ignore[no-untyped-def]
    proc = run(
        "sign", "--secret", "aptx4869", "--payload", '{"user_info": "name"}',
        "--timestamp", "1795284853",
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.strip() == EXAMPLE

    proc = run(
        "sign", "--secret", "k", "--payload", '{"ids": {" t": [1, 2]}, "raw": {" b": "AQ=="}}'
    )
    assert proc.returncode == 0
    assert decode(proc.stdout.strip()).payload == {"ids": (1, 2), "raw": b"\x01"}

    proc = run(
        "sign", "--secret", "new", "--from", EXAMPLE, "--set", "role=admin", "--set", "n=5",
        "--set", 'pair={" t": [1, "a"]}', "--unset", "user_info",
    )  # fmt: skip
    assert proc.returncode == 0
    decoded = decode(proc.stdout.strip())
    assert decoded.payload == {"role": "admin", "n": 5, "pair": (1, "a")}
    assert decoded.verify("new").valid


@pytest.mark.parametrize(
    "args",
    [
        ["sign", "--payload", "{}"],
        ["sign", "--secret", "k", "--payload", "{not json"],
        ["sign", "--secret", "k", "--payload", '{" b": "A"}'],
        ["sign", "--secret", "k", "--from", "junk"],
        ["sign", "--secret", "k", "--payload", "{}", "--set", "novalue"],
        ["sign", "--secret", "k", "--payload", "{}", "--digest", "nope"],
        ["sign", "--secret", "k", "--payload", "{}", "--timestamp", "-1"],
    ],
)
def test_sign_errors_exit_2(run, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    proc = run(*args)
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.count("\n") == 1


def test_crack_found_not_found_and_bad_input(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    words = tmp_path / "words.txt"
    words.write_bytes(b"123\n\n\xe9t\xe9\nadmin\naptx4869\r\n")
    proc = run("crack", EXAMPLE, "--wordlist", str(words), "--workers", "1")
    assert proc.returncode == 0 and proc.stdout == "found: aptx4869\n"
    assert proc.stderr == ""  # progress only on a terminal

    proc = run("crack", sign({"a": 1}, b"\xe9t\xe9"), "--wordlist", str(words), "--workers", "2")
    assert proc.returncode == 0 and proc.stdout == "found: b'\\xe9t\\xe9' (not UTF-8)\n"

    proc = run("crack", sign({"a": 1}, "zzz"), "--wordlist", "-", stdin=b"a\nb\n")
    assert proc.returncode == 1 and proc.stdout == "no key matched (2 candidates)\n"

    proc = run("crack", "garbage", "--wordlist", str(words))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    proc = run("crack", EXAMPLE, "--wordlist", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "wordlist" in proc.stderr


def test_sign_output_is_accepted_by_flask(run) -> None:  # type: ignore[no-untyped-def]
    proc = run("sign", "--secret", "s3", "--payload", '{"cart": {" t": ["a", "b"]}}')
    app = flask.Flask("accept")
    app.secret_key = "s3"
    with app.test_request_context("/", headers={"Cookie": f"session={proc.stdout.strip()}"}):
        session = app.session_interface.open_session(app, flask.request)
        assert dict(session) == {"cart": ("a", "b")}  # type: ignore[arg-type]
    assert sign({"cart": ("a", "b")}, "s3", timestamp=decode(proc.stdout).timestamp) == (
        proc.stdout.strip()
    )


def test_real_processes_exit_codes(tmp_path: Path) -> None:
    assert run_process("decode", EXAMPLE, "--secret", "aptx4869").returncode == 0
    bad_sig = run_process("decode", EXAMPLE, "--secret", "nope")
    assert bad_sig.returncode == 1 and "INVALID" in bad_sig.stdout
    bad = run_process("decode", "a.b")
    assert bad.returncode == 2 and bad.stderr.startswith("ctxscope decode: error: ")
    words = tmp_path / "w.txt"
    words.write_bytes(b"x\n" * 1000 + b"aptx4869\n")
    found = run_process(
        "crack", EXAMPLE, "--wordlist", "-", "--workers", "2", stdin=words.read_bytes()
    )
    assert found.returncode == 0 and found.stdout == "found: aptx4869\n"


def test_unprintable_payloads_print_in_both_modes() -> None:
    token = sign({"s": "\ud800", "n": float("nan"), "i": float("-inf")}, "k")
    proc = run_process("decode", f"na\u00efve={token}", "--secret", "k")
    assert proc.returncode == 0 and "\\ud800" in proc.stdout, proc.stderr
    proc = run_process("decode", token, "--json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0 and doc["payload"] == {"s": "\ud800", "n": "NaN", "i": "-Infinity"}
    assert doc["payload_tagged"]["n"] == "NaN"
