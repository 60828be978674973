"""What the caller holds, recognised and turned into something `normalize` can read.

`httpx.Response` (and `httpx.HTTPStatusError`'s response) goes on to normalize's own reader.
Everything else becomes a `ResponseView` here: a `requests.Response` or `requests.HTTPError`, an
`aiohttp.ClientResponse` (asynchronously only) or `ClientResponseError`, the openai and anthropic
SDKs' `APIStatusError` (and any SDK built the same way), botocore's `ClientError` and
google-api-core's `GoogleAPICallError`. None of these libraries is imported: they are recognised
by package and class name along the object's MRO. A body not yet read is read up to the cap and
no further; a body that cannot be read leaves status and headers, which still carry Retry-After
and the request id.
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import httpx

from ._view import ResponseView, coerce_status, request_url

__all__ = ["ACCEPTED", "aprepare", "prepare"]

_logger = logging.getLogger("agent_errors")

ACCEPTED: Final = (
    "httpx.Response, httpx.HTTPStatusError, requests.Response, requests.HTTPError, "
    "aiohttp.ClientResponse (anormalize only), aiohttp.ClientResponseError, the openai or "
    "anthropic SDK's APIStatusError (or its .response), botocore's ClientError or "
    "google-api-core's GoogleAPICallError"
)
_CHUNK: Final = 16 * 1024


def _is(obj: object, package: str, *names: str) -> bool:
    """Whether a class of `obj`'s MRO is named one of `names` and lives in `package`."""
    for cls in type(obj).__mro__:
        if cls.__name__ in names:
            module = getattr(cls, "__module__", "") or ""
            if module == package or module.startswith(package + "."):
                return True
    return False


def _attribute(obj: object, name: str) -> Any:
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - a property that raises is as good as a missing one
        return None


def _refuse(obj: object, extra: str = "") -> TypeError:
    return TypeError(f"normalize() takes {ACCEPTED}; not {type(obj).__name__}{extra}")


def prepare(obj: object, cap: int, deadline: float | None = None) -> httpx.Response | ResponseView:
    """Return the `httpx.Response` to read, or a `ResponseView` of anything else accepted.

    A `requests` body is read for at most `deadline` seconds (None: no limit), checked between
    the chunks as they arrive; the error is then classified from what arrived.

    Raises:
        TypeError: `obj` is none of the accepted types, or an `aiohttp.ClientResponse`.
    """
    if isinstance(obj, httpx.Response):
        return obj
    if _is(obj, "aiohttp", "ClientResponse"):
        msg = "an aiohttp.ClientResponse is read asynchronously: use `await anormalize(response)`"
        raise TypeError(msg)
    return _common(obj, cap, deadline)


async def aprepare(
    obj: object, cap: int, deadline: float | None = None
) -> httpx.Response | ResponseView:
    """Like `prepare`, also reading an `aiohttp.ClientResponse` (up to `cap` bytes).

    The `deadline` also cancels an aiohttp read in flight.
    """
    if isinstance(obj, httpx.Response):
        return obj
    if _is(obj, "aiohttp", "ClientResponse"):
        return await _aiohttp_view(obj, cap, deadline)
    return _common(obj, cap, deadline)


def _common(obj: object, cap: int, deadline: float | None) -> httpx.Response | ResponseView:
    if isinstance(obj, httpx.HTTPStatusError):
        return obj.response
    if _is(obj, "requests", "Response"):
        return _requests_view(obj, cap, deadline)
    if _is(obj, "requests", "RequestException"):
        response = _attribute(obj, "response")
        if _is(response, "requests", "Response"):
            return _requests_view(response, cap, deadline)
        raise _refuse(obj, " without a response (pass it to error_from_exception())")
    if _is(obj, "aiohttp", "ClientResponseError"):
        return _aiohttp_error_view(obj, cap)
    if _is(obj, "botocore", "ClientError"):
        return _botocore_view(obj, cap)
    if _is(obj, "google.api_core", "GoogleAPICallError"):
        return _google_view(obj, cap, deadline)
    if isinstance(obj, Exception) and any(
        c.__name__ == "APIStatusError" for c in type(obj).__mro__
    ):
        return _sdk_view(obj, cap)
    if _is(obj, "httpx2", "Response"):  # the SDKs' fork of httpx: an SDK error's `.response`
        return _response_view(obj, None, cap)
    raise _refuse(obj)


