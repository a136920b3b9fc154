"""Tabs of the ctxscope window that stand on their own: the cookie workbench and WebSocket.

Modules are imported by name (``inspector.tabs.cookies``, ``inspector.tabs.websocket``) so that
importing this package does not pull in Qt.
"""
