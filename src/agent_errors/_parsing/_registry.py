"""The adapter registry and format detection.

Detection order: an explicit `provider=` wins; then the request host (the built-in host map plus
hosts users register); then the highest `sniff()` score at or above `SNIFF_THRESHOLD` (the first
score at or above `SNIFF_CERTAIN` ends the search); then
`generic`, which always answers. The body's shape (`Shape`) is decided once, and only the
adapters whose `shapes` include it (or that declare no shapes, or claim the response's media
type in `media_types`) are sniffed, in registration order.

The host map says who the provider is; the body's shape says only which format it is in. A host
maps to an adapter (its format and its retry profile) or to a provider that has a retry profile
but shares a format with others (`api.anthropic.com` -> `anthropic`, `api.openai.com` ->
`openai`): its bodies are then read by whichever adapter their shape calls for, and the
transports still apply that provider's profile (`provider_for_host`). A host pattern is a name,
`*.example.com` (any subdomain), `*-aiplatform.googleapis.com` (any first label ending so) or
`bedrock-runtime.*.amazonaws.com` (any one label in the middle).

Built-in adapters live in `agent_errors.adapters`; third-party adapters are found through the
`agent_errors.adapters` entry-point group, loaded once, on first use.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
import warnings
from collections.abc import Mapping
from importlib.metadata import entry_points
from types import MappingProxyType, ModuleType
from typing import Any, Final

import attrs

from agent_errors.adapter_kit import Adapter, pack_of

from ._packs import ADAPTER_PROFILES, PROFILE_NAMES, PROFILE_PACKS, ProviderPack
from ._shapes import Shape, shape_of
from ._view import ResponseView

__all__ = [
    "BUILTIN_ADAPTERS",
    "ENTRY_POINT_GROUP",
    "PROVIDER_HOSTS",
    "SNIFF_CERTAIN",
    "SNIFF_THRESHOLD",
    "detect",
    "get_adapter",
    "provider_for_host",
    "provider_pack",
    "register_adapter",
    "register_host",
    "registered_adapters",
    "reload",
]

ENTRY_POINT_GROUP: Final = "agent_errors.adapters"
"""The entry-point group third-party adapters register under."""

SNIFF_CERTAIN: Final = 0.95
"""A sniff score that settles detection: the first adapter to reach it is chosen at once.

