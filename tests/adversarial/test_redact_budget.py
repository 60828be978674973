"""Redaction's cost bound, attacked: decoys by the thousand never let a secret through.

`_redact_all` tries each start once per rule and examines at most `_BUDGET` anchors and
candidates per text; past that, the rest of the text is replaced whole. These tests prove that
(1) a secret placed after 10,000 decoys of every kind is still redacted, (2) the once-per-rule
scan gives exactly the answer of a scan that tries every candidate at every anchor (a reference
kept here, checked on generated text), and (3) text below the budget is left as it was.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_errors._core import _redact
from agent_errors._core._redact import REDACTED, redact

DECOYS = {
    "field pairs": "password: token= key:",
    "dense anchors": "password: token= key: Bearer sk- ghp_ ",
    "bare key": "key=",
    "query": "?key=&",
    "sig words": " sig",
    "short values": "api_key=a ",
    "schemes": "Bearer Token ",
    "weak prefixes": "key-abcdef ",
    "quoted": '"password": "',
}
SECRETS = {
    "openai": ("sk-proj-Xy9kLm2Qp8Rt4Vw6Zb1Nc3Df5Gh7Jk0", "Xy9kLm2Qp8Rt4Vw6Zb1N"),
    "github": ("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", "wWPw5k4aXcaT4fNP0Ucn"),
    "password pair": ("password=Tr0ub4dor3x", "Tr0ub4dor3x"),
    "bearer": ("Authorization: Bearer 7f3a9c2e1b8d4f6a0c5e", "7f3a9c2e1b8d4f6a0c5e"),
    "url query": ("https://api.example.com/v1?key=AIzaSyA1b2C3d4E5f6G7h8", "A1b2C3d4E5f6G7h8"),
}


@pytest.mark.parametrize("decoy", DECOYS)
@pytest.mark.parametrize("secret", SECRETS)
def test_a_secret_after_10000_decoys_is_redacted(decoy: str, secret: str) -> None:
    text, core = SECRETS[secret]
    for joined in (
        DECOYS[decoy] * 10_000 + " " + text + " end",
        DECOYS[decoy] * 10_000 + "\n" + text,
        text + " " + DECOYS[decoy] * 10_000,
        DECOYS[decoy] * 5_000 + " " + text + " " + DECOYS[decoy] * 5_000,
    ):
        out = redact(joined)
        assert core not in out
        assert REDACTED in out
        assert core not in redact(out)


def test_past_the_budget_the_decided_text_is_kept_and_the_rest_replaced() -> None:
    decoys = "password: token= key:" * 10_000
    text = "Invalid request: " + decoys
    out = redact(text)
    assert out.startswith("Invalid request: password: token= key:")
    assert out.endswith(REDACTED)
    # The kept part is the text as it was: nothing was decided wrongly before the bound.
    assert text.startswith(out[: -len(REDACTED)])
    # 20,000 characters at most are kept of 210,000: the bound is on anchors, not on length.
    assert 1_000 < len(out) < 20_000


def test_below_the_budget_text_dense_with_rejected_candidates_is_unchanged() -> None:
    # 400 anchor words (none a credential): an unusually long ordinary message, 4 KiB.
    text = "; ".join(f"max_tokens: {i} token key password reset" for i in range(100))
    assert redact(text) == text
    # The bound counts anchors and the candidates tried at them: 2,048 in all.
    assert _redact._BUDGET == 2048


def _reference(text: str, lowered: str) -> str:
    """Every candidate at every anchor, each start tried from every anchor that reaches it."""
    out: list[str] = []
    pos = 0
    tried = 0
    for anchor in _redact._PRECHECK_RE.finditer(lowered):
        where = anchor.start()
        if where < pos:
            continue
        word = anchor.group()
        at = _redact._AT.get(word)
        candidates = []
        if at is not None:
            before = lowered[where - 1] if where else ""
            if before in "?&;":
                candidates.append((where - 1, at))
            if before not in _redact._GLUE or word in _redact._GLUED_HEADS:
                candidates.append((where, at))
        reaching = _redact._REACHING.get(word)
        if reaching is not None and (
            word not in _redact._ENDS
            or lowered[anchor.end() : anchor.end() + 1] in _redact._NAME_ENDS
        ):
            first = max(pos, tried, where - _redact._HEAD_REACH)
            starts = _redact._START_RE.finditer(text, first, where)
            candidates[:0] = [(m.start(), reaching) for m in starts]
            tried = where
        for start, pattern in candidates:
            if start < pos or start < 0:
                continue
            match = pattern.match(text, start)
            if match is None:
                continue
            replaced = _redact._replacement(text, match)
            if replaced is not None:
                head, end = replaced
                out.extend((text[pos:start], head, REDACTED))
                pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


PIECES = [
    "password",
    "token",
    "key",
    "sig",
    "secret",
    "api_",
    "x-",
    "client_",
    "Bearer",
    "Basic",
    "sk-",
    "key-",
    "?",
    "&",
    ";",
    "=",
    ":",
    " ",
    "\t",
    '"',
    "'",
    "-",
    "_",
    ".",
    "://",
    "u:p@",
    "https",
    "a1B2c3D4e5",
    "Tr0ub4dor3x",
    "abcdefgh",
    "7f3a9c2e1b8d4f6a0c5e",
    "ghp_wWPw5k4aXcaT4fNP0UcnZw",
    "-----BEGIN PRIVATE KEY-----",
    "signature",
    "credentials",
    "Authorization",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_the_once_per_rule_scan_gives_the_reference_answer(pieces: list[str]) -> None:
    text = "".join(pieces)
    lowered = _redact._lower_same_length(text)
    assert _redact._redact_all(text, lowered) == _reference(text, lowered)


def test_the_reference_is_not_trivial() -> None:
    text = "x-api-key: a1B2c3D4e5f6 and ?key=abc&sig=Tr0ub4dor3x"
    lowered = _redact._lower_same_length(text)
    expected = "x-api-key: " + REDACTED + " and ?key=" + REDACTED + "&sig=" + REDACTED
    assert _reference(text, lowered) == expected
    assert re.search("a1B2c3D4|Tr0ub4dor3x", _redact._redact_all(text, lowered)) is None


def test_the_pre_check_finds_every_anchor_word() -> None:
    # `sk-`/`pt-` need the six key characters after them, `://` a `user:pass@`: on their own
    # no rule can match them, so the pre-check may let them by.
    needs_more = {"sk-", "pt-", "://"}
    for token in _redact._ANCHORS:
        word = token.decode("latin-1")
        assert (_redact._FAST_RE.search(word) is not None) is (word not in needs_more), word
    for word in (
        "sk-abcdef",
        "pt-123456",
        "https://u:p@host",
        "sk" + "0" * 32,
        "a.abcdef." + "b" * 27,
    ):
        assert _redact._maybe_secret(word), word
    assert not _redact._maybe_secret("gpt-4 at https://api.example.com:8443/v1 in org-abc")


EXTRA = ["gpt", "sk", "ac", "0123456789abcdef", "@", "/", "pt-4", "\u200b", "u:p@h"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*PIECES, *EXTRA]), max_size=30))
def test_the_pre_check_never_hides_a_secret(pieces: list[str]) -> None:
    text = "".join(pieces)
    visible = _redact._INVISIBLE_RE.sub("", text)
    full = _redact._redact_all(visible, _redact._lower_same_length(visible))
    assert redact(text) == (text if full is visible else full)
