"""The fast paths taken for speed give what the general paths give (issue 10, item 11)."""

from __future__ import annotations

import httpx
from hypothesis import given
from hypothesis import strategies as st

from agent_errors._view import Headers, ResponseView

_names = st.sampled_from(["content-type", "X-Request-ID", " retry-after ", "", "a", "A"])
_values = st.text(alphabet=" \t,abc019;=", max_size=8)


@given(st.lists(st.tuples(_names, _values), max_size=8))
def test_headers_from_pairs_match_the_general_path(pairs: list[tuple[str, str]]) -> None:
    general = Headers(iter(pairs))  # a generator takes the general path
    assert Headers(pairs).lowered == general.lowered
    assert Headers(tuple(pairs)).lowered == general.lowered


def test_headers_from_pairs_with_other_items_take_the_general_path() -> None:
    raw = [("a", "1"), (b"B", b" 2 "), ["c", "3"], ("broken",), ("a", 4)]
    assert Headers(raw).lowered == {"a": "1, 4", "b": "2", "c": "3"}
    assert Headers(None).lowered == {}
    assert Headers([]).lowered == {}


def test_httpx_headers_with_and_without_repeats() -> None:
    plain = httpx.Headers({"Content-Type": "application/json", "X-Request-Id": "req_1"})
    assert Headers(plain).lowered == {"content-type": "application/json", "x-request-id": "req_1"}
    repeated = httpx.Headers([("Vary", "a"), ("vary", "b"), ("X", "1")])
    assert Headers(repeated).lowered == {"vary": "a, b", "x": "1"}


def test_a_views_url_is_made_when_read() -> None:
    request = httpx.Request("GET", "https://API.example.com:8443/v1/x?q=1")
    response = httpx.Response(429, content=b"{}", request=request)
    view = ResponseView.from_response(response)
    assert view.has_url
    assert view.host == "api.example.com"
    assert view.url == str(request.url)
    view.url = "https://other.example.org/"
    assert view.url == "https://other.example.org/"
    assert view.host == "other.example.org"
    view.url = None
    assert not view.has_url
    assert view.host is None


def test_a_view_of_a_response_without_a_request_has_no_url() -> None:
    view = ResponseView.from_response(httpx.Response(500, content=b"{}"))
    assert not view.has_url
    assert view.url is None
    assert view.host is None
    assert ResponseView(500, url="api.example.com/v1").host == "api.example.com"