Only evidence no other format shares earns it (a media type, a documented code in the
provider's own envelope), so no later adapter could claim the body with better reason.
"""

SNIFF_THRESHOLD: Final = 0.5
"""The lowest sniff score that claims a body; below it, `generic` parses it."""

BUILTIN_ADAPTERS: Final = (
    "qoder",
    "onecli",
    "agentgate",
    "agents_sdk",
    "problem_details",
    "google_rpc",
    "canonical",
    "generic",
)

PROVIDER_HOSTS: Final[Mapping[str, str]] = MappingProxyType(
    # Hosts of providers whose errors come in a shared format (OpenAI's, Anthropic's): the
    # host names the retry profile (`RetryPolicy.for_provider`), sniffing finds the format.
    {host: pack.name for pack in PROFILE_PACKS.values() for host in pack.hosts}
)
"""Built-in hosts of providers that have a retry profile but no adapter of their own.

Google's hosts (Gemini, Vertex AI) belong to the `google_rpc` adapter, which is both their
format and their profile.
"""

_logger = logging.getLogger("agent_errors")


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.loaded = False
        self.adapters: dict[str, Adapter] = {}
        self.hosts: dict[str, str] = {}
        self.wildcards: dict[str, str] = {}
        self.sniffers: tuple[Adapter, ...] = ()
        self.generic: Adapter | None = None
        # Which sniffers can score a body, by its shape (sent as no registered media type) or
        # by (shape, media type): built from `sniffers` on first use of each key, dropped
        # whenever an adapter is added.
        self.by_shape: dict[Shape | tuple[Shape, str], tuple[Adapter, ...]] = {}
        self.media_types: frozenset[str] = frozenset()
        self.media_cache: dict[str, str] = {}

    def adopt(self, other: _Registry) -> None:
        self.adapters = other.adapters
        self.hosts = other.hosts
        self.wildcards = other.wildcards
        self.sniffers = other.sniffers
        self.generic = other.generic
        self.by_shape = other.by_shape
        self.media_types = other.media_types
        self.media_cache = other.media_cache
        self.loaded = other.loaded

    def sniffers_for(self, shape: Shape, media: str) -> tuple[Adapter, ...]:
        """The sniffers that can score a body of `shape` sent as `media`, in order."""
        key: Shape | tuple[Shape, str] = (shape, media) if media else shape
        table = self.by_shape  # before `sniffers`: `_add` replaces them in the other order
        found = table.get(key)
        if found is None:
            found = tuple(
                adapter
                for adapter in self.sniffers
                if _may_claim(adapter, shape) or media in _media_types(adapter)
            )
            table[key] = found
        return found

    def ensure_loaded(self) -> None:
        if self.loaded:
            return
        with self.lock:
            if self._loaded_by_other_thread():
                return
            for name in BUILTIN_ADAPTERS:
                module = importlib.import_module(f"agent_errors.adapters.{name}")
                self._add(_adapter_from(module, name), replace=True, builtin=True)
            for host, provider in PROVIDER_HOSTS.items():
                self._add_host(host, provider, builtin=True)
            self._load_entry_points()
            self.loaded = True

    def _loaded_by_other_thread(self) -> bool:
        return self.loaded

    def _load_entry_points(self) -> None:
        try:
            found = entry_points(group=ENTRY_POINT_GROUP)
        except Exception:
            _logger.exception("could not read the %s entry points", ENTRY_POINT_GROUP)
            return
        for ep in found:
            if ep.name in BUILTIN_ADAPTERS:
                warnings.warn(
                    f"entry point {ep.value!r} names the built-in adapter {ep.name!r}; ignored "
                    "(register it at run time with register_adapter(..., replace=True) instead)",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            try:
                # Invalid hosts and a name already taken are as broken as a failing import.
                self._add(_adapter_from(ep.load(), ep.name), replace=False, builtin=False)
            except Exception as exc:  # noqa: BLE001 - one broken plugin must not hide the others
                warnings.warn(
                    f"could not load adapter entry point {ep.name!r} ({ep.value}): {exc!r}",
                    RuntimeWarning,
                    stacklevel=2,
                )

    def _add(self, adapter: Adapter, *, replace: bool, builtin: bool) -> None:
        name = adapter.name
        if name in self.adapters and not replace:
            msg = f"an adapter named {name!r} is already registered (pass replace=True)"
            raise ValueError(msg)
        # Validate every host before changing anything: a bad one leaves no half-registration.
        hosts = [_host_key(host) for host in adapter.hosts]
        self.adapters[name] = adapter
        for wildcard, key in hosts:
            self._add_host_key(wildcard, key, name, builtin=builtin)
        if name == "generic":
            self.generic = adapter
        self.sniffers = tuple(a for n, a in self.adapters.items() if n != "generic")
        self.media_types = frozenset(m for a in self.sniffers for m in _media_types(a))
        self.media_cache = {}
        self.by_shape = {}

    def _add_host(self, host: str, provider: str, *, builtin: bool) -> None:
        wildcard, key = _host_key(host)
        self._add_host_key(wildcard, key, provider, builtin=builtin)

    def _add_host_key(self, wildcard: bool, key: str, provider: str, *, builtin: bool) -> None:
        table = self.wildcards if wildcard else self.hosts
        if builtin and key in table:
            return  # a user's mapping made before the built-ins loaded stays
        table[key] = provider

    def provider_for_host(self, host: str | None) -> str | None:
        """The provider a host belongs to: an exact name, then the most specific pattern."""
        if not host or len(host) > _MAX_HOST:
            return None  # not a DNS name; and each pattern lookup copies a suffix of it
        hosts = self.hosts
        name = hosts.get(host)
        if name is not None:
            return name
        dot = host.find(".")
        if dot <= 0:
            return None
        second = host.find(".", dot + 1)
        if second != -1:  # `label.*.domain`: any one label in the middle
            name = hosts.get(f"{host[:dot]}.*{host[second:]}")
            if name is not None:
                return name
        wildcards = self.wildcards
        if not wildcards:
            return None
        dash = host.rfind("-", 0, dot)
        if dash > 0:  # `*-suffix.domain`: a first label that ends so (a region prefix)
            name = wildcards.get(host[dash:])
            if name is not None:
                return name
        while dot != -1:  # `*.domain`, the longest domain first
            name = wildcards.get(host[dot:])
            if name is not None:
                return name
            dot = host.find(".", dot + 1)
        return None

    def for_host(self, host: str | None) -> Adapter | None:
        name = self.provider_for_host(host)
        if name is None:
            return None
        # A provider without an adapter of its own: its format is found by sniffing.
        return self.adapters.get(name)


_REGISTRY: Final = _Registry()


def _host_key(host: object) -> tuple[bool, str]:
    """(is a wildcard, lookup key) for a host name or `*.domain`; ValueError for anything else."""
    if not isinstance(host, str):
        msg = f"host must be a string, not {type(host).__name__}"
        raise TypeError(msg)
    text = host.strip().lower().rstrip(".")
    wildcard = text.startswith(("*.", "*-"))
    name = text[2:] if wildcard else text
    # `label.*.domain` keeps its star in the exact table; the rest is a host name.
    first, star, rest = name.partition(".*.")
    plain = f"{first}.{rest}" if star and not wildcard else name
    if not name or not _HOST_RE.fullmatch(plain) or (star and wildcard):
        msg = (
            f"{host!r} is not a host name: give it bare (api.example.com) or as a pattern "
            "(*.example.com, *-aiplatform.googleapis.com, bedrock-runtime.*.amazonaws.com), "
            "without a scheme, port or path"
        )
        raise ValueError(msg)
    return wildcard, (text[1:] if wildcard else name)


_MAX_HOST: Final = 253  # the longest DNS name (RFC 1035), without the trailing dot

# Letters, digits, hyphens, underscores and dots; IPv6 literals are matched without brackets,
# as `ResponseView.host` gives them.
# (Up to its first colon an IPv6 literal is hex digits only: the same set as "[0-9a-f:]*:", without
# two quantifiers competing for the colons.)
_HOST_RE: Final = re.compile(r"\A(?:[a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*|[0-9a-f]*:[0-9a-f:.]*)\Z")


_MEDIA_CACHE_SIZE: Final = 64


def _media_key(registry: _Registry, raw: str, view: ResponseView) -> str:
    """The registered media type a Content-Type value names, or "" (remembered per value)."""
    cache = registry.media_cache
    found = cache.get(raw)
    if found is None:
        found = view.content_type
        if found not in registry.media_types:
            found = ""
        if len(cache) >= _MEDIA_CACHE_SIZE:
            cache.clear()  # bounded: a peer can send any number of distinct values
        cache[raw] = found
    return found


def _may_claim(adapter: Adapter, shape: Shape) -> bool:
    shapes = getattr(adapter, "shapes", None)
    return shapes is None or shape in shapes


def _media_types(adapter: Adapter) -> frozenset[str]:
    found = getattr(adapter, "media_types", None)
    return frozenset() if found is None else frozenset(found)


def _shape_problems(obj: Any) -> list[str]:
    """What is wrong with an adapter's optional `shapes` and `media_types`."""
    problems: list[str] = []
    shapes = getattr(obj, "shapes", None)
    if shapes is not None and (
        isinstance(shapes, str)
        or not isinstance(shapes, (tuple, list, frozenset, set))
        or not all(isinstance(shape, Shape) for shape in shapes)
    ):
        problems.append("shapes must be a collection of adapter_kit.Shape members")
    media = getattr(obj, "media_types", None)
    if media is not None and (
        isinstance(media, str)
        or not isinstance(media, (tuple, list, frozenset, set))
        or not all(isinstance(m, str) and m == m.strip().lower() and m for m in media)
    ):
        problems.append("media_types must be a collection of lower-case media types")
    return problems


def _adapter_from(obj: Any, name: str) -> Adapter:
    """Accept a module (with ADAPTER), an adapter class, or an adapter instance.

    Raises:
        TypeError: `obj` does not provide an object that implements the `Adapter` protocol.
    """
    if isinstance(obj, ModuleType):
        obj = getattr(obj, "ADAPTER", None)
    if isinstance(obj, type):
        obj = obj()
    if obj is None or not isinstance(obj, Adapter):
        msg = f"{name!r} does not provide an adapter (name, hosts, codes, sniff, parse, render)"
        raise TypeError(msg)
    # The protocol check only sees that the attributes exist; check what they hold.
    found: Any = obj
    problems = [
        f"{method} must be callable"
        for method in ("sniff", "parse", "render")
        if not callable(getattr(found, method))
    ]
    if (
        not isinstance(found.name, str)
        or not found.name.strip()
        or found.name != found.name.strip()
    ):
        problems.append("name must be a non-empty string without surrounding spaces")
    if isinstance(found.hosts, str) or not isinstance(found.hosts, (tuple, list, frozenset, set)):
        problems.append("hosts must be a tuple of host names")
    if not isinstance(found.codes, Mapping):
        problems.append("codes must be a mapping of code to ErrorCode")
    problems += _shape_problems(found)
    if problems:
        msg = f"{name!r} is not a valid adapter: {'; '.join(problems)}"
        raise TypeError(msg)
    return obj


def get_adapter(name: str) -> Adapter:
    """Return the adapter registered as `name`.

    Raises:
        ValueError: No adapter has that name.
    """
    _REGISTRY.ensure_loaded()
    try:
        return _REGISTRY.adapters[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY.adapters))
        msg = f"unknown provider {name!r}; known providers: {known}"
        raise ValueError(msg) from None
    except TypeError:
        msg = f"provider must be a string, not {type(name).__name__}"
        raise TypeError(msg) from None


