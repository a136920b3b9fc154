"""``python -m inspector`` is the same as ``ctxscope``."""

from __future__ import annotations

import sys

from inspector.cli import main

sys.exit(main())
