"""One cookie policy: first-party Lax cookies by default, embeddable ones (SameSite=None; Secure; Partitioned) when
LTI is on over https; and pages may be framed only by registered course platforms."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.cookies import CookiePolicy
from app.csrf import CSRF_COOKIE
from app.main import create_app
from app.routes.headers import framing_headers


def test_first_party_cookies_are_lax_and_secure_only_over_https() -> None:
    policy = CookiePolicy()
    assert policy.header("a", "1", 60, https=False) == "a=1; HttpOnly; Path=/; Max-Age=60; SameSite=lax"
    assert policy.header("a", "1", None, https=True).endswith("SameSite=lax; Secure")
    assert "Secure" in CookiePolicy(always_secure=True).header("a", "1", 60, https=False)


def test_embeddable_cookies_are_cross_site_secure_and_partitioned() -> None:
    header = CookiePolicy(embeddable=True).header("a", "1", 60, https=False)
    assert header.endswith("SameSite=None; Secure; Partitioned") and "HttpOnly" in header
    deleted = CookiePolicy(embeddable=True).delete_header("a", https=True)
    assert "Max-Age=0" in deleted and "Partitioned" in deleted


def test_settings_make_cookies_embeddable_only_for_an_https_tool_url(tmp_path: Path) -> None:
    assert not Settings(data_dir=tmp_path).cookie_policy().embeddable
    assert not Settings(data_dir=tmp_path, lti_tool_url="http://127.0.0.1:9",
                        lti_allow_loopback_http=True).cookie_policy().embeddable
    assert Settings(data_dir=tmp_path, lti_tool_url="https://rnnlab.example.org").cookie_policy().embeddable


def test_framing_is_refused_unless_platforms_are_named() -> None:
    assert framing_headers([]) == {}
    headers = framing_headers(["https://lms.example.edu", "https://lms.example.edu"])
    assert "frame-ancestors 'self' https://lms.example.edu;" in headers["Content-Security-Policy"] + ";"
    assert headers["X-Frame-Options"] == ""  # dropped: it cannot name origins


def test_without_lti_pages_cannot_be_framed_and_cookies_stay_first_party(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in page.headers["content-security-policy"]
    cookie = next(v for v in page.headers.get_list("set-cookie") if v.startswith(CSRF_COOKIE))
    assert "SameSite=lax" in cookie and "Partitioned" not in cookie


def test_frame_ancestors_come_from_platforms_and_the_setting_and_never_carry_injected_text() -> None:
    from types import SimpleNamespace

    from app.lti_bridge import FrameAncestors

    platform = SimpleNamespace(issuer="https://canvas.instructure.com",
                               auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect")
    store = SimpleNamespace(all=lambda: [platform])
    ancestors = FrameAncestors(store, "https://school.instructure.com/ x; script-src * javascript:alert(1) "  # type: ignore[arg-type]
                               "https://user:pw@ok.example.edu:8443/path")
    assert ancestors() == ["https://canvas.instructure.com", "https://ok.example.edu:8443",
                           "https://school.instructure.com", "https://sso.canvaslms.com"]