def registered_adapters() -> Mapping[str, Adapter]:
    """Return every registered adapter by name: the built-ins, entry points and run-time ones.

    Exported as `agent_errors.registered_adapters`: the name `agent_errors.adapters` belongs
    to the package of built-in adapter modules.
    """
    _REGISTRY.ensure_loaded()
    return dict(_REGISTRY.adapters)


adapters = registered_adapters


def register_adapter(adapter: object, *, replace: bool = False) -> Adapter:
    """Register an adapter (an instance, a class, or a module with `ADAPTER`) at run time.

    Its `hosts` join the host map. Returns the registered adapter.

    Raises:
        TypeError: `adapter` does not implement the `Adapter` protocol.
        ValueError: The name is taken and `replace` is False.
    """
    _REGISTRY.ensure_loaded()
    found = _adapter_from(adapter, repr(adapter))
    with _REGISTRY.lock:
        _REGISTRY._add(found, replace=replace, builtin=False)
    return found


def register_host(host: str, provider: str) -> None:
    """Map an API host (or a pattern: `*.example.com` for every subdomain) to a provider.

    `provider` is a registered adapter, or a provider with a retry profile but no adapter of its
    own (`openai`, `anthropic`, … from `RetryPolicy.for_provider`): then its bodies are read by
    the adapter their shape calls for, and the transports apply that provider's profile.

    Raises:
        ValueError: `provider` is neither registered nor a known profile, or `host` is empty.
    """
    if not (isinstance(provider, str) and provider in PROFILE_NAMES):
        get_adapter(provider)
    with _REGISTRY.lock:
        _REGISTRY._add_host(host, provider, builtin=False)


