"""The window's widgets, one module per pane."""
