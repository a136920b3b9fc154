"""On a Werkzeug release the fast paths were not checked against, Werkzeug's own code runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from engine import fastpaths

ROOT = Path(__file__).resolve().parent.parent


def test_the_installed_werkzeug_is_one_the_fast_paths_were_checked_against() -> None:
    # CI installs the newest 3.1.x: a new release must be compared before it goes fast.
    assert fastpaths.FAST_PATHS, f"fast paths off for this Werkzeug: {fastpaths.CHECKED_WERKZEUG}"


def test_unchecked_werkzeug_runs_werkzeugs_own_code() -> None:
    script = textwrap.dedent(
        """
        import importlib.metadata as metadata
        real = metadata.version
        metadata.version = lambda dist: "3.1.999" if dist == "werkzeug" else real(dist)

        from werkzeug.routing.matcher import StateMachineMatcher

        import engine
        from engine import fastpaths

        assert fastpaths.FAST_PATHS is False
        app = engine.App("plain")
        app.config["SECRET_KEY"] = "k"

        @app.route("/hello/<name>")
        def hello(name):
            engine.session["visits"] = engine.session.get("visits", 0) + 1
            return f"hello {name}"

        assert type(app.url_map._matcher) is StateMachineMatcher
        client = app.test_client()
        first = client.get("/hello/ann", headers={"Cookie": "a=b c; d=1"})
        second = client.get("/hello/bob")
        assert first.data == b"hello ann" and second.data == b"hello bob"
        assert second.headers["Vary"] == "Cookie"
        assert second.headers["Set-Cookie"].startswith("session=eyJ2aXNpdHMiOjJ9.")
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