def reload() -> None:
    """Forget run-time registrations and load the built-in and entry-point adapters again.

    Entry points are read once, on first use; call this after installing a plugin in a running
    process (or between tests) to rescan them. Host mappings made with `register_host` and
    adapters added with `register_adapter` are dropped.
    """
    # Load into a fresh registry, then swap its tables in: threads normalizing meanwhile see
    # the old tables or the new ones, never empty ones.
    fresh = _Registry()
    fresh.ensure_loaded()
    with _REGISTRY.lock:
        _REGISTRY.adopt(fresh)


def generic_adapter() -> Adapter:
    """Return the `generic` adapter (always registered)."""
    _REGISTRY.ensure_loaded()
    assert _REGISTRY.generic is not None
    return _REGISTRY.generic


def provider_pack(name: object) -> ProviderPack | None:
    """Return the pack of the provider `name`, or None when no provider has that name.

    The providers with a profile but no adapter (`openai`, `anthropic`, ...) first, then the
    registered adapters (an adapter without a `pack` gets one made of its name, codes and
    hosts). A replacement for a built-in adapter that declares no retry profile keeps the
    built-in one. Never raises.
    """
    if not isinstance(name, str):
        return None
    found = PROFILE_PACKS.get(name)
    if found is not None:
        return found
    registry = _REGISTRY
    if not registry.loaded:
        registry.ensure_loaded()
    adapter = registry.adapters.get(name)
    if adapter is None:
        return None
    pack = pack_of(adapter)
    if pack.retry is None and name in ADAPTER_PROFILES:
        builtin = importlib.import_module(f"agent_errors.adapters.{name}")
        return attrs.evolve(pack, retry=builtin.PACK.retry)
    return pack


