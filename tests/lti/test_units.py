"""Pure parts of app.lti: the URL policy, role mapping, lesson naming, key files, the add-platform command."""

from __future__ import annotations

import argparse
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from app.lti.claims import LIS, LaunchClaims, MappedRole, map_roles
from app.lti.commands import add_lti_commands, run_lti_command
from app.lti.keys import ToolKeys
from app.lti.storage import SqlPlatforms
from app.lti.tables import metadata
from app.lti.urls import InsecureUrl, append_path, check_url


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/x", "http://localhost/jwks", "http://[::1]:9/a",
                                 "http://127.8.0.1/x"])
def test_plain_http_is_allowed_only_for_loopback_and_only_when_allowed(url: str) -> None:
    assert check_url(url, allow_loopback_http=True) == url
    with pytest.raises(InsecureUrl):
        check_url(url, allow_loopback_http=False)


@pytest.mark.parametrize("url", ["http://lms.example.edu/jwks", "http://10.0.0.1/x", "http://localhost.evil.com/",
                                 "ftp://127.0.0.1/x", "https://user:pw@lms.example.edu/", "/relative"])
def test_other_non_https_urls_are_refused_even_with_loopback_allowed(url: str) -> None:
    with pytest.raises(InsecureUrl):
        check_url(url, allow_loopback_http=True)


def test_scores_url_keeps_the_line_items_query() -> None:
    assert append_path("https://lms/api/items/7?type=x", "scores") == "https://lms/api/items/7/scores?type=x"


@pytest.mark.parametrize(("roles", "mapped"), [
    ([LIS + "membership#Learner"], MappedRole.learner),
    ([], MappedRole.learner),
    (["http://example.com/made-up#Role"], MappedRole.learner),
    ([LIS + "membership#Instructor"], MappedRole.instructor),
    (["Instructor"], MappedRole.instructor),
    ([LIS + "membership/Instructor#TeachingAssistant"], MappedRole.instructor),
    ([LIS + "membership#Learner", LIS + "membership#ContentDeveloper"], MappedRole.instructor),
    ([LIS + "institution/person#Administrator", LIS + "membership#Learner"], MappedRole.admin),
    ([LIS + "system/person#Administrator"], MappedRole.admin),
])
def test_lti_roles_map_to_ours(roles: list[str], mapped: MappedRole) -> None:
    assert map_roles(roles) is mapped


def _claims(target: str, custom: dict[str, object]) -> LaunchClaims:
    lti = "https://purl.imsglobal.org/spec/lti/claim/"
    return LaunchClaims.model_validate({
        "iss": "i", "sub": "s", "aud": "a", "nonce": "n", lti + "message_type": "LtiResourceLinkRequest",
        lti + "version": "1.3.0", lti + "deployment_id": "d", lti + "target_link_uri": target,
        lti + "resource_link": {"id": "r"}, lti + "roles": [], lti + "custom": custom})


def test_the_lesson_is_the_custom_parameter_else_the_target_path() -> None:
    assert _claims("https://lab/lessons/a-b", {"lesson": "c-d"}).lesson_slug() == "c-d"
    assert _claims("https://lab/lessons/a-b/", {}).lesson_slug() == "a-b"
    assert _claims("https://lab/lessons/a-b", {"lesson": "../etc"}).lesson_slug() == "a-b"
    assert _claims("https://lab/", {"lesson": ["x"]}).lesson_slug() is None


def test_the_tool_key_is_made_once_private_and_keeps_its_kid(tmp_path: Path) -> None:
    first = ToolKeys.in_data_dir(tmp_path)
    [path] = (tmp_path / "lti-keys").iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "lti-keys").stat().st_mode) == 0o700
    again = ToolKeys.in_data_dir(tmp_path)
    assert again.signing.kid == first.signing.kid
    assert again.jwks() == first.jwks()
    with pytest.raises(Exception, match="only key"):
        again.retire(again.signing.kid)
    old = again.signing.kid
    again.rotate()
    again.retire(old)
    assert [k["kid"] for k in again.jwks()["keys"]] == [again.signing.kid]


