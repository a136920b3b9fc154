"""What the tap's events read lazily: their fields, derived from the raw values when read.

The tap hands the bus immutable values taken from the wire (see ``engine.ws.tap_layout``);
``frame_fields`` / ``message_fields`` derive the bits, hex and previews (and, through the
inflate queue, the inflated results) when somebody reads the event. Payload previews are
text when UTF-8 (RFC 6455 §8.1), close payloads are read as RFC 6455 §5.5.1 and §7.4 say,
and masked payloads are unmasked as §5.3 says.
"""

from __future__ import annotations

import re
from typing import Any

from .frames import OPCODE_NAMES, opcode_name, unmask
from .inflate import _results
from .tap_layout import PREVIEW_BYTES, WHOLE

__all__ = [
    "control_preview",
    "frame_fields",
    "message_fields",
    "parse_close",
    "text_preview",
]

_printable = re.compile(rb"[\x09-\x0d\x20-\x7e]*").fullmatch
_VALID_CLOSE = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
Frame = tuple[bytes, int, bytes, str | None, bool]
"""A frame as the tap's readers give it: a ``WireFrame``'s five items, as a plain tuple."""


def text_preview(head: bytes, whole: bool) -> tuple[str, bool]:
    """(preview, is_text): ``head`` (a payload's start) as text if it is UTF-8, else as hex.

    ``whole`` says ``head`` is the entire payload; otherwise a character cut at the end by
    the preview cap (or by a fragment boundary) is not held against it.
    """
    head = head[:PREVIEW_BYTES]
    try:
        return str(head, "utf-8"), True
    except UnicodeDecodeError as exc:
        # An incomplete sequence at the very end is a cut, not an error (unless whole).
        if not whole and exc.end == len(head) and exc.reason == "unexpected end of data":
            return str(head[: exc.start], "utf-8"), True
        return head.hex(), False


def control_preview(data: bytes) -> tuple[str, bool]:
    """Control payloads: printable ASCII as text, anything else as hex (as websockets logs)."""
    head = data[:PREVIEW_BYTES]
    if _printable(head):
        return head.decode("ascii"), True
    return head.hex(), False


def parse_close(payload: bytes) -> tuple[int | None, str | None, str | None]:
    """(code, reason, problem) of a close payload (RFC 6455 §5.5.1, §7.4)."""
    if not payload:
        return 1005, "", None  # no status code present (§7.1.5)
    if len(payload) == 1:
        return None, None, "close payload of 1 byte (a status code takes 2)"
    code = int.from_bytes(payload[:2], "big")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        return code, payload[2:].decode("utf-8", "replace"), f"close reason is not UTF-8: {exc}"
    if code not in _VALID_CLOSE and not 3000 <= code < 5000:
        return code, reason, f"close code {code} must not be sent (RFC 6455 §7.4)"
    return code, reason, None


def _payload(frame: Frame, n: int | None = None) -> bytes:
    """A frame's payload (its first ``n`` bytes) unmasked (RFC 6455 §5.3).

    ``WireFrame.payload`` for the plain tuples the tap's readers return.
    """
    header = frame[0]
    wire = frame[2] if n is None else frame[2][:n]
    if len(header) > 1 and header[1] & 0x80:
        return unmask(wire, header[-4:])
    return wire


def frame_fields(raw: tuple[Any, ...]) -> dict[str, Any]:
    """The ``ws_frame`` fields of the tap's raw values (``WsFrame._decode`` calls this)."""
    if raw[0] == WHOLE:
        _, cid, direction, head, hlen, length, error, compressed, _, slot, qid = raw
        received = length
        complete = True
        text = head[0] & 0x0F == 0x1 and not compressed
        close = None
    else:
        _, cid, direction, head, hlen, length, received, error, complete, text, slot, qid = raw[:12]
        close = raw[12]
    header = head[:hlen]
    wire_head = head[hlen:]
    b0 = header[0]
    op = b0 & 0x0F
    b1 = header[1] if len(header) > 1 else 0
    masked = b1 >= 0x80
    # The preview's bytes unmasked: the XOR of RFC 6455 §5.3 from the payload's start.
    preview_bytes = unmask(wire_head, header[-4:]) if masked else wire_head
    if op >= 0x8:
        preview, is_text = control_preview(preview_bytes)
    elif text:
        whole = complete and op == 0x1 and b0 >= 0x80 and length <= PREVIEW_BYTES
        preview, is_text = text_preview(preview_bytes, whole)
    else:
        preview, is_text = preview_bytes.hex(), False
    code = b1 & 0x7F
    return {
        "connection_id": cid,
        "direction": direction,
        "fin": b0 >= 0x80,
        "rsv1": bool(b0 & 0x40),
        "rsv2": bool(b0 & 0x20),
        "rsv3": bool(b0 & 0x10),
        "opcode": op,
        "opcode_name": OPCODE_NAMES.get(op) or opcode_name(op),
        "masked": masked,
        "masking_key": header[-4:].hex() if masked and len(header) >= 6 else None,
        "length": length,
        "length_encoding": 7 if code < 126 else (16 if code == 126 else 64),
        "header_hex": header.hex(),
        "payload_wire_preview": wire_head.hex(),
        "payload_preview": preview,
        "payload_preview_is_text": is_text,
        "wire_size": len(header) + received,
        "inflated_size": _results(slot, qid)[0] if slot is not None else None,
        "error": error,
        "close_code": close[0] if close is not None else None,
        "close_reason": close[1] if close is not None else None,
    }


def message_fields(raw: tuple[Any, ...]) -> dict[str, Any]:
    """The ``ws_message`` fields of the tap's raw values (``WsMessage._decode`` calls this).

    With a queued frame, length, head and error are the inflated message's, known once the
    queue reached that frame.
    """
    if raw[0] == WHOLE:
        _, cid, direction, frame_head, hlen, length, _, compressed, error, slot, qid = raw
        opcode = frame_head[0] & 0x0F
        frames = 1
        wire_length = length
        head = frame_head[hlen:]
        if frame_head[1] & 0x80:  # not inflated: the payload's start, unmasked (RFC 6455 §5.3)
            head = unmask(head, frame_head[hlen - 4 : hlen])
    else:
        _, cid, direction, opcode, frames, compressed, wire_length, length, head, error = raw[:10]
        slot, qid = raw[10], raw[11]
    if slot is not None:
        _, length, head, error = _results(slot, qid)
    if opcode == 0x1:
        preview, is_text = text_preview(head, length <= PREVIEW_BYTES)
    else:
        preview, is_text = head.hex(), False
    return {
        "connection_id": cid,
        "direction": direction,
        "opcode_name": "text" if opcode == 0x1 else "binary",
        "length": length,
        "frames": frames,
        "compressed": compressed,
        "preview": preview,
        "wire_length": wire_length,
        "preview_is_text": is_text,
        "error": error,
    }
