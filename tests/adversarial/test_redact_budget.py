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


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*PIECES, "gpt", "sk", "ac", "0123456789abcdef", "@", "/", "pt-4", "\u200b"]
        ),
        max_size=30,
    )
)
def test_the_pre_check_never_hides_a_secret(pieces: list[str]) -> None:
    text = "".join(pieces)
    if _redact._INVISIBLE_RE.search(text) is not None:
        visible = _redact._INVISIBLE_RE.sub("", text)
        full = _redact._redact_all(visible, _redact._lower_same_length(visible))
        assert redact(text) == (text if full is visible else full)
    else:
        assert redact(text) == _redact._redact_all(text, _redact._lower_same_length(text))
