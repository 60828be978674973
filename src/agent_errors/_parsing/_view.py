"""A read-only view of one HTTP response, shared by every adapter that looks at it.

The view holds the status, case-insensitive headers and at most `cap` bytes of the body. The JSON
document is decoded at most once, lazily, and only when the body looks like JSON.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from agent_errors._core import _json, _reading
from agent_errors._core._reading import DEFAULT_READ_DEADLINE

__all__ = [
    "DEFAULT_BODY_CAP",
    "DEFAULT_READ_DEADLINE",
    "Headers",
    "ResponseView",
    "coerce_status",
    "request_url",
]

DEFAULT_BODY_CAP: Final = 64 * 1024
"""How many bytes of a body are read by default; the rest is never buffered."""

_UNSET: Final[Any] = object()
_JSON_START: Final = frozenset(b"{[")
_WS: Final = b" \t\r\n\xef\xbb\xbf"  # whitespace and a UTF-8 byte order mark
_logger = logging.getLogger("agent_errors")


def _joined(data: dict[str, str], repeats: dict[str, list[str]]) -> dict[str, str]:
    # Repeated names are collected and joined once: joining as they come copies the growing
    # value for every repeat, quadratic in their number.
    for key, values in repeats.items():
        data[key] = ", ".join(values)
    return data


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only headers built from any reasonable input, never raising.

    Names are stored lower-cased. Repeated names are joined with ", " as HTTP allows. Values that
    are bytes are decoded as Latin-1; anything that is not a string is converted with `str`.
    """

    __slots__ = ("_data",)

    _data: dict[str, str]

    def __init__(self, raw: object = None) -> None:
        if type(raw) is dict:
            # The common case, kept fast: a plain dict of clean str -> str.
            data = {k.lower(): v for k, v in raw.items() if type(k) is str and type(v) is str}
            if len(data) == len(raw) and all(
                k and k == k.strip() and v == v.strip() for k, v in data.items()
            ):
                self._data = data
                return
            data = {}
        elif type(raw) is httpx.Headers:
            # httpx gives names lower-cased and values decoded: only repeats need joining.
            pairs = raw.multi_items()
            data = dict(pairs)
            if len(data) == len(pairs):  # no repeated name: the dict is the answer
                self._data = data
                return
            data = {}
            repeats: dict[str, list[str]] = {}
            for key, value in pairs:
                if key in data:
                    repeats.setdefault(key, [data[key]]).append(value)
                else:
                    data[key] = value
            self._data = _joined(data, repeats)
            return
        elif raw is None:
            self._data = {}
            return
        elif type(raw) is list or type(raw) is tuple:
            # (str, str) pairs as `normalize_parts` is usually given them, or ASGI's (bytes, bytes):
            # the general path's steps without its per-item conversions; anything else falls
            # through to it.
            fast = _pairs(raw)
            if fast is not None:
                self._data = fast
                return
            data = {}
        else:
            data = {}
        repeats = {}
        if raw:
            items: Iterable[Any]
            if isinstance(raw, Headers):
                data = dict(raw._data)
                items = ()
            elif hasattr(raw, "multi_items"):  # httpx.Headers keeps repeated names apart
                try:
                    items = raw.multi_items()
                except Exception:  # noqa: BLE001 - a broken mapping is treated as empty
                    items = ()
            elif isinstance(raw, Mapping):
                try:
                    items = list(raw.items())
                except Exception:  # noqa: BLE001
                    items = ()
            elif isinstance(raw, (str, bytes)):
                items = ()
            else:
                items = raw if isinstance(raw, Iterable) else ()
            try:
                for item in items:
                    try:
                        name, value = item
                    except (TypeError, ValueError):
                        continue
                    key = _text(name).strip().lower()
                    if not key:
                        continue
                    text = _text(value).strip()
                    if key in data:
                        repeats.setdefault(key, [data[key]]).append(text)
                    else:
                        data[key] = text
            except Exception:  # noqa: BLE001, S110 - a generator that raises midway keeps what it gave
                pass
        self._data = _joined(data, repeats)

    def __getitem__(self, key: object) -> str:
        if not isinstance(key, str):  # a Mapping answers KeyError, whatever the key
            raise KeyError(key)
        return self._data[key.lower()]

    def get(self, key: object, default: Any = None) -> Any:
        """Return the value of header `key` (any case), or `default`."""
        if not isinstance(key, str):
            return default
        return self._data.get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def __iter__(self) -> Any:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Headers({self._data!r})"

    @property
    def lowered(self) -> dict[str, str]:
        """The underlying dict with lower-cased names, for fast lookups. Do not modify it."""
        return self._data


