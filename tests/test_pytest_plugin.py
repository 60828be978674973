"""The pytest plugin (`fake_provider`, `no_wait`, marker `agent_errors`), run through pytester."""

from __future__ import annotations

import subprocess
import sys

import pytest

import agent_errors as ae

pytest_plugins = ["pytester"]


def test_plugin_is_loaded_through_its_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_loaded(request):
            plugin = request.config.pluginmanager.get_plugin("agent_errors")
            assert plugin.__name__ == "agent_errors.pytest_plugin"
        """
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.agent_errors(provider='generic', script=()*"])


def test_fake_provider_scripted_by_the_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest
        from agent_errors.testing import assert_error, error_response

        pytestmark = pytest.mark.agent_errors(provider="qoder", script=[500])

        def test_module_marker(fake_provider):
            assert fake_provider.provider == "qoder"
            with httpx.Client(transport=fake_provider) as client:
                assert_error(client.get("https://api.qoder.com/"), kind="internal")
            fake_provider.assert_exhausted()

        @pytest.mark.agent_errors(
            script=[error_response("qoder", "rate_limited", retry_after=2), 503, 200]
        )
        def test_function_marker_overrides(fake_provider):
            with httpx.Client(transport=fake_provider) as client:
                responses = [client.get("https://api.qoder.com/") for _ in range(3)]
            assert_error(responses[0], kind="rate_limited", retry_after=2.0, provider="qoder")
            assert_error(responses[1], kind="unavailable", status=503)
            assert responses[2].status_code == 200
            assert fake_provider.calls == 3
        """
    )
    pytester.runpytest("--strict-markers", "-W", "error").assert_outcomes(passed=2)


def test_fake_provider_without_a_marker_is_empty(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_empty(fake_provider):
            assert fake_provider.provider == "generic"
            assert fake_provider.remaining == 0
            fake_provider.add(404)
            with httpx.Client(transport=fake_provider) as client:
                assert client.get("https://example.test/").status_code == 404
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('agent_errors("qoder")', "keyword arguments only"),
        ("agent_errors(providr='qoder')", "unknown argument(s) providr"),
    ],
)
def test_marker_misuse_is_a_usage_error(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.{marker}
        def test_bad(fake_provider):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*{message}*"])


def test_assert_error_failure_names_the_fields_and_is_rewritten(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import agent_errors.testing
        from agent_errors.testing import assert_error, error_response

        def test_rewritten():
            loader = agent_errors.testing.__loader__
            assert type(loader).__name__ == "AssertionRewritingHook"

        def test_mismatch():
            assert_error(error_response("qoder", "rate_limited"), kind="unavailable")
        """
    )
    # A subprocess, so that agent_errors.testing is imported fresh under the rewriting hook.
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the error does not match (1 field differs):",
            "*kind: expected 'unavailable', got 'rate_limited'",
        ]
    )
    # The helper's own frame is hidden: the traceback points at the test's line.
    assert "def assert_error" not in result.stdout.str()


def test_plugin_import_is_light() -> None:
    # Beyond pytest and the package itself, loading the plugin imports nothing at all.
    code = (
        "import sys, pytest, agent_errors\n"
        "before = set(sys.modules)\n"
        "import agent_errors.pytest_plugin\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['agent_errors.pytest_plugin']"


def test_no_wait_turns_testing_mode_on_for_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        import agent_errors as ae

        def test_on(no_wait):
            assert ae.is_testing()

        def test_off_again():
            assert not ae.is_testing()

        @pytest.mark.agent_errors(attempts=2)
        def test_attempts(no_wait):
            assert ae.is_testing()
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)
    assert not ae.is_testing()


def test_no_wait_with_a_retry_transport_retries_at_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest
        import agent_errors as ae

        def forbid_sleep(seconds):
            raise AssertionError(f"slept {seconds}")

        @pytest.mark.agent_errors(provider="qoder", script=[429, 503, 200])
        def test_retries(fake_provider, no_wait):
            transport = ae.RetryTransport(fake_provider, provider="qoder", sleep=forbid_sleep)
            with httpx.Client(transport=transport) as client:
                assert client.get("https://api.qoder.com/api/v1/cloud/agents").status_code == 200
            assert fake_provider.calls == 3

        @pytest.mark.agent_errors(provider="qoder", script=[503, 503, 503, 200], attempts=2)
        def test_attempt_cap(fake_provider, no_wait):
            transport = ae.RetryTransport(fake_provider, provider="qoder", sleep=forbid_sleep)
            with httpx.Client(transport=transport) as client:
                assert client.get("https://api.qoder.com/api/v1/cloud/agents").status_code == 503
            assert fake_provider.calls == 2
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


@pytest.mark.parametrize(
    "statement",
    [
        "import hypothesis",  # loads our hypothesis entry point
        "import pytest; import agent_errors.pytest_plugin",
        "import agent_errors",
    ],
)
def test_the_plugins_do_not_import_the_library(statement: str) -> None:
    # Loading a plugin or the package imports none of httpx, cattrs or the core modules:
    # they come with the first name used.
    code = (
        f"import sys; {statement}\n"
        "heavy = ('httpx', 'cattrs',\n"
        "         'agent_errors._parsing._normalize',\n"
        "         'agent_errors._serving._transport')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_names_resolve_on_first_use() -> None:
    code = (
        "import importlib, sys, agent_errors as ae\n"
        "assert 'httpx' not in sys.modules\n"
        "module = importlib.import_module('agent_errors._parsing._normalize')\n"
        "assert ae.normalize is module.normalize\n"
        "assert 'httpx' in sys.modules\n"
        "assert set(ae.__all__) <= set(dir(ae))\n"
        "print(ae.adapters.__name__, ae.testing.__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["agent_errors.adapters", "agent_errors.testing"]
