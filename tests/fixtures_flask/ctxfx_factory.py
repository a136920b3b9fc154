"""Only a factory, found as ``create_app()`` (``--app ctxfx_factory``)."""

from ctxfx_build import build_app


def create_app():
    return build_app(name="ctxfx_factory")
