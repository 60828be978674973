"""normalize() on botocore's ClientError and google-api-core's GoogleAPICallError.

botocore: a real client (fake credentials, its retries off) against a loopback server that answers
as AWS does. google-api-core: `from_http_response` on a requests response from the server, and
`from_http_status` for an error built without one.
"""

from __future__ import annotations

import json

import botocore.config
import botocore.exceptions
import botocore.session
import pytest
import requests
from google.api_core import exceptions as google_exceptions

import agent_errors as ae
from agent_errors import Kind


def _dynamodb(url: str) -> object:
    session = botocore.session.get_session()
    return session.create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=2),
    )


def test_botocore_client_error_from_a_real_client(loopback):
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
            "message": "Rate of requests exceeds the allowed throughput.",
        }
    ).encode()
    headers = [
        ("content-type", "application/x-amz-json-1.0"),
        ("x-amzn-RequestId", "REQ-DDB-1"),
        ("retry-after", "5"),
    ]
    loopback.route("/", 400, headers, body)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        _dynamodb(loopback.url).list_tables()  # type: ignore[attr-defined]
    error = ae.normalize(caught.value)
    assert error is not None
    assert (error.kind, error.status, error.code) == (Kind.RATE_LIMITED, 400, "ThrottlingException")
    assert error.retry_after == 5.0
    assert error.request_id == "REQ-DDB-1"
    assert "allowed throughput" in error.message


def test_botocore_client_error_built_as_botocore_does():
    parsed = {
        "Error": {"Code": "AccessDeniedException", "Message": "not allowed"},
        "ResponseMetadata": {"HTTPStatusCode": 403, "HTTPHeaders": {}, "RequestId": "R-403"},
    }
    error = ae.normalize(botocore.exceptions.ClientError(parsed, "ListTables"))
    assert error is not None
    assert (error.kind, error.status, error.request_id) == (Kind.PERMISSION, 403, "R-403")


def test_botocore_endpoint_connection_error(closed_port):
    with pytest.raises(botocore.exceptions.EndpointConnectionError) as caught:
        _dynamodb(f"http://127.0.0.1:{closed_port}").list_tables()  # type: ignore[attr-defined]
    error = ae.error_from_exception(caught.value)
    assert (error.kind, error.details["request_sent"], error.retryable) == (
        Kind.NETWORK,
        False,
        True,
    )


GOOGLE_BODY = json.dumps(
    {
        "error": {
            "code": 429,
            "message": "Quota exceeded",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"},
                {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": "g-req-1"},
            ],
        }
    }
).encode()


def test_google_error_from_an_http_response(loopback):
    url = loopback.route("/v1/models", 429, [("content-type", "application/json")], GOOGLE_BODY)
    exc = google_exceptions.from_http_response(requests.get(url, timeout=5))
    assert isinstance(exc, google_exceptions.TooManyRequests)
    error = ae.normalize(exc)
    assert error is not None
    assert (error.kind, error.status, error.retry_after) == (Kind.RATE_LIMITED, 429, 12.0)
    assert error.request_id == "g-req-1"


def test_google_error_without_a_response():
    details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "4s"}]
    exc = google_exceptions.from_http_status(503, "backend unavailable", details=details)
    error = ae.normalize(exc)
    assert error is not None
    assert (error.kind, error.status, error.retry_after) == (Kind.UNAVAILABLE, 503, 4.0)
    assert "backend unavailable" in error.message
