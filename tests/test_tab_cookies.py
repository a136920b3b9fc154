"""The cookie workbench tab with real Flask 3.1 cookies, real re-signing and a real key audit."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, session
from markupsafe import Markup
from PySide6.QtCore import Qt

from engine.cookies.sign import sign
from inspector.tabs.cookies import CookieWorkbenchTab
from inspector.tabs.payload_tree import PayloadTreeModel
from tests.flask_version import FLASK_VERSION

SECRET = "flask-real-secret"
FIXED_UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def _flask_app(secret: str = SECRET, fallbacks: list[str] | None = None) -> Flask:
    app = Flask("cookie_tab_test")
    app.secret_key = secret
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks or []

    @app.post("/login")
    def login() -> str:
        session["user"] = "alice"
        session["cart"] = (1, 2, 3)
        session["token"] = b"\x00\xffraw"
        session["note"] = Markup("<b>hi</b>")
        session["id"] = FIXED_UUID
        session["when"] = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
        return "ok"

    @app.get("/whoami")
    def whoami() -> dict[str, str]:
        return {k: f"{type(v).__name__}:{v!r}" for k, v in session.items()}

    return app


def _flask_cookie(app: Flask) -> str:
    client = app.test_client()
    resp = client.post("/login")
    header = resp.headers["Set-Cookie"]
    assert header.startswith("session=")
    return header


@pytest.fixture
def tab(qtbot) -> Iterator[CookieWorkbenchTab]:  # type: ignore[no-untyped-def]
    t = CookieWorkbenchTab()
    qtbot.addWidget(t)
    t.resize(1400, 900)
    yield t
    t.shutdown()


def _tree_values(model: PayloadTreeModel) -> dict[str, tuple[str, str]]:
    top = model.index(0, 0)
    out = {}
    for row in range(model.rowCount(top)):
        key = model.data(model.index(row, 0, top))
        out[key] = (model.data(model.index(row, 1, top)), model.data(model.index(row, 2, top)))
    return out


def test_real_flask_cookie_decodes_and_verifies(
    qtbot, qtmodeltester, tab: CookieWorkbenchTab
) -> None:  # type: ignore[no-untyped-def]
    header = _flask_cookie(_flask_app())
    tab.set_secret_keys([SECRET])
    tab.set_cookie_text("Set-Cookie: " + header)
    assert tab.error_label.text() == ""
    values = _tree_values(tab.tree_model)
    assert values["user"] == ("'alice'", "str")
    assert values["cart"] == ("(…) 3 items", "tuple")
    assert values["token"] == ("b'\\x00\\xffraw'", "bytes")
    assert values["note"] == ("Markup('<b>hi</b>')", "Markup")
    assert values["id"] == (str(FIXED_UUID), "UUID")
    assert values["when"] == ("2024-05-06T07:08:09+00:00", "datetime")
    cart = tab.tree_model.find("cart")
    assert [tab.tree_model.data(tab.tree_model.index(i, 1, cart)) for i in range(3)] == [
        "1",
        "2",
        "3",
    ]
    qtmodeltester.check(tab.tree_model)

    status, message = tab.verdict()
    assert status == "valid" and "key #0" in message
    assert tab.details.verdict_label.text() == message
    assert tab.details.verdict_label.property("verdict") == "valid"
    assert "UTC" in tab.details.signed_label.text() and "old" in tab.details.signed_label.text()
    assert (
        "HttpOnly" in tab.details.cookie_label.text()
        and "Path=/" in tab.details.cookie_label.text()
    )

    # the wrong key: invalid; no key at all: no verdict on the signature
    tab.set_secret_keys(["not-the-secret"])
    assert tab.verdict()[0] == "invalid"
    assert tab.details.verdict_label.property("verdict") == "invalid"
    tab.set_secret_keys([])
    assert tab.verdict()[0] == "nokey"
    # a fallback key (Flask's SECRET_KEY_FALLBACKS order: fallbacks first, current last)
    tab.set_secret_keys([SECRET, "rotated-new-key"])
    status, message = tab.verdict()
    assert status == "valid" and "fallback key #0" in message


def test_expired_and_signer_settings(qtbot, tab: CookieWorkbenchTab) -> None:  # type: ignore[no-untyped-def]
    old = sign({"user": "bob"}, SECRET, timestamp=int(time.time()) - 40 * 24 * 3600)
    tab.set_secret_keys([SECRET])
    tab.set_cookie_text(old)
    assert tab.verdict()[0] == "expired"  # older than Flask's 31-day PERMANENT_SESSION_LIFETIME
    assert "40 d" in tab.details.signed_label.text()
    tab.signer.max_age.setValue(0)  # no limit
    assert tab.verdict()[0] == "valid"
    tab.signer.salt_edit.setText("other-salt")
    assert tab.verdict()[0] == "invalid"
    tab.signer.digest_box.setCurrentText("no-such-hash")
    assert tab.verdict()[0] == "error"
    assert "no-such-hash" in tab.details.verdict_label.text()
    tab.signer.defaults_btn.click()
    assert tab.verdict()[0] == "expired"


def test_resign_is_accepted_by_real_flask(qtbot, tab: CookieWorkbenchTab) -> None:  # type: ignore[no-untyped-def]
    app = _flask_app()
    tab.set_secret_keys(["old-key", SECRET])
    tab.set_cookie_text(_flask_cookie(app))  # "session=.eJ…; HttpOnly; Path=/" as copied
    assert tab.decoded is not None and tab.decoded.compressed
    edited = tab.resign_box.payload_edit.toPlainText().replace('"alice"', '"mallory"')
    assert '" t"' in edited and '" b"' in edited  # the tagged form is what is edited
    tab.resign_box.payload_edit.setPlainText(edited)
    with qtbot.waitSignal(tab.useInComposer, timeout=1000) as used:
        tab.resign_box.resign_btn.click()
        assert tab.resigned_cookie()
        assert tab.resign_box.copy_btn.isEnabled()
        qtbot.mouseClick(tab.resign_box.compose_btn, Qt.MouseButton.LeftButton)
    cookie = used.args[0]
    assert cookie == tab.resigned_cookie() == tab.resign_box.resigned_edit.text()

    client = app.test_client()
    client.set_cookie("session", cookie)
    seen = client.get("/whoami").get_json()
    assert seen["user"] == "str:'mallory'"
    assert seen["cart"] == "tuple:(1, 2, 3)"
    assert seen["token"] == "bytes:b'\\x00\\xffraw'"
    assert seen["note"] == "Markup:Markup('<b>hi</b>')"
    assert seen["id"] == f"UUID:{FIXED_UUID!r}"
    assert seen["when"].startswith("datetime:datetime.datetime(2024, 5, 6, 7, 8, 9")

    # a Flask app that rotated the key keeps accepting it through SECRET_KEY_FALLBACKS
    if FLASK_VERSION < (3, 1):
        pytest.skip("SECRET_KEY_FALLBACKS is new in Flask 3.1 (the re-signed cookie was accepted)")
    rotated = _flask_app(secret="brand-new", fallbacks=[SECRET])
    c2 = rotated.test_client()
    c2.set_cookie("session", cookie)
    assert c2.get("/whoami").get_json()["user"] == "str:'mallory'"

    # unchanged payload, original timestamp, same key: byte-identical to Flask's own cookie
    tab.resign_box.payload_edit.setPlainText(
        tab.resign_box.payload_edit.toPlainText().replace('"mallory"', '"alice"')
    )
    tab.resign_box.keep_ts_box.setCurrentIndex(1)
    again = tab.resign()
    assert again == tab.decoded.value


def test_malformed_input_and_payload_are_one_line(qtbot, tab: CookieWorkbenchTab) -> None:  # type: ignore[no-untyped-def]
    tab.set_secret_keys([SECRET])
    for bad in ("not a cookie at all", "a.b", "eyJ.x.y", "Cookie: other=1", "\x00\x01", "." * 50):
        tab.set_cookie_text(bad)
        assert tab.error_label.text(), bad
        assert "\n" not in tab.error_label.text()
        assert "Traceback" not in tab.error_label.text()
        assert tab.decoded is None
        assert tab.tree_model.rowCount() == 0
    tab.set_cookie_text("")
    assert tab.error_label.text() == "" and tab.verdict()[0] == "none"

    tab.set_cookie_text(sign({"a": 1}, SECRET))
    tab.resign_box.payload_edit.setPlainText('{"a": ')
    assert tab.resign() is None
    assert tab.resign_box.resign_status.text().startswith("payload is not valid JSON at line 1")
    tab.resign_box.payload_edit.setPlainText('{"x": {" u": "not-a-uuid"}}')
    assert tab.resign() is None
    assert "tag" in tab.resign_box.resign_status.text()
    assert not tab.resign_box.copy_btn.isEnabled()
    with qtbot.waitSignal(tab.useInComposer, timeout=1000) as used:
        tab.resign_box.compose_btn.click()  # nothing re-signed: the pasted cookie itself
    assert used.args == [tab.decoded.value]
    tab.set_cookie_text("garbage")
    assert not tab.resign_box.compose_btn.isEnabled()


def test_typing_decodes_after_a_pause(qtbot, tab: CookieWorkbenchTab) -> None:  # type: ignore[no-untyped-def]
    tab.set_secret_keys([SECRET])
    tab.input_edit.setPlainText("session=" + sign({"n": 5}, SECRET))
    qtbot.waitUntil(lambda: tab.decoded is not None, timeout=2000)
    assert tab.decoded.payload == {"n": 5}
    assert tab.verdict()[0] == "valid"


def _wordlist(path: Path, secret: str, before: int) -> Path:
    words = [f"candidate-{i}" for i in range(before)] + [secret, "after-1", "after-2"]
    path.write_text("\n".join(words) + "\n")
    return path


def test_key_audit_finds_the_key_with_progress(
    qtbot, tab: CookieWorkbenchTab, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    tab.set_secret_keys([])
    tab.set_cookie_text("Set-Cookie: " + _flask_cookie(_flask_app()))
    wl = _wordlist(tmp_path / "words.txt", SECRET, 60_000)
    tab.audit_box.wordlist_edit.setText(str(wl))
    progress: list[tuple[int, int, float]] = []
    tab.audit.progressed.connect(lambda *a: progress.append(a))
    with qtbot.waitSignal(tab.audit.finished, timeout=20_000) as done:
        assert tab.start_audit()
        assert tab.audit_box.cancel_btn.isEnabled() and not tab.audit_box.start_btn.isEnabled()
    outcome, key, message = done.args
    assert (outcome, key) == ("found", SECRET)
    assert "60,001 keys" in message
    assert progress and progress[-1][1] == 60_003  # total lines counted for the bar
    assert "KEY FOUND" in tab.audit_box.audit_result.text()
    assert tab.secret_keys() == [SECRET]  # added, so the verdict now checks with it
    assert tab.verdict()[0] == "valid"
    assert tab.audit_box.progress.value() == tab.audit_box.progress.maximum()
    assert tab.audit_box.start_btn.isEnabled() and not tab.audit_box.cancel_btn.isEnabled()


def test_key_audit_exhausted_and_errors(qtbot, tab: CookieWorkbenchTab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tab.set_cookie_text(sign({"a": 1}, "unguessable"))
    wl = _wordlist(tmp_path / "w.txt", "nope", 100)
    tab.audit_box.wordlist_edit.setText(str(wl))
    with qtbot.waitSignal(tab.audit.finished, timeout=10_000) as done:
        tab.audit_box.start_btn.click()
    assert done.args[0] == "exhausted"
    assert "Not found" in tab.audit_box.audit_result.text()
    tab.audit_box.wordlist_edit.setText(str(tmp_path / "missing.txt"))
    assert not tab.start_audit()
    assert "cannot open wordlist" in tab.audit_box.audit_result.text()
    tab.audit_box.wordlist_edit.setText(str(tmp_path))
    assert not tab.start_audit()
    assert "directory" in tab.audit_box.audit_result.text()


def test_key_audit_cancel(qtbot, tab: CookieWorkbenchTab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # A FIFO wordlist that never ends: the audit can only stop by being cancelled.
    fifo = tmp_path / "endless"
    os.mkfifo(fifo)
    stop = threading.Event()

    def writer() -> None:
        chunk = b"".join(b"guess-%d\n" % i for i in range(40_000))
        try:
            with open(fifo, "wb") as fh:
                while not stop.is_set():
                    fh.write(chunk)
        except (BrokenPipeError, OSError):
            pass  # the reader went away: that is the point

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    tab.set_cookie_text(sign({"a": 1}, "unguessable"))
    tab.audit_box.wordlist_edit.setText(str(fifo))
    progress: list[tuple[int, int, float]] = []
    tab.audit.progressed.connect(lambda *a: progress.append(a))
    try:
        assert tab.start_audit()
        qtbot.waitUntil(lambda: bool(progress) and progress[-1][0] > 0, timeout=20_000)
        assert progress[-1][1] == -1  # a pipe has no line count: busy indicator
        assert tab.audit_box.progress.maximum() == 0
        assert "keys/s" in tab.audit_box.rate_label.text()
        with qtbot.waitSignal(tab.audit.finished, timeout=20_000) as done:
            qtbot.mouseClick(tab.audit_box.cancel_btn, Qt.MouseButton.LeftButton)
        assert done.args[0] == "cancelled"
        assert "Cancelled" in tab.audit_box.audit_result.text()
        assert tab.audit_box.progress.maximum() > 0
    finally:
        stop.set()
        tab.audit.cancel()
        tab.audit.wait(10)
        # release a writer still blocked in open() if the reader never came
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
        t.join(5)