def _leave_success_unread(status: object, headers: Mapping[str, str], cap: int) -> bool:
    """A success still streaming is left alone unless small, uncompressed and declared so.

    Reading it would consume the caller's body; a compressed one may inflate past the cap.
    """
    code = coerce_status(status)
    if code is not None and code >= 400:
        return False
    encoding = str(headers.get("content-encoding") or "identity").strip().lower()
    if encoding != "identity":
        return True
    length = str(headers.get("content-length") or "")
    return not (length.isdigit() and int(length) <= cap)


def _url(response: object) -> str | None:
    url = request_url(response)
    if url is None:
        value = _attribute(response, "url")
        url = None if value is None else str(value)
    return url


# requests -------------------------------------------------------------------------------------


def _requests_view(response: Any, cap: int, deadline: float | None) -> ResponseView:
    status = _attribute(response, "status_code")
    headers = _attribute(response, "headers")
    url = _url(response)
    body: bytes | None = None
    truncated = False
    try:
        content = response.__dict__.get("_content", False)
        if content is not False:  # read already (None when it could not be)
            body = content if isinstance(content, bytes) else None
        elif not response.__dict__.get("_content_consumed", False) and not (
            _leave_success_unread(status, headers or {}, cap)
        ):
            body, truncated = _read_requests(response, cap, deadline)
    except Exception:
        _logger.debug("could not read the requests response", exc_info=True)
    return ResponseView(status, headers, body, url=url, cap=cap, truncated=truncated)


def _read_requests(response: Any, cap: int, deadline: float | None) -> tuple[bytes, bool]:
    """At most `cap` + 1 bytes, decoded, from a streaming body; the caller keeps a short one.

    `iter_content` asks urllib3 for `chunk` decoded bytes at a time, so a compressed body is
    inflated no further than that. Past `deadline` seconds the rest is left unread: each read
    waits at most the time left (requests has no read timeout unless the caller gave one).
    """
    chunks: list[bytes] = []
    size = 0
    ended = True
    end = math.inf if deadline is None else time.monotonic() + deadline
    sock = _socket_of(response) if deadline is not None else None
    original = sock.gettimeout() if sock is not None else None

    def before_read() -> None:
        if sock is not None:  # the time left, or less when the caller's timeout is shorter
            left = max(end - time.monotonic(), 0.001)
            sock.settimeout(left if original is None else min(left, original))

    try:
        for chunk in _requests_chunks(response, min(_CHUNK, cap + 1), before_read):
            chunks.append(chunk)
            size += len(chunk)
            if size > cap or time.monotonic() > end:
                ended = False
                break
    except Exception:  # a body that breaks off: what came is still read
        _logger.debug("the requests body broke off after %d bytes", size, exc_info=True)
        response.close()
        return b"".join(chunks)[:cap], True
    finally:
        if sock is not None:
            _restore_timeout(sock, original)
    data = b"".join(chunks)
    if ended:
        # The whole body: keep it for the caller, as requests would have.
        response._content = data
        response._content_consumed = True
    else:
        response.close()
    return data[:cap], not ended


def _socket_of(response: Any) -> Any:
    """The socket under a streaming `requests` body, or None.

    urllib3's connection holds it; http.client lets go of it when the server will close the
    connection, and then only the response's socket file (`SocketIO`) still does.
    """
    raw = _attribute(response, "raw")
    sock = _attribute(_attribute(raw, "connection"), "sock")
    if sock is None:
        sock = _attribute(_attribute(_attribute(_attribute(raw, "_fp"), "fp"), "raw"), "_sock")
    if callable(_attribute(sock, "gettimeout")) and callable(_attribute(sock, "settimeout")):
        return sock
    return None


def _restore_timeout(sock: Any, original: float | None) -> None:
    try:
        sock.settimeout(original)
    except Exception:  # closed with the response: nothing to restore
        _logger.debug("could not restore the socket timeout", exc_info=True)


