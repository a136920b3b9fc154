"""One recorded HTTP exchange as a HAR 1.2 ``entries`` item: headers, cookies, bodies, timings.

Bodies that are not UTF-8 go out as base64 (``encoding: "base64"``), as browsers write them.
"""

from __future__ import annotations

import base64
import http
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .capture_files import iso_utc

__all__ = ["har_entry", "header_value"]


def _headers(pairs: Iterable[Sequence[str]]) -> list[dict[str, str]]:
    return [{"name": str(k), "value": str(v)} for k, v in pairs]


def header_value(pairs: Iterable[Sequence[str]], name: str) -> str | None:
    """The first ``name`` header's value (names compare case-insensitively), or None."""
    lname = name.lower()
    for k, v in pairs:
        if k.lower() == lname:
            return v
    return None


def _request_cookies(pairs: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    out = []
    for k, v in pairs:
        if k.lower() != "cookie":
            continue
        for part in v.split(";"):
            name, sep, value = part.strip().partition("=")
            if name and sep:
                out.append({"name": name, "value": value})
    return out


def _response_cookies(pairs: Sequence[Sequence[str]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for k, v in pairs:
        if k.lower() != "set-cookie":
            continue
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(v)
        except CookieError:
            name, _, rest = v.partition("=")
            out.append({"name": name.strip(), "value": rest.split(";", 1)[0]})
            continue
        for morsel in jar.values():
            cookie: dict[str, Any] = {"name": morsel.key, "value": morsel.coded_value}
            if morsel["path"]:
                cookie["path"] = morsel["path"]
            if morsel["domain"]:
                cookie["domain"] = morsel["domain"]
            if morsel["expires"]:
                try:
                    from email.utils import parsedate_to_datetime

                    cookie["expires"] = (
                        parsedate_to_datetime(morsel["expires"])
                        .astimezone(UTC)
                        .isoformat()
                        .replace("+00:00", "Z")
                    )
                except (TypeError, ValueError, IndexError):
                    pass
            cookie["httpOnly"] = bool(morsel["httponly"])
            cookie["secure"] = bool(morsel["secure"])
            out.append(cookie)
    return out


def _body_text(body: bytes) -> tuple[str, str | None]:
    """HAR content text: UTF-8 as is, anything else base64 with ``encoding: "base64"``."""
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def _status_text(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def har_entry(ex: Mapping[str, Any]) -> dict[str, Any]:
    """The HAR entry for an exchange as the window records it (see ``capture_schema``)."""
    req_headers = list(ex.get("request_headers") or [])
    resp_headers = list(ex.get("response_headers") or [])
    req_body = bytes(ex.get("request_body") or b"")
    resp_body = bytes(ex.get("response_body") or b"")
    url = str(ex.get("url") or "")
    elapsed = max(0.0, float(ex.get("elapsed_ms") or 0.0))
    request: dict[str, Any] = {
        "method": str(ex.get("method") or "GET"),
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": _request_cookies(req_headers),
        "headers": _headers(req_headers),
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query, True)],
        "headersSize": -1,  # -1: not known (we see parsed headers, not the raw block)
        "bodySize": len(req_body),
    }
    if req_body:
        text, encoding = _body_text(req_body)
        post: dict[str, Any] = {
            "mimeType": header_value(req_headers, "Content-Type") or "application/octet-stream",
            "text": text,
        }
        if encoding:
            post["_encoding"] = encoding  # HAR 1.2 postData has no encoding field
        ctype = post["mimeType"].split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded" and encoding is None:
            post["params"] = [{"name": k, "value": v} for k, v in parse_qsl(text, True)]
        request["postData"] = post
    status = int(ex.get("status") or 0)
    content: dict[str, Any] = {
        "size": len(resp_body),
        "mimeType": header_value(resp_headers, "Content-Type") or "x-unknown",
    }
    if resp_body:
        text, encoding = _body_text(resp_body)
        content["text"] = text
        if encoding:
            content["encoding"] = encoding
    response = {
        "status": status,
        "statusText": _status_text(status),
        "httpVersion": "HTTP/1.1",
        "cookies": _response_cookies(resp_headers),
        "headers": _headers(resp_headers),
        "content": content,
        "redirectURL": header_value(resp_headers, "Location") or "",
        "headersSize": -1,
        "bodySize": len(resp_body),
    }
    entry: dict[str, Any] = {
        "startedDateTime": iso_utc(float(ex.get("started") or 0.0)),
        "time": elapsed,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": elapsed, "receive": 0},
    }
    if ex.get("request_id") is not None:
        entry["_requestId"] = ex["request_id"]
    return entry
