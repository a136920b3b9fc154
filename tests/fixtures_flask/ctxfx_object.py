"""An app object at module level, found as ``app`` (``--app ctxfx_object``)."""

from ctxfx_build import build_app

app = build_app(name="ctxfx_object")