def _requests_chunks(
    response: Any, size: int, before_read: Callable[[], None] = lambda: None
) -> Iterator[bytes]:
    """Decoded chunks of at most `size` bytes, each as soon as it arrives.

    urllib3's `read1` returns what has arrived, so a body that breaks off still gives the bytes
    before the break (`iter_content` waits for a full chunk and loses them with the error).
    """
    read1 = getattr(response.raw, "read1", None)
    if not callable(read1):
        yield from response.iter_content(chunk_size=size)
        return
    while True:
        before_read()
        chunk = read1(size, decode_content=True)
        if not chunk:
            return
        yield chunk


# aiohttp --------------------------------------------------------------------------------------


async def _aiohttp_view(response: Any, cap: int, deadline: float | None) -> ResponseView:
    status = _attribute(response, "status")
    headers = _attribute(response, "headers")
    url = _aiohttp_url(response)
    body: bytes | None = None
    truncated = False
    try:
        read = _attribute(response, "_body")
        if isinstance(read, bytes):
            body = read
        elif not _leave_success_unread(status, headers or {}, cap):
            body, truncated = await _read_aiohttp(response, cap, deadline)
    except Exception:
        _logger.debug("could not read the aiohttp response", exc_info=True)
    return ResponseView(status, headers, body, url=url, cap=cap, truncated=truncated)


async def _read_aiohttp(response: Any, cap: int, deadline: float | None) -> tuple[bytes, bool]:
    """At most `cap` + 1 bytes; a read still in flight at `deadline` seconds is cancelled."""
    import anyio  # noqa: PLC0415 - httpx's own dependency; imported where it is needed

    content = response.content
    chunks: list[bytes] = []
    size = 0
    with anyio.move_on_after(math.inf if deadline is None else deadline):
        while size <= cap:
            try:
                chunk = await content.read(min(_CHUNK, cap + 1 - size))
            except Exception:  # a body that breaks off: what came is still read
                _logger.debug("the aiohttp body broke off after %d bytes", size, exc_info=True)
                break
            if not chunk:
                data = b"".join(chunks)
                response._body = data  # the whole body: `await response.read()` still gives it
                return data, False
            chunks.append(chunk)
            size += len(chunk)
    response.close()  # over the cap, broken off or past the deadline: the rest stays unread
    return b"".join(chunks)[:cap], True


def _aiohttp_url(obj: object) -> str | None:
    info = _attribute(obj, "request_info")
    url = _attribute(info, "real_url") or _attribute(obj, "url")
    return None if url is None else str(url)


def _aiohttp_error_view(exc: object, cap: int) -> ResponseView:
    """`ClientResponseError` (from `raise_for_status()`): status, headers and its message."""
    message = _attribute(exc, "message")
    body = _dumps({"error": {"message": message}}, cap) if isinstance(message, str) else None
    return ResponseView(
        _attribute(exc, "status"), _attribute(exc, "headers"), body, url=_aiohttp_url(exc), cap=cap
    )


# SDKs -----------------------------------------------------------------------------------------


def _sdk_view(exc: object, cap: int) -> ResponseView:
    """An SDK's `APIStatusError`: its response, which the SDK has read, with its headers."""
    return _response_view(_attribute(exc, "response"), exc, cap)


def _response_view(response: Any, exc: object, cap: int) -> ResponseView:
    """A response of httpx's API, read already (the SDKs read error bodies), with its headers.

    A body not read is not read here: the SDK's parsed `exc.body`, if any, stands in for it.
    """
    status = _attribute(response, "status_code") or _attribute(exc, "status_code")
    body: object = None
    try:
        body = response.content
    except Exception:  # noqa: BLE001 - not read (or no response): the SDK's parsed body
        parsed = _attribute(exc, "body")
        if isinstance(parsed, (dict, list)):
            body = _dumps(parsed, cap)
        elif isinstance(parsed, (str, bytes)):
            body = parsed
    return ResponseView(
        status, _attribute(response, "headers"), body, url=request_url(response), cap=cap
    )


class _Full(Exception):  # noqa: N818 - internal signal: the cap is reached
    pass