def _pairs(raw: list[Any] | tuple[Any, ...]) -> dict[str, str] | None:
    """Headers from (name, value) tuples of str or bytes, or None when an item is anything else."""
    data: dict[str, str] = {}
    repeats: dict[str, list[str]] | None = None
    for item in raw:
        if type(item) is not tuple or len(item) != 2:
            return None
        name, value = item
        if type(name) is not str:
            if type(name) is not bytes:
                return None
            name = name.decode("latin-1")  # ASGI's raw headers
        if type(value) is not str:
            if type(value) is not bytes:
                return None
            value = value.decode("latin-1")
        key = name.strip().lower()
        if not key:
            continue
        value = value.strip()
        if key in data:
            if repeats is None:
                repeats = {}
            repeats.setdefault(key, [data[key]]).append(value)
        else:
            data[key] = value
    return data if repeats is None else _joined(data, repeats)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1")
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - an object whose __str__ raises
        return ""


def coerce_status(status: object) -> int | None:
    """Return `status` as an int in 100-999, or None when it is missing or not a status."""
    if isinstance(status, bool):
        return None
    if isinstance(status, int):
        return status if 100 <= status <= 999 else None
    if isinstance(status, (str, bytes)):
        try:
            value = int(status.strip())
        except ValueError:
            return None
        return value if 100 <= value <= 999 else None
    try:
        value = int(status)  # type: ignore[call-overload]
    except Exception:  # noqa: BLE001 - httpx.codes and other int-likes work, the rest does not
        return None
    return value if 100 <= value <= 999 else None


def coerce_body(body: object, cap: int) -> tuple[bytes, bool]:
    """Return at most `cap` bytes of `body` and whether anything was cut off."""
    if body is None:
        return b"", False
    if isinstance(body, bytes):
        data = body
    elif isinstance(body, str):
        # Encode no more than needed: a UTF-8 character is at most 4 bytes.
        data = body[: cap + 1].encode("utf-8", "surrogatepass") if cap >= 0 else b""
        if len(body) > cap + 1:
            return data[:cap], True
    elif isinstance(body, (bytearray, memoryview)):
        data = bytes(body[: cap + 1]) if isinstance(body, bytearray) else body[: cap + 1].tobytes()
    else:
        try:
            data = bytes(body)  # type: ignore[call-overload]
        except Exception:  # noqa: BLE001
            data = _text(body).encode("utf-8", "surrogatepass")
    if len(data) > cap:
        return data[:cap], True
    return data, False


