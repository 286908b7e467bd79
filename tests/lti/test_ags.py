"""The AGS client against canned answers: paged line item containers, filters the platform ignores, bad bodies."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from app.lti.ags import AgsClient
from app.lti.errors import GradeServiceError
from app.lti.keys import ToolKeys
from app.lti.registration import Platform

LMS = "https://lms.example.edu"
PLATFORM = Platform(issuer=LMS, client_id="c", deployment_ids=("d",), auth_login_url=LMS + "/auth",
                    auth_token_url=LMS + "/token", keyset_url=LMS + "/jwks")


def client(tmp_path: Path, handler: httpx.MockTransport) -> AgsClient:
    return AgsClient(httpx.Client(transport=handler), ToolKeys(tmp_path / "keys"), allow_loopback_http=False)


def token_or(answer):  # type: ignore[no-untyped-def]
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return answer(request)
    return httpx.MockTransport(handle)


def test_line_items_are_searched_across_pages_and_matched_by_resource_id(tmp_path: Path) -> None:
    seen: list[str] = []

    def pages(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.params.get("page") == "2":
            # A platform that ignores the resource_id filter: everything comes back, we match ourselves.
            return httpx.Response(200, json=[{"id": LMS + "/items/3", "resourceId": "other"},
                                             {"id": LMS + "/items/4", "resourceId": "gru-vs-lstm"}])
        return httpx.Response(200, json=[{"id": LMS + "/items/1", "resourceId": "other"}],
                              headers={"Link": f'<{LMS}/items?page=2>; rel="next"'})

    ags = client(tmp_path, token_or(pages))
    assert ags.find_line_item(PLATFORM, LMS + "/items", "gru-vs-lstm") == LMS + "/items/4"
    assert seen == [LMS + "/items?resource_id=gru-vs-lstm", LMS + "/items?page=2"]


def test_a_line_item_url_that_is_not_https_is_refused(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": "http://lms.example.edu/items/1", "resourceId": "a"}])

    with pytest.raises(GradeServiceError, match="https"):
        client(tmp_path, token_or(answer)).find_line_item(PLATFORM, LMS + "/items", "a")


@pytest.mark.parametrize("body", [b"{}", b"not json", b'[{"label": "no id"}]'])
def test_a_malformed_container_is_a_grade_service_error(tmp_path: Path, body: bytes) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    with pytest.raises(GradeServiceError):
        client(tmp_path, token_or(answer)).find_line_item(PLATFORM, LMS + "/items", "a")


def test_the_token_request_carries_a_signed_assertion_for_the_token_url(tmp_path: Path) -> None:
    import jwt

    forms: list[dict[str, str]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        forms.append(dict(httpx.QueryParams(request.content.decode())))
        return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})

    ags = client(tmp_path, httpx.MockTransport(handle))
    assert ags.access_token(PLATFORM, ("s1",)) == "t"
    assert ags.access_token(PLATFORM, ("s1",)) == "t"  # cached
    [form] = forms
    assert form["grant_type"] == "client_credentials" and form["scope"] == "s1"
    key = jwt.PyJWKSet.from_dict(ags.keys.jwks()).keys[0]
    claims = jwt.decode(form["client_assertion"], key, algorithms=["RS256"], audience=LMS + "/token")
    assert claims["iss"] == claims["sub"] == "c" and claims["exp"] - claims["iat"] == 300 and claims["jti"]
    assert jwt.get_unverified_header(form["client_assertion"])["kid"] == ags.keys.signing.kid


def test_a_token_answer_without_a_token_is_an_error(tmp_path: Path) -> None:
    ags = client(tmp_path, httpx.MockTransport(lambda request: httpx.Response(200, content=json.dumps({}))))
    with pytest.raises(GradeServiceError, match="not a token answer"):
        ags.access_token(PLATFORM, ("s",))