def _dumps(doc: object, cap: int) -> str | None:
    """`doc` as JSON (`default=str`), written no further than about `cap` characters.

    The exception holds its parsed body already: a copy of a huge one (a 32 MiB message) would
    double it, then be cut at the cap anyway. Strings are cut before they are encoded, so this
    costs the cap, not the document. A cut document is a prefix, read as a truncated body.
    """
    out: list[str] = []
    left = cap + 1

    def put(text: str) -> None:
        nonlocal left
        out.append(text)
        left -= len(text)
        if left <= 0:
            raise _Full

    def walk(value: object) -> None:
        if isinstance(value, Mapping):
            put("{")
            for index, (key, item) in enumerate(value.items()):
                put(", " if index else "")
                put(json.dumps(str(key)[:left]) + ": ")
                walk(item)
            put("}")
        elif isinstance(value, (list, tuple)):
            put("[")
            for index, item in enumerate(value):
                put(", " if index else "")
                walk(item)
            put("]")
        elif isinstance(value, str):
            put(json.dumps(value[:left]))
        elif value is None or isinstance(value, (bool, int, float)):
            put(json.dumps(value))
        else:
            put(json.dumps(str(value)[:left]))

    try:
        walk(doc)
    except _Full:
        pass
    except Exception:  # noqa: BLE001 - too deep (RecursionError), an int too long, a bad str()
        return None
    return "".join(out)


# botocore -------------------------------------------------------------------------------------


_AWS_ID_HEADERS: Final = frozenset({"x-amzn-requestid", "x-amz-request-id"})


def _botocore_view(exc: object, cap: int) -> ResponseView:
    """The `ClientError` of botocore: its parsed `response` as an AWS JSON error document."""
    parsed = _attribute(exc, "response")
    parsed = parsed if isinstance(parsed, Mapping) else {}
    error = parsed.get("Error")
    error = error if isinstance(error, Mapping) else {}
    meta = parsed.get("ResponseMetadata")
    meta = meta if isinstance(meta, Mapping) else {}
    raw_headers = meta.get("HTTPHeaders")
    headers = {
        str(name).lower(): str(value)
        for name, value in (raw_headers.items() if isinstance(raw_headers, Mapping) else ())
        if str(name).lower() not in ("content-type", "content-length", "content-encoding")
    }
    headers["content-type"] = "application/json"
    request_id = meta.get("RequestId")
    if isinstance(request_id, str) and request_id and not headers.keys() & _AWS_ID_HEADERS:
        headers["x-amzn-requestid"] = request_id
    doc: dict[str, object] = {}
    code = error.get("Code")
    if isinstance(code, str) and code:
        doc["__type"] = code
    message = error.get("Message")
    if isinstance(message, str) and message:
        doc["message"] = message
    body = _dumps(doc, cap) if doc else None
    return ResponseView(meta.get("HTTPStatusCode"), headers, body, cap=cap)


# google-api-core ------------------------------------------------------------------------------

_RPC_PREFIX: Final = "type.googleapis.com/"


def _google_view(exc: object, cap: int, deadline: float | None) -> ResponseView:
    """google-api-core's `GoogleAPICallError`: its HTTP response when it has one, else a Status."""
    response = _attribute(exc, "response")
    if _is(response, "requests", "Response"):
        view = _requests_view(response, cap, deadline)
        if view.body:
            return view
    status = _attribute(exc, "code")
    error: dict[str, object] = {}
    if coerce_status(status) is not None:
        error["code"] = status
    message = _attribute(exc, "message")
    if isinstance(message, str):
        error["message"] = message
    grpc_code = _attribute(_attribute(exc, "grpc_status_code"), "name")
    if isinstance(grpc_code, str):
        error["status"] = grpc_code
    details = [d for d in map(_detail, _attribute(exc, "details") or ()) if d is not None]
    if details:
        error["details"] = details
    headers = _attribute(response, "headers")
    return ResponseView(status, headers, _dumps({"error": error}, cap), url=_url(response), cap=cap)


def _detail(item: object) -> object:
    """A `google.rpc` detail as JSON: a dict as it is, a protobuf message converted."""
    if isinstance(item, Mapping):
        return dict(item)
    descriptor = _attribute(item, "DESCRIPTOR")
    full_name = _attribute(descriptor, "full_name")
    if not isinstance(full_name, str):
        return None
    try:
        json_format = importlib.import_module("google.protobuf.json_format")
        doc = json_format.MessageToDict(item)
    except Exception:  # noqa: BLE001
        return None
    return {"@type": _RPC_PREFIX + full_name, **doc}
