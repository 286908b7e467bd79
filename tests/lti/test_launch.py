"""End to end against the mock LMS on loopback: OIDC login, launch validation, account and role mapping."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import update

from app.lti.tables import lti_platforms
from tests.lti.harness import Lab, launch, start_launch, submit
from tests.lti.mock_platform import LIS, LTI


def refused(response, code: str) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, (response.status_code, response.text)
    assert response.headers["x-lti-error"] == code, response.text
    return str(response.text)


def test_a_learner_launch_lands_on_the_lesson_signed_in_as_the_mapped_account(lab: Lab) -> None:
    with lab.browser() as browser:
        page = launch(lab, browser, "link-lstm", "ada")
    assert page.status_code == 200
    assert "LSTM sequence prediction" in page.text
    assert "signed in as account-1 (learner)" in page.text
    assert lab.tool.links.account_key(lab.platform.issuer, "user-ada") == "account-1"
    assert lab.accounts.names["account-1"] == "Ada"


def test_the_same_iss_and_sub_map_to_the_same_account_and_roles_map_to_ours(lab: Lab) -> None:
    with lab.browser() as browser:
        assert "account-1 (learner)" in launch(lab, browser, "link-lstm", "ada").text
    with lab.browser() as browser:
        assert "account-1 (learner)" in launch(lab, browser, "link-vanish-path", "ada").text
    with lab.browser() as browser:
        assert "account-2 (instructor)" in launch(lab, browser, "link-lstm", "grace").text
    with lab.browser() as browser:
        assert "account-3 (admin)" in launch(lab, browser, "link-lstm", "root").text


def test_the_lesson_comes_from_the_target_link_when_there_is_no_custom_parameter(lab: Lab) -> None:
    with lab.browser() as browser:
        assert "Vanishing gradients" in launch(lab, browser, "link-vanish-path", "ada").text


def test_a_link_to_no_lesson_is_refused(lab: Lab) -> None:
    with lab.browser() as browser:
        text = refused(submit(browser, start_launch(lab, browser, "link-nowhere", "ada")), "unknown_lesson")
    assert "lesson=&lt;slug&gt;" in text


def test_a_forged_signature_is_refused(lab: Lab) -> None:
    lab.platform.rogue_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with lab.browser() as browser:
        text = refused(submit(browser, start_launch(lab, browser, "link-lstm", "ada")), "bad_signature")
    assert "signature does not verify" in text


def test_a_tampered_token_is_refused(lab: Lab) -> None:
    with lab.browser() as browser:
        form = start_launch(lab, browser, "link-lstm", "ada")
        header, payload, signature = form.id_token.split(".")
        claims = jwt.decode(form.id_token, options={"verify_signature": False})
        claims[LTI + "roles"] = [LIS + "institution/person#Administrator"]
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        refused(submit(browser, form, id_token=f"{header}.{forged}.{signature}"), "bad_signature")


def test_an_unsigned_token_is_refused(lab: Lab) -> None:
    with lab.browser() as browser:
        form = start_launch(lab, browser, "link-lstm", "ada")
        claims = jwt.decode(form.id_token, options={"verify_signature": False})
        none_token = jwt.encode(claims, None, algorithm="none")
        refused(submit(browser, form, id_token=none_token), "bad_algorithm")


def test_an_expired_token_is_refused(lab: Lab) -> None:
    lab.platform.claim_overrides = {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}
    with lab.browser() as browser:
        text = refused(submit(browser, start_launch(lab, browser, "link-lstm", "ada")), "token_expired")
    assert "expired" in text


def test_a_token_for_another_tool_is_refused(lab: Lab) -> None:
    lab.platform.claim_overrides = {"aud": "some-other-tool"}
    with lab.browser() as browser:
        text = refused(submit(browser, start_launch(lab, browser, "link-lstm", "ada")), "wrong_audience")
    assert "not addressed to this tool" in text


def test_several_audiences_need_our_azp(lab: Lab) -> None:
    lab.platform.claim_overrides = {"aud": ["some-other-tool", lab.platform.client_id]}
    with lab.browser() as browser:
        refused(submit(browser, start_launch(lab, browser, "link-lstm", "ada")), "wrong_azp")
    lab.platform.claim_overrides["azp"] = lab.platform.client_id
    with lab.browser() as browser:
        assert "account-1" in launch(lab, browser, "link-lstm", "ada").text


def test_a_token_from_another_issuer_is_refused(lab: Lab) -> None:
    lab.platform.claim_overrides = {"iss": "https://evil.example"}
    with lab.browser() as browser:
        refused(submit(browser, start_launch(lab, browser, "link-lstm", "ada")), "wrong_issuer")


def test_an_unknown_deployment_is_refused(lab: Lab) -> None:
    lab.platform.claim_overrides = {LTI + "deployment_id": "deployment-unknown"}
    with lab.browser() as browser:
        text = refused(submit(browser, start_launch(lab, browser, "link-lstm", "ada")), "unknown_deployment")
    assert "rnnlab lti add-platform" in text


@pytest.mark.parametrize(("claim", "value"), [(LTI + "version", "1.1"), (LTI + "message_type", "LtiDeepLinkingRequest"),
                                               (LTI + "roles", None), (LTI + "resource_link", None)])
def test_a_launch_with_wrong_lti_claims_is_refused(lab: Lab, claim: str, value: object) -> None:
    lab.platform.claim_overrides = {claim: value}
    with lab.browser() as browser:
        text = refused(submit(browser, start_launch(lab, browser, "link-lstm", "ada")), "bad_claims")
    assert claim.removeprefix("https://purl.imsglobal.org/spec/") in text


def test_a_replayed_launch_is_refused(lab: Lab) -> None:
    with lab.browser() as browser:
        form = start_launch(lab, browser, "link-lstm", "ada")
        cookies = dict(browser.cookies)
        assert submit(browser, form).status_code == 303
    with lab.browser() as attacker:
        attacker.cookies.update(cookies)  # even with the victim's state cookie
        text = refused(submit(attacker, form), "nonce_replayed")
    assert "already used" in text


def test_a_captured_token_cannot_ride_on_a_fresh_login(lab: Lab) -> None:
    with lab.browser() as browser:
        old = start_launch(lab, browser, "link-lstm", "ada")
        assert submit(browser, old).status_code == 303
        fresh = start_launch(lab, browser, "link-lstm", "ada")
        refused(submit(browser, fresh, id_token=old.id_token), "nonce_mismatch")


def test_a_launch_without_the_state_cookie_is_refused_with_a_new_window_link(lab: Lab) -> None:
    with lab.browser() as browser:
        form = start_launch(lab, browser, "link-lstm", "ada")
        browser.cookies.clear()  # what a browser blocking third-party cookies in the LMS frame does
        answer = submit(browser, form)
        text = refused(answer, "state_cookie_missing")
        assert 'target="_blank"' in text and "new window" in text
        # The link restarts the login (first-party in a new window) and that launch goes through.
        relaunch = text.split('href="')[1].split('"')[0].replace("&amp;", "&")
        assert relaunch.startswith(lab.platform.tool_url + "/lti/login?")
        to_auth = browser.get(relaunch)
        assert to_auth.status_code == 302
        assert to_auth.headers["location"].startswith(lab.platform.url + "/auth?")


def test_a_state_from_another_browser_is_refused(lab: Lab) -> None:
    with lab.browser() as victim, lab.browser() as attacker:
        mine = start_launch(lab, attacker, "link-lstm", "ada")
        victim_form = start_launch(lab, victim, "link-lstm", "ada")
        # Login CSRF: the attacker's token and state posted from the victim's browser.
        refused(submit(victim, mine), "state_cookie_missing")
        refused(submit(victim, victim_form, state=mine.state), "state_cookie_missing")
        victim.cookies.set(f"lti_state_{mine.state}", victim_form.state, path="/lti/")
        refused(submit(victim, mine), "state_mismatch")


def test_a_launch_without_state_or_token_is_refused(lab: Lab) -> None:
    with lab.browser() as browser:
        form = start_launch(lab, browser, "link-lstm", "ada")
        refused(browser.post(form.action, data={"id_token": form.id_token}), "missing_parameters")
        refused(browser.post(form.action, data={"state": form.state}), "missing_parameters")
        refused(browser.post(form.action, data={"id_token": form.id_token, "state": "made-up"}), "state_unknown")


def test_login_from_an_unknown_platform_is_refused(lab: Lab) -> None:
    with lab.browser() as browser:
        answer = browser.get(lab.platform.tool_url + "/lti/login", params={
            "iss": "https://unknown.example", "login_hint": "x", "target_link_uri": "https://x/lessons/a"})
        assert answer.status_code == 400
        assert answer.headers["x-lti-error"] == "unknown_platform"
        assert "rnnlab lti add-platform" in answer.text
        answer = browser.post(lab.platform.tool_url + "/lti/login", data={"iss": lab.platform.issuer})
        assert answer.status_code == 400 and "login_hint" in answer.text
        answer = browser.post(lab.platform.tool_url + "/lti/login", data={
            "iss": lab.platform.issuer, "login_hint": "x" * 5000, "target_link_uri": "https://x/lessons/a"})
        assert answer.status_code == 400 and "login_hint" in answer.text


def test_login_by_post_sets_a_state_cookie_and_redirects_to_the_platform(lab: Lab) -> None:
    with lab.browser() as browser:
        answer = browser.post(lab.platform.tool_url + "/lti/login", data={
            "iss": lab.platform.issuer, "login_hint": "ada", "lti_message_hint": "link-lstm",
            "target_link_uri": lab.platform.tool_url + "/lessons/lstm-sequence-prediction"})
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert "response_mode=form_post" in location and "prompt=none" in location and "scope=openid" in location
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("lti_state_") and "HttpOnly" in cookie and "Path=/lti/" in cookie


def test_the_tool_publishes_its_jwks(lab: Lab) -> None:
    with lab.browser() as browser:
        keys = browser.get(lab.platform.tool_url + "/lti/jwks.json").json()["keys"]
    assert [(k["kty"], k["alg"], k["use"], k["kid"]) for k in keys] == [("RSA", "RS256", "sig",
                                                                         lab.tool.keys.signing.kid)]
    assert "d" not in keys[0] and "p" not in keys[0]  # public parts only


def test_a_platform_key_rotation_is_picked_up_by_its_new_kid(lab: Lab) -> None:
    lab.tool.validator.jwks.min_refresh_s = 0
    with lab.browser() as browser:
        launch(lab, browser, "link-lstm", "ada")
    lab.platform.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    lab.platform.kid = "platform-key-2"
    with lab.browser() as browser:
        assert "account-1" in launch(lab, browser, "link-lstm", "ada").text
    assert lab.tool.validator.jwks.fetches == 2


def test_an_unknown_kid_does_not_make_the_tool_hammer_the_platform(lab: Lab) -> None:
    with lab.browser() as browser:
        launch(lab, browser, "link-lstm", "ada")
    lab.platform.kid = "made-up"
    for _ in range(3):
        with lab.browser() as browser:
            refused(submit(browser, start_launch(lab, browser, "link-lstm", "ada")), "unknown_key")
    assert lab.tool.validator.jwks.fetches == 1  # cached keys are younger than min_refresh_s


def test_an_unreachable_platform_keyset_is_a_502(lab: Lab) -> None:
    with lab.engine.begin() as conn:
        conn.execute(update(lti_platforms).values(keyset_url=lab.platform.url + "/no-such-jwks"))
    with lab.browser() as browser:
        answer = submit(browser, start_launch(lab, browser, "link-lstm", "ada"))
    assert answer.status_code == 502
    assert answer.headers["x-lti-error"] == "platform_unavailable"


def test_the_canvas_json_configuration_names_our_urls(lab: Lab) -> None:
    with lab.browser() as browser:
        config = browser.get(lab.platform.tool_url + "/lti/canvas.json").json()
    assert config["oidc_initiation_url"] == lab.platform.tool_url + "/lti/login"
    assert config["public_jwk_url"] == lab.platform.tool_url + "/lti/jwks.json"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in config["scopes"]


def test_a_launch_after_the_state_expired_is_refused(lab: Lab) -> None:
    with lab.browser() as browser:
        form = start_launch(lab, browser, "link-lstm", "ada")
        lab.clock.advance(11 * 60)
        refused(submit(browser, form), "state_unknown")


def test_login_for_an_unregistered_deployment_is_refused(lab: Lab) -> None:
    with lab.browser() as browser:
        answer = browser.get(lab.platform.tool_url + "/lti/login", params={
            "iss": lab.platform.issuer, "login_hint": "ada", "client_id": lab.platform.client_id,
            "lti_deployment_id": "elsewhere", "target_link_uri": lab.platform.tool_url + "/lessons/x"})
    assert (answer.status_code, answer.headers["x-lti-error"]) == (400, "unknown_deployment")
