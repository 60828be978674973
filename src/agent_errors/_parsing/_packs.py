"""Provider packs: everything about one provider as one declared value.

A `ProviderPack` holds a provider's code table, the code it sends for each kind, its retry
profile and its hosts. Each adapter module declares one (`PACK`); `render`, the testing
factories, the docs' provider matrix, the host map and `RetryPolicy.for_provider` all read it.
The providers that have a retry profile and hosts but no adapter of their own (their errors come
in a shared format) are declared here, in `PROFILE_PACKS`.

Imports only `_model` (and `attrs`): the retry engine reads the profiles without loading the
parsing machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import attrs

from agent_errors._core._model import Kind, kind_for_status

if TYPE_CHECKING:
    from agent_errors.adapter_kit import ErrorCode

__all__ = ["ADAPTER_PROFILES", "PROFILE_NAMES", "PROFILE_PACKS", "ProviderPack"]


def _frozen(value: Mapping[Any, Any] | None) -> Mapping[Any, Any]:
    if isinstance(value, MappingProxyType):
        return value
    return MappingProxyType(dict(value or {}))


def _frozen_or_none(value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if value is None else _frozen(value)


def _hosts(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        msg = f"hosts must be a tuple of host names, not the string {value!r}"
        raise TypeError(msg)
    return tuple(value)  # type: ignore[arg-type]


@attrs.frozen
class ProviderPack:
    """Everything about one provider, declared in one place (an adapter module's `PACK`).

    `render`, `agent_errors.testing.error_response`, the docs' provider matrix, the host map and
    `RetryPolicy.for_provider` read the pack, so none of them can disagree with another. A
    third-party adapter ships one as its `pack` attribute.

    Attributes:
        name: The provider's name (`CanonicalError.provider`, the adapter's name).
        codes: The code table, `{code: ErrorCode}`: the provider's documentation as data.
        render_codes: For each kind, the code the provider sends for it: what `render` writes
            when the error's own code is not one of the provider's codes for its kind. A kind
            missing here falls back to the table's row at the kind's usual status.
        retry: Keyword arguments of `RetryPolicy` that follow the provider's documented retry
            guidance (`RetryPolicy.for_provider(name)` builds it); None: the default policy.
        hosts: API hosts that certainly speak this provider (`*.example.com` patterns too).
        too_large_at_413: Whether the provider's reader takes a throttle's code at status 413
            for a request too large (invalid_request). Only then does `code_to_write` keep such
            a code on an invalid_request error at 413; any other reader would read it back as
            rate_limited, and retryable.
    """

    name: str
    codes: Mapping[str, ErrorCode] = attrs.field(factory=dict, converter=_frozen)
    render_codes: Mapping[Kind, str] = attrs.field(factory=dict, converter=_frozen)
    retry: Mapping[str, Any] | None = attrs.field(default=None, converter=_frozen_or_none)
    hosts: tuple[str, ...] = attrs.field(default=(), converter=_hosts)
    too_large_at_413: bool = False

    def code_for(self, kind: Kind) -> str | None:
        """Return the code the provider sends for `kind`, or None when it documents none."""
        code = self.render_codes.get(kind)
        if code is not None:
            return code
        row = self.row_for(kind)
        return None if row is None else row.code

    def row_for(self, kind: Kind) -> ErrorCode | None:
        """Return the row of the code table the provider would most likely send for `kind`.

        The row of `render_codes[kind]` when the table maps it to `kind`; else a row whose
        status is the kind's usual status; among equals, the table's order decides. A row that
        overrides the kind's retryability (gRPC's `UNKNOWN`, an internal error never retried)
        is chosen only when no row behaves like the kind. Returns None when no row has the kind.
        """
        named = self.codes.get(self.render_codes.get(kind, ""))
        if named is not None and named.kind is kind:
            return named
        rows = [row for row in self.codes.values() if row.kind is kind]
        typical = [row for row in rows if row.is_retryable is kind.retryable]
        rows = typical or rows
        for row in rows:
            if row.status is not None and row.status == kind.default_status:
                return row
        return rows[0] if rows else None

    def code_to_write(self, code: str | None, kind: Kind, status: int | None = None) -> str | None:
        """Return the code to render for an error of `kind` that carries `code`.

        `code` itself when the table maps it to `kind`; otherwise (a foreign code such as
        another provider's `rate_limit_exceeded`, or none) the provider's code for `kind`. When
        that code is not in the table as `kind` (or there is none), a reader gets its kind from
        `status` (the status the rendered response carries): then the code of that kind, so a
        second render writes what the first did. None when there is no code at all (the format
        then decides what to write).
        """
        if code is not None:
            row = self.codes.get(code)
            if row is not None and (
                row.kind is kind
                or (
                    self.too_large_at_413
                    and status == 413
                    and kind is Kind.INVALID_REQUEST
                    and row.kind is Kind.RATE_LIMITED
                )
            ):
                # At 413 a throttle's code stands for a request too large when the reader turns
                # it into invalid_request: it is kept, so a second render writes what the first
                # did. Any other code would read back as its own kind.
                return code
        found = self.code_for(kind)
        row = None if found is None else self.codes.get(found)
        if status is not None and (row is None or row.kind is not kind):
            # Not a code that reads back as `kind` by itself: the status will decide.
            by_status = kind_for_status(status)
            if by_status is not kind:
                found = self.code_for(by_status) or found
        return found


# The official SDKs of OpenAI, Anthropic, Groq, Together and xAI's OpenAI-compatible API (all
# generated by Stainless) retry 2 times, 0.5 s doubling to at most 8 s, each wait cut by up to
# 25 %; they honour retry-after-ms / Retry-After up to 60 s and `x-should-retry`. Their retry of
# 409 is not followed (conflict is a state, not a moment: docs/retries.md).
_STAINLESS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "max_retries": 2,
        "initial_delay": 0.5,
        "multiplier": 2.0,
        "max_delay": 8.0,
        "jitter": "proportional",
        "jitter_fraction": 0.25,
        "max_server_delay": 60.0,
    }
)
# openai-python: a server delay is honoured up to two minutes (MAX_RETRY_AFTER_DELAY), and above
# it the SDK does not retry at all, as `server_delay_too_long` here.
_OPENAI: Final[Mapping[str, Any]] = MappingProxyType({**_STAINLESS, "max_server_delay": 120.0})
# error.code as the OpenAI API documents it for each kind (error-codes guide): what the `openai`
# dialect of `render` writes. No code for invalid_request and unknown (`code: null`).
_OPENAI_CODES: Final[Mapping[Kind, str]] = MappingProxyType(
    {
        Kind.AUTHENTICATION: "invalid_api_key",
        Kind.PERMISSION: "unsupported_country_region_territory",
        Kind.NOT_FOUND: "not_found",
        Kind.CONFLICT: "conflict",
        Kind.PAYMENT_REQUIRED: "insufficient_quota",
        Kind.RATE_LIMITED: "rate_limit_exceeded",
        Kind.CONCURRENCY_LIMITED: "rate_limit_exceeded",
        Kind.FEATURE_NOT_AVAILABLE: "feature_not_available",
        Kind.TIMEOUT: "timeout",
        Kind.UNAVAILABLE: "engine_overloaded",
        Kind.INTERNAL: "server_error",
        Kind.NETWORK: "upstream_unreachable",
        Kind.CANCELLED: "cancelled",
        Kind.RUN_FAILED: "run_failed",
    }
)
# error.type as the Anthropic API documents it for each kind (errors page): what the
# `anthropic` dialect of `render` writes.
_ANTHROPIC_TYPES: Final[Mapping[Kind, str]] = MappingProxyType(
    {
        Kind.INVALID_REQUEST: "invalid_request_error",
        Kind.AUTHENTICATION: "authentication_error",
        Kind.PERMISSION: "permission_error",
        Kind.NOT_FOUND: "not_found_error",
        Kind.CONFLICT: "invalid_request_error",
        Kind.PAYMENT_REQUIRED: "billing_error",
        Kind.RATE_LIMITED: "rate_limit_error",
        Kind.CONCURRENCY_LIMITED: "rate_limit_error",
        Kind.FEATURE_NOT_AVAILABLE: "invalid_request_error",
        Kind.TIMEOUT: "timeout_error",
        Kind.UNAVAILABLE: "overloaded_error",
        Kind.INTERNAL: "api_error",
        Kind.NETWORK: "api_error",
        Kind.CANCELLED: "invalid_request_error",
        Kind.RUN_FAILED: "api_error",
        Kind.UNKNOWN: "api_error",
    }
)
# botocore's standard mode: 3 attempts, delay rand() * min(2 ** (attempt - 1), 20) s, the
# throttling codes retried at the throttle price of the budget, x-amz-retry-after honoured.
_AWS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "max_retries": 2,
        "initial_delay": 1.0,
        "multiplier": 2.0,
        "max_delay": 20.0,
        "jitter": "full",
        "max_server_delay": 60.0,
    }
)

PROFILE_PACKS: Final[Mapping[str, ProviderPack]] = MappingProxyType(
    {
        pack.name: pack
        for pack in (
            ProviderPack(
                "openai", render_codes=_OPENAI_CODES, retry=_OPENAI, hosts=("api.openai.com",)
            ),
            # Azure OpenAI: the openai SDK's AzureOpenAI client; its 429s name the wait in
            # retry-after-ms / Retry-After (a token quota's window is a minute).
            ProviderPack(
                "azure_openai",
                render_codes=_OPENAI_CODES,
                retry=_OPENAI,
                hosts=("*.openai.azure.com",),
            ),
            ProviderPack(
                "anthropic",
                render_codes=_ANTHROPIC_TYPES,
                retry=_STAINLESS,
                hosts=("api.anthropic.com",),
            ),
            ProviderPack(
                "bedrock",
                retry=_AWS,
                hosts=("bedrock-runtime.*.amazonaws.com", "bedrock-runtime-fips.*.amazonaws.com"),
            ),
            ProviderPack("aws", retry=_AWS, hosts=("*.amazonaws.com",)),
            # Mistral's SDK (Speakeasy): backoff from 0.5 s, exponent 1.5, intervals up to 60 s,
            # on 429 and 5xx.
            ProviderPack(
                "mistral",
                retry={
                    "max_retries": 4,
                    "initial_delay": 0.5,
                    "multiplier": 1.5,
                    "max_delay": 60.0,
                    "jitter": "equal",
                    "max_server_delay": 120.0,
                },
                hosts=("api.mistral.ai",),
            ),
            ProviderPack("groq", retry=_STAINLESS, hosts=("api.groq.com",)),
            # OpenRouter: 402 (credits) and 403 (moderation) are final; 408, 429, 502 (the
            # model's provider is down) and 503 (no provider can serve it) clear by waiting.
            # Clients use the OpenAI SDK and its schedule.
            ProviderPack("openrouter", retry=_STAINLESS, hosts=("openrouter.ai",)),
            ProviderPack(
                "together", retry=_STAINLESS, hosts=("api.together.xyz", "api.together.ai")
            ),
            ProviderPack("deepseek", retry=_STAINLESS, hosts=("api.deepseek.com",)),
            ProviderPack("xai", retry=_STAINLESS, hosts=("api.x.ai",)),
        )
    }
)
"""Packs of providers with a retry profile and hosts but no adapter: their errors come in a
shared format (OpenAI's, Anthropic's, AWS's), read by whichever adapter the shape calls for."""

ADAPTER_PROFILES: Final = ("qoder", "onecli", "agentgate", "agents_sdk", "google_rpc")
"""The built-in adapters whose pack has a retry profile (a test checks this against the packs)."""

PROFILE_NAMES: Final = frozenset(ADAPTER_PROFILES) | frozenset(PROFILE_PACKS)
"""Every provider name `RetryPolicy.for_provider` has a built-in profile for."""
