"""A read-only view of one HTTP response, shared by every adapter that looks at it.

The view holds the status, case-insensitive headers and at most `cap` bytes of the body. The JSON
document is decoded at most once, lazily, and only when the body looks like JSON.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from . import _json

if TYPE_CHECKING:
    import httpx

__all__ = ["DEFAULT_BODY_CAP", "Headers", "ResponseView"]

DEFAULT_BODY_CAP: Final = 64 * 1024
"""How many bytes of a body are read by default; the rest is never buffered."""

_UNSET: Final[Any] = object()
_JSON_START: Final = frozenset(b"{[")
_WS: Final = b" \t\r\n\xef\xbb\xbf"  # whitespace and a UTF-8 byte order mark


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only headers built from any reasonable input, never raising.

    Names are stored lower-cased. Repeated names are joined with ", " as HTTP allows. Values that
    are bytes are decoded as Latin-1; anything that is not a string is converted with `str`.
    """

    __slots__ = ("_data",)

    _data: dict[str, str]

    def __init__(self, raw: object = None) -> None:
        data: dict[str, str] = {}
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
                        data[key] = f"{data[key]}, {text}"
                    else:
                        data[key] = text
            except Exception:  # noqa: BLE001, S110 - a generator that raises midway keeps what it gave
                pass
        self._data = data

    def __getitem__(self, key: str) -> str:
        return self._data[key.lower()]

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value of header `key` (any case), or `default`."""
        return self._data.get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def __iter__(self) -> Any:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Headers({self._data!r})"


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
        "body",
        "headers",
        "raw_status",
        "status",
        "truncated",
        "url",
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
        self.status = coerce_status(status)
        self.raw_status: object = None if (self.status is not None or status is None) else status
        self.headers = headers if isinstance(headers, Headers) else Headers(headers)
        self.body, cut = coerce_body(body, cap)
        self.truncated = truncated or cut
        self.url = None if url is None else _text(url)
        self._json: Any = _UNSET
        self._text: str | None = None
        self._host: Any = _UNSET

    @classmethod
    def from_response(
        cls, response: httpx.Response, *, cap: int = DEFAULT_BODY_CAP
    ) -> ResponseView:
        """Build a view from an `httpx.Response`, reading at most `cap` bytes of its body.

        A response already read is used as it is. An unread synchronous stream is read only as far
        as `cap`; if it ends within the cap the content stays available to the caller, otherwise the
        stream is closed. An unread asynchronous stream cannot be read here (use
        `afrom_response`); the view then has no body.
        """
        body, truncated, unread = _read_sync(response, cap)
        view = cls(
            response.status_code, response.headers, body, url=_request_url(response), cap=cap
        )
        view.truncated = view.truncated or truncated
        if unread:
            view._json = None
        _set_host(view, response)
        return view

    @classmethod
    async def afrom_response(
        cls, response: httpx.Response, *, cap: int = DEFAULT_BODY_CAP
    ) -> ResponseView:
        """Like `from_response`, reading an unread asynchronous stream up to `cap` bytes."""
        body, truncated, unread = await _read_async(response, cap)
        view = cls(
            response.status_code, response.headers, body, url=_request_url(response), cap=cap
        )
        view.truncated = view.truncated or truncated
        if unread:
            view._json = None
        _set_host(view, response)
        return view

    @property
    def json(self) -> Any:
        """The decoded JSON document, or None when the body is not (complete, valid) JSON."""
        value = self._json
        if value is _UNSET:
            value = None
            body = self.body
            if body:
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
        """The body decoded as UTF-8 with replacement characters for invalid bytes."""
        if self._text is None:
            self._text = self.body.decode("utf-8", "replace")
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


def _request_url(response: httpx.Response) -> str | None:
    try:
        return str(response.request.url)
    except RuntimeError:  # a Response built by hand has no request
        return None


def _set_host(view: ResponseView, response: httpx.Response) -> None:
    # The request's URL is already parsed: take its host rather than parse the string again.
    if view.url is not None:
        with contextlib.suppress(Exception):
            view._host = response.request.url.host.lower() or None


def _declared_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    if value is None or "content-encoding" in response.headers:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _already_read(response: httpx.Response) -> bytes | None:
    try:
        return response.content
    except Exception:  # noqa: BLE001 - httpx.ResponseNotRead: the stream has not been read
        return None


def _read_sync(response: httpx.Response, cap: int) -> tuple[bytes, bool, bool]:
    """Return (body, truncated, could_not_read)."""
    content = _already_read(response)
    if content is not None:
        return content[: cap + 1], len(content) > cap, False
    if response.is_stream_consumed or response.is_closed:
        return b"", False, True
    length = _declared_length(response)
    chunks: list[bytes] = []
    try:
        if length is not None and length <= cap:
            return response.read(), False, False
        size = 0
        ended = True
        iterator = response.iter_bytes()
        for chunk in iterator:
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                ended = False
                break
    except RuntimeError:  # an async stream (or a sync one in the wrong state): headers only
        return b"", False, True
    except Exception:  # noqa: BLE001 - a stream broken midway leaves what was read
        response.close()
        return b"".join(chunks), True, False
    body = b"".join(chunks)
    if ended:
        _keep_content(response, body)
    else:
        response.close()
    return body, not ended, False


async def _read_async(response: httpx.Response, cap: int) -> tuple[bytes, bool, bool]:
    content = _already_read(response)
    if content is not None:
        return content[: cap + 1], len(content) > cap, False
    if response.is_stream_consumed or response.is_closed:
        return b"", False, True
    length = _declared_length(response)
    chunks: list[bytes] = []
    try:
        if length is not None and length <= cap:
            return await response.aread(), False, False
        size = 0
        ended = True
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                ended = False
                break
    except RuntimeError:  # a sync stream: read it the sync way
        return _read_sync(response, cap)
    except Exception:  # noqa: BLE001 - a stream broken midway leaves what was read
        await response.aclose()
        return b"".join(chunks), True, False
    body = b"".join(chunks)
    if ended:
        _keep_content(response, body)
    else:
        await response.aclose()
    return body, not ended, False


def _keep_content(response: httpx.Response, body: bytes) -> None:
    # The whole body fitted within the cap: keep it on the response, as `Response.read()` does,
    # so the caller can still use `.content`, `.json()` and `.text` afterwards.
    response._content = body