def provider_for_host(host: str | None) -> str | None:
    """Return the provider the host map names for `host`, or None when it names none.

    The answer is an adapter name (`qoder`, `google_rpc`) or a provider with a retry profile
    and no adapter of its own (`openai`, `anthropic`, `bedrock`); pass it to
    `RetryPolicy.for_provider` for the profile the transports would apply. Host names are
    compared case-insensitively, without a trailing dot. Never raises.
    """
    registry = _REGISTRY
    if not registry.loaded:
        registry.ensure_loaded()
    if not isinstance(host, str) or not host:
        return None
    return registry.provider_for_host(host.lower().rstrip("."))


def detect(view: ResponseView, provider: str | None = None) -> Adapter:
    """Return the adapter for `view`: `provider`, then the host, then sniffing, then generic.

    Raises:
        ValueError: `provider` names no registered adapter.
    """
    registry = _REGISTRY
    if not registry.loaded:
        registry.ensure_loaded()
    if provider is not None:
        return get_adapter(provider)
    if view.has_url:
        found = registry.for_host(view.host)
        if found is not None:
            return found
    best: Adapter | None = None
    best_score = SNIFF_THRESHOLD
    if view.body:
        shape = shape_of(view.json)
        media: str | None = ""
        if registry.media_types:
            raw = view.headers.lowered.get("content-type")
            if raw:
                media = registry.media_cache.get(raw)
                if media is None:
                    media = _media_key(registry, raw, view)
        assert media is not None  # for mypy: a cache miss is filled in above
        candidates = None if media else registry.by_shape.get(shape)
        if candidates is None:
            candidates = registry.sniffers_for(shape, media)
        for adapter in candidates:
            try:
                score = adapter.sniff(view)
            except Exception:
                _logger.debug("sniff of %s raised", adapter.name, exc_info=True)
                continue
            if score >= best_score and (best is None or score > best_score):
                best, best_score = adapter, score
                if score >= SNIFF_CERTAIN:
                    break
    if best is not None:
        return best
    assert registry.generic is not None
    return registry.generic
