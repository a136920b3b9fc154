"""A factory taking arguments: ``--app "ctxfx_factory_args:make('staging', secret='k2')"``."""

from ctxfx_build import build_app


def make(stage, secret="default-secret"):
    app = build_app(secret=secret, name=f"ctxfx_{stage}")
    app.config["STAGE"] = stage
    return app
