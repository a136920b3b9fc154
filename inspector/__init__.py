"""The ctxscope window (PySide6). Everything Qt lives in this package, nothing in ``engine``.

Importing this package does not import Qt; ``inspector.cli`` decides whether the window is
needed at all.
"""
