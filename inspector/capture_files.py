"""Writing capture and HAR files: all at once or not at all, with timestamps in one form.

Shared by the capture writer and the HAR export, so both fail the same way (one
``CaptureError`` line for the user) and date their contents the same way.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime

from .capture_schema import CaptureError

__all__ = ["iso_utc", "write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, so a failed write never leaves half a file."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ctxscope-", dir=directory)
    except OSError as exc:
        raise CaptureError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise CaptureError(f"cannot write {target}: {exc.strerror or exc}") from None


def iso_utc(epoch_s: float) -> str:
    """ISO 8601 with milliseconds and ``Z``, the form browsers write in HAR files."""
    dt = datetime.fromtimestamp(epoch_s, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
