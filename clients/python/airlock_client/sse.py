"""Server-sent events, parsed line by line (the WHATWG `text/event-stream` rules we need)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    """One dispatched event: its `event` name (default "message"), `data` and last `id`."""

    data: str
    event: str = "message"
    id: str | None = None


class Decoder:
    """Feed it the stream's lines without their line endings; it returns a `Message` on the
    blank line that ends one. Comments (`: keepalive`) and unknown fields are ignored."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event = ""
        self._last_id: str | None = None

    def feed(self, line: str) -> Message | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._last_id = value
        return None

    def _dispatch(self) -> Message | None:
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        return Message("\n".join(data), event or "message", self._last_id)
