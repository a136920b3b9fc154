"""Importing this module fails inside it: a dependency of the user's project is missing."""

import ctxfx_dependency_that_is_not_installed  # noqa: F401
