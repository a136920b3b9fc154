"""The composer's requests out, their exchanges back, and each exchange tied to its request.

Requests go out on ``HttpSender`` worker threads and come back as exchange dicts. Each is
recorded in the history, shown in the response pane (the latest single Send only: a burst of
copies would flicker), and matched to the engine's request id (``ExchangeMatcher``) so the
timeline can follow it. The request's events usually arrive before its response, but not
always, so an unmatched exchange waits and is retried with every batch of events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .exchanges import ExchangeMatcher
from .http_client import HttpSender, OutgoingRequest

if TYPE_CHECKING:
    from .window import MainWindow

__all__ = ["RequestTraffic"]

_HISTORY_REQ_COLUMN = 6  # the history's "req" column, filled in once an exchange is matched


class RequestTraffic:
    """Sends for the window and routes every finished exchange to the panes that show it."""

    def __init__(self, window: MainWindow) -> None:
        self._win = window  # the panes: history, response, timeline, status bar
        self.sender = HttpSender(window)  # worker threads for the composer
        self.matcher = ExchangeMatcher(window.requests_model)  # exchanges -> engine requests
        self._batches: dict[int, int] = {}  # send-xN batch tag -> exchanges still out
        self._batch_seq = 0  # next batch tag
        self._last_single: dict[str, Any] | None = None  # the latest single Send, to follow
        self.sender.finished.connect(self._exchange_done)

    def send(self, req: OutgoingRequest, copies: int = 1) -> None:
        """Send ``req`` (``copies`` at once, each on its own connection and worker)."""
        win = self._win
        if win.engine is None:
            win.show_message("offline: open ctxscope on an app to send requests")
            return
        self._batch_seq += 1
        tag = self._batch_seq
        self._batches[tag] = copies
        for _ in range(copies):
            self.sender.submit(req, tag)
        what = f"{req.method} {urlsplit(req.url).path}"
        win.show_message(f"sent {what}" + (f" \u00d7{copies} at once" if copies > 1 else ""))

    def resend(self, exchange: dict[str, Any]) -> None:
        """``exchange``'s request again, to the running engine, with the jar's cookies."""
        win = self._win
        if win.engine is None:
            win.show_message("offline: nothing to send to")
            return
        parts = urlsplit(exchange.get("url", "/"))
        url = win.engine.url + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [list(h) for h in exchange.get("request_headers") or []]
        cookie = win.jar.header()
        if cookie:  # the jar's current cookies, not the ones the old request carried
            headers = [h for h in headers if h[0].lower() != "cookie"] + [["Cookie", cookie]]
        self.send(
            OutgoingRequest(
                method=exchange.get("method", "GET"),
                url=url,
                headers=headers,
                body=exchange.get("request_body") or b"",
            )
        )

    def match_waiting(self) -> None:
        """Retry the exchanges still waiting for their request's events (after every batch)."""
        if self.matcher.waiting:
            self._match_exchanges()

    def clear(self) -> None:
        self.matcher.clear()

    def wait(self, msecs: int) -> None:
        """Wait up to ``msecs`` for the workers (closing the window)."""
        self.sender.wait(msecs)

    def _exchange_done(self, exchange: dict[str, Any], tag: Any) -> None:
        win = self._win
        left = self._batches.get(tag, 1) - 1
        total = left
        if left <= 0:
            self._batches.pop(tag, None)
        else:
            self._batches[tag] = left
        if win.composer.follows_set_cookie():
            set_cookies = [
                v for k, v in exchange.get("response_headers", []) if k.lower() == "set-cookie"
            ]
            win.jar.apply_set_cookie(set_cookies)
        win.history_model.add([exchange])
        if total <= 0:
            win.response.show_exchange(exchange)
            self._last_single = exchange
        if exchange.get("request_id") is None and exchange.get("status") is not None:
            self.matcher.add(exchange)
            win.bridge.flush()  # the request's events are usually queued already
            self._match_exchanges()
        elif exchange.get("request_id") is not None:
            self.matcher.claim(exchange["request_id"])
            self._followed(exchange)
        if exchange.get("error"):
            win.show_message(f"{exchange['method']} {exchange['url']}: {exchange['error']}")
        win.exchangeFinished.emit(exchange)

    def _match_exchanges(self) -> None:
        history = self._win.history_model
        matched = self.matcher.match()
        for exchange in matched:
            self._followed(exchange)
        if matched and history.rowCount():
            history.dataChanged.emit(
                history.index(0, _HISTORY_REQ_COLUMN),
                history.index(history.rowCount() - 1, _HISTORY_REQ_COLUMN),
            )

    def _followed(self, exchange: dict[str, Any]) -> None:
        win = self._win
        if exchange is win.response.exchange():
            win.response.show_exchange(exchange)
        if exchange is self._last_single and win.timeline.follow.isChecked():
            win.select_request(exchange["request_id"], switch=False)