def _cli(tmp_path: Path, *argv: str, loopback: bool = False) -> tuple[int, list[str]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    metadata.create_all(engine)
    parser = argparse.ArgumentParser(prog="rnnlab")
    add_lti_commands(parser.add_subparsers(dest="command"))
    said: list[str] = []
    code = run_lti_command(parser.parse_args(argv), engine=engine, data_dir=tmp_path, tool_url=None,
                           allow_loopback_http=loopback, say=said.append)
    engine.dispose()
    return code, said


CANVAS = ["lti", "add-platform", "--issuer", "https://canvas.instructure.com", "--client-id", "10000000000001",
          "--deployment-id", "1:abc", "--auth-login-url", "https://sso.canvaslms.com/api/lti/authorize_redirect",
          "--auth-token-url", "https://sso.canvaslms.com/login/oauth2/token",
          "--keyset-url", "https://sso.canvaslms.com/api/lti/security/jwks"]


def test_add_platform_registers_and_updates(tmp_path: Path) -> None:
    assert _cli(tmp_path, *CANVAS)[0] == 0
    code, said = _cli(tmp_path, *CANVAS, "--deployment-id", "2:def", "--name", "Uni Canvas")
    assert code == 0 and "1:abc, 2:def" in said[0]
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    [platform] = SqlPlatforms(engine).all()
    assert (platform.name, platform.deployment_ids) == ("Uni Canvas", ("1:abc", "2:def"))
    assert SqlPlatforms(engine).get("https://canvas.instructure.com", None) == platform
    engine.dispose()


def test_add_platform_refuses_plain_http(tmp_path: Path) -> None:
    argv = [a.replace("https://sso.canvaslms.com", "http://lms.example.edu") for a in CANVAS]
    code, said = _cli(tmp_path, *argv, loopback=True)
    assert code == 2 and "must use https" in said[0]


def test_config_prints_the_urls_for_the_lms(tmp_path: Path) -> None:
    code, said = _cli(tmp_path, "lti", "config", "--tool-url", "https://rnnlab.example.org")
    assert code == 0
    assert "oidc_initiation_url: https://rnnlab.example.org/lti/login" in said
    assert "public_jwk_url: https://rnnlab.example.org/lti/jwks.json" in said
    assert _cli(tmp_path, "lti", "config", "--tool-url", "http://rnnlab.example.org")[0] == 2


def test_the_tool_refuses_a_plain_http_public_url(tmp_path: Path) -> None:
    from app.lti.tool import LtiTool

    with pytest.raises(InsecureUrl):
        LtiTool.create(engine=create_engine("sqlite://"), data_dir=tmp_path, tool_url="http://rnnlab.example.org",
                       accounts=None, lessons=None, allow_loopback_http=True)  # type: ignore[arg-type]


def test_only_the_router_loads_the_web_framework() -> None:
    code = ("import sys, app.lti.tool, app.lti.commands, app.lti.outbox, app.lti.launch, app.lti.ags; "
            "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'jinja2')); "
            "assert not loaded, loaded")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_only_one_of_two_concurrent_launches_with_the_same_state_wins(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime, timedelta

    from app.lti.ports import PendingLogin
    from app.lti.storage import SqlNonces

    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}", connect_args={"timeout": 10})
    metadata.create_all(engine)
    nonces = SqlNonces(engine)
    nonces.add(PendingLogin(nonce="n", state="s", issuer="i", client_id="c", login={},
                            expires=datetime.now(UTC) + timedelta(minutes=5), used=None))
    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(lambda _: nonces.consume("s", datetime.now(UTC)), range(8)))
    assert wins.count(True) == 1
    pending = nonces.peek("s")
    assert pending is not None and pending.used is not None
    engine.dispose()


def test_over_https_the_state_cookie_is_a_partitioned_host_cookie(tmp_path: Path) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from app.lti.registration import Platform
    from app.lti.routes import make_router
    from app.lti.tool import LtiTool

    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    metadata.create_all(engine)
    tool = LtiTool.create(engine=engine, data_dir=tmp_path, tool_url="https://rnnlab.example.org",
                          accounts=None, lessons=None)  # type: ignore[arg-type]
    tool.platforms.save(Platform(issuer="https://lms.example.edu", client_id="c", deployment_ids=("d",),
                                 auth_login_url="https://lms.example.edu/auth", auth_token_url="https://lms.example.edu/t",
                                 keyset_url="https://lms.example.edu/jwks"))
    app = FastAPI()
    app.include_router(make_router(tool, None))  # type: ignore[arg-type]
    with TestClient(app, base_url="https://rnnlab.example.org") as client:
        answer = client.get("/lti/login", params={"iss": "https://lms.example.edu", "login_hint": "u",
                                                  "target_link_uri": "https://rnnlab.example.org/lessons/a"},
                            follow_redirects=False)
    assert answer.status_code == 302
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("__Host-lti_state_")
    for attribute in ("HttpOnly", "Partitioned", "Path=/;", "SameSite=None", "Secure", "Max-Age=600"):
        assert attribute in cookie, cookie
    assert "Domain" not in cookie
    assert answer.headers["location"].startswith("https://lms.example.edu/auth?")
    tool.ags.http.close()
    engine.dispose()