class ResponseView:
    """Status, headers and the first `cap` bytes of a response, with lazily decoded JSON.

    Attributes:
        status: The HTTP status (100-999), or None when unknown or not a valid status.
        raw_status: The status exactly as it was given, when it was not a valid status.
        headers: Case-insensitive `Headers`.
        body: At most `cap` bytes of the body.
        truncated: Whether the body was longer than `cap`.
        url: The request URL, when known.
    """

    __slots__ = (
        "_host",
        "_json",
        "_text",
        "_url",
        "_url_of",
        "body",
        "headers",
        "raw_status",
        "status",
        "truncated",
    )

    def __init__(
        self,
        status: object,
        headers: object = None,
        body: object = None,
        *,
        url: object = None,
        cap: int = DEFAULT_BODY_CAP,
        truncated: bool = False,
    ) -> None:
        # The common types first, without the general coercions' checks.
        if type(status) is int and 100 <= status <= 999:
            self.status: int | None = status
            self.raw_status: object = None
        else:
            self.status = coerce_status(status)
            self.raw_status = None if (self.status is not None or status is None) else status
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        if type(body) is bytes and len(body) <= cap:
            self.body, cut = body, False
        else:
            self.body, cut = coerce_body(body, cap)
        self.truncated = truncated or cut
        self._url: str | None = None if url is None else _text(url)
        self._url_of: Any = None  # an httpx.URL whose string `url` makes when first asked
        self._json: Any = _UNSET
        self._text: str | None = None
        self._host: Any = _UNSET

    @classmethod
    def from_response(
        cls,
        response: httpx.Response,
        *,
        cap: int = DEFAULT_BODY_CAP,
        read_deadline: float | None = DEFAULT_READ_DEADLINE,
        keep_content: bool = True,
    ) -> ResponseView:
        """Build a view from an `httpx.Response`, reading at most `cap` bytes of its body.

        A response already read is used as it is. An unread synchronous stream is read in
        chunks, decoded with an output bound whatever its content-coding, until more than `cap`
        bytes are decoded, the stream ends, or `read_deadline` seconds (None: no deadline) have
        passed; the response keeps the whole body as a stream (what was read, then the rest).
        A body that ended within the cap also stays available as `response.content` (unless
        `keep_content` is false). An unread asynchronous stream cannot be read here (use
        `afrom_response`), nor can a content-coding that has no output-bounded decoder (an
        unknown one, or br without brotli >= 1.2): the view then has no body.

        Raises:
            ValueError: `read_deadline` is neither None nor a positive number.
        """
        deadline = _reading.check_deadline(read_deadline)
        return cls._of_read(response, cap, *_read_sync(response, cap, deadline, keep_content))

    @classmethod
    async def afrom_response(
        cls,
        response: httpx.Response,
        *,
        cap: int = DEFAULT_BODY_CAP,
        read_deadline: float | None = DEFAULT_READ_DEADLINE,
        keep_content: bool = True,
    ) -> ResponseView:
        """Like `from_response`, reading an unread asynchronous stream up to `cap` bytes.

        The deadline also cancels a read in flight; the rest of a body cut off that way cannot
        be read afterwards (reading it raises `httpx.ReadTimeout` after the bytes that arrived).

        Raises:
            ValueError: `read_deadline` is neither None nor a positive number.
        """
        deadline = _reading.check_deadline(read_deadline)
        got = await _read_async(response, cap, deadline, keep_content)
        return cls._of_read(response, cap, *got)

    @classmethod
    def _of_read(
        cls, response: httpx.Response, cap: int, body: bytes, truncated: bool, unread: bool
    ) -> ResponseView:
        view = cls(response.status_code, response.headers, body, cap=cap)
        view.truncated = view.truncated or truncated
        if unread:
            view._json = None
        _set_url(view, response)
        return view

    @property
    def url(self) -> str | None:
        """The request URL, when known."""
        if self._url_of is not None:
            # Made on first use: most normalizations need the host (kept parsed), not the text.
            try:
                self._url = str(self._url_of)
            except Exception:  # noqa: BLE001 - as `request_url`: no URL to be had
                self._url = None
            self._url_of = None
        return self._url

    @url.setter
    def url(self, value: object) -> None:
        self._url = None if value is None else _text(value)
        self._url_of = None
        self._host = _UNSET

    @property
    def has_url(self) -> bool:
        """Whether the request URL is known (without making its text)."""
        return self._url_of is not None or self._url is not None

    @property
    def json(self) -> Any:
        """The decoded JSON document, or None when the body is not (complete, valid) JSON."""
        value = self._json
        if value is _UNSET:
            value = None
            body = self.body
            if body and body[0] in _JSON_START and body.find(b"\x00", 1, 4) < 0:
                # The common case first: an object or array in UTF-8 (a NUL among the first
                # bytes would make it UTF-16 or UTF-32, read below).
                try:
                    value = _json.loads(body)
                except (ValueError, RecursionError, MemoryError, OverflowError):
                    value = None
            elif body and _wide_encoding(body) is not None:
                text = self.text.lstrip("\ufeff \t\r\n")
                if text[:1] in ("{", "["):
                    try:
                        value = _json.loads(text)
                    except (ValueError, RecursionError, MemoryError, OverflowError):
                        value = None
            elif body:
                first = body[0]
                if first not in _JSON_START:
                    stripped = body.lstrip(_WS)
                    first = stripped[0] if stripped else 0
                    body = stripped
                if first in _JSON_START:
                    try:
                        value = _json.loads(body)
                    except (ValueError, RecursionError, MemoryError, OverflowError):
                        value = None
            self._json = value
        return value

    @property
    def error_object(self) -> Mapping[str, Any] | None:
        """`body["error"]` when the document is an object whose `error` is an object."""
        doc = self.json
        if isinstance(doc, dict):
            err = doc.get("error")
            if isinstance(err, dict):
                return err
        return None

    @property
    def text(self) -> str:
        """The body decoded with replacement characters for invalid bytes.

        UTF-8, unless a byte order mark or the pattern of NUL bytes says UTF-16 or UTF-32.
        """
        if self._text is None:
            self._text = self.body.decode(_wide_encoding(self.body) or "utf-8", "replace")
        return self._text

    @property
    def content_type(self) -> str:
        """The media type, lower-cased and without parameters ('' when absent)."""
        value = self.headers.get("content-type")
        if not value:
            return ""
        return str(value).split(";", 1)[0].strip().lower()

    @property
    def host(self) -> str | None:
        """The request host, lower-cased, when the URL is known."""
        if self._host is _UNSET:
            host = None
            if self.url:
                with contextlib.suppress(ValueError):
                    host = urlsplit(self.url if "//" in self.url else "//" + self.url).hostname
            self._host = host
        return self._host  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return (
            f"ResponseView(status={self.status!r}, body={len(self.body)} bytes"
            f"{', truncated' if self.truncated else ''})"
        )


