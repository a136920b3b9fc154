"""The raw values the tap hands the bus: their layouts, named by the tuple's first item.

``engine.ws.tap`` builds them, ``engine.ws.tap_fields`` derives the events' fields from them
when read, and ``engine.ws.inflate`` takes a whole message's raw values as its queue entry.
"""

from __future__ import annotations

__all__ = ["FRAME", "MESSAGE", "PREVIEW_BYTES", "WHOLE"]

PREVIEW_BYTES = 64
"""Payload bytes kept in a preview; ``length`` fields always give the full size."""

# The raw values the tap emits: a tuple whose first item names its layout, holding only
# immutable values from the wire and what only the stream position tells, plus, for a
# queued compressed frame, its result slot (filled in once, under the queue's lock, from the
# immutable bytes the queue holds, so the same whenever that happens) and its queue's number.
# Nothing in it is tracked by the garbage collector once the collector has seen it once,
# which matters when a capture keeps every event.
#
# "whole": a frame that is a whole message; its ws_frame and ws_message share the tuple.
#   ("whole", connection_id, direction, head, header_length, length, error, compressed,
#    problem, slot, queue)
# "frame": any other frame, with the raw values of the ws_message it completes, if any.
#   ("frame", connection_id, direction, head, header_length, length, received, error,
#    complete, text, slot, queue, close, message)
# "message": a fragmented message.
#   ("message", connection_id, direction, opcode, frames, compressed, wire_length, length,
#    head, error, slot, queue)
#
# head (frames): the frame's header bytes, then the first PREVIEW_BYTES of its payload as
# sent, in one bytes object (the chunk itself when it was one short frame); header_length
# splits them. received: payload bytes that arrived (a whole message's all did). slot: the
# result slot of the (last) queued frame, or None; queue: its InflateQueue's number.
# problem: the message's error when not queued; close: (code, reason) of a close frame;
# head (message): the start of its payload, unmasked, when not queued.
WHOLE = "whole"
FRAME = "frame"
MESSAGE = "message"