def _wide_encoding(body: bytes) -> str | None:
    """'utf-16…'/'utf-32…' when the body is in one of them (by BOM or NUL pattern), else None.

    JSON over HTTP is UTF-8, but servers do send UTF-16; reading it as UTF-8 would put NULs
    between the letters of every word and hide them from secret redaction.
    """
    if body[:1] not in (b"\x00", b"\xff", b"\xfe") and body.find(b"\x00", 1, 4) < 0:
        return None
    encoding = json.detect_encoding(body)
    return encoding if encoding.startswith(("utf-16", "utf-32")) else None


def request_url(response: object) -> str | None:
    """The URL of the request behind `response`, or None (no response, or none to be had)."""
    if response is None:
        return None
    try:
        return str(response.request.url)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - RuntimeError: a Response built by hand has no request
        return None


def _set_url(view: ResponseView, response: httpx.Response) -> None:
    """Give `view` the URL of the request behind `response`, as `request_url` would.

    The request's URL is already parsed: its host is taken from it rather than from the text,
    and the text is made only when `view.url` is read.
    """
    try:
        url = response.request.url
    except Exception:  # noqa: BLE001 - RuntimeError: a Response built by hand has no request
        return
    view._url_of = url
    with contextlib.suppress(Exception):
        view._host = url.host.lower() or None


def _already_read(response: httpx.Response) -> bytes | None:
    try:
        return response.content
    except Exception:  # noqa: BLE001 - httpx.ResponseNotRead: the stream has not been read
        return None


def _read_sync(
    response: httpx.Response, cap: int, deadline: float | None, keep: bool
) -> tuple[bytes, bool, bool]:
    """Return (body, truncated, could_not_read)."""
    content = _already_read(response)
    if content is not None:
        return content[: cap + 1], len(content) > cap, False
    if (
        response.is_stream_consumed
        or response.is_closed
        or not isinstance(response.stream, httpx.SyncByteStream)
    ):
        # Consumed, closed, or an async stream (httpx will not iterate it synchronously).
        return b"", False, True
    # Even a small declared Content-Length is not trusted: the stream is read in chunks and
    # left past the cap, so a body longer than announced cannot be buffered.
    got = _reading.read_capped(response, cap, deadline, keep_content=keep)
    if got is None:  # a content-coding that cannot be decoded with an output bound
        return b"", False, True
    return got[0], got[1], False


async def _read_async(
    response: httpx.Response, cap: int, deadline: float | None, keep: bool
) -> tuple[bytes, bool, bool]:
    content = _already_read(response)
    if content is not None:
        return content[: cap + 1], len(content) > cap, False
    if response.is_stream_consumed or response.is_closed:
        return b"", False, True
    if not isinstance(response.stream, httpx.AsyncByteStream):
        return _read_sync(response, cap, deadline, keep)
    got = await _reading.aread_capped(response, cap, deadline, keep_content=keep)
    if got is None:
        return b"", False, True
    return got[0], got[1], False
