"""A mock LTI 1.3 platform (an LMS): OIDC login -> id_token form post, a token endpoint that checks the tool's
client assertion against the tool's published JWKS, and AGS line items and scores that it records.

Knobs let a test break one thing at a time: claim overrides, a rogue signing key, 503s for the next N calls.
"""

from __future__ import annotations

import html
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jwt.algorithms import RSAAlgorithm

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
SCOPES = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
          "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/score"]
ROLES = {"learner": [LIS + "membership#Learner", LIS + "institution/person#Student"],
         "instructor": [LIS + "membership#Instructor", LIS + "institution/person#Faculty"],
         "admin": [LIS + "institution/person#Administrator"]}


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class User:
    sub: str
    role: str
    name: str = "Ada Learner"


@dataclass
class Link:
    """A resource link placed in a course: which lesson it opens and whether it has its own gradebook column."""

    lesson: str
    context: str = "course-1"
    own_lineitem: bool = False
    use_custom: bool = True
    grade_sync_only: bool = False  # Moodle's "grade sync only": the link's column and the score scope, nothing more


@dataclass
class MockPlatform:
    client_id: str = "rnnlab-tool"
    deployment_id: str = "deployment-1"
    url: str = ""
    tool_url: str = ""
    key: rsa.RSAPrivateKey = field(default_factory=_key)
    kid: str = "platform-key-1"
    users: dict[str, User] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    # knobs for the next id_token(s)
    claim_overrides: dict[str, Any] = field(default_factory=dict)
    rogue_key: rsa.RSAPrivateKey | None = None
    fail_next: int = 0
    # what it saw
    line_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    scores: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    token_requests: int = 0
    refused_assertions: list[str] = field(default_factory=list)
    ags_calls: list[str] = field(default_factory=list)
    _tokens: dict[str, tuple[set[str], float]] = field(default_factory=dict)
    _jtis: set[str] = field(default_factory=set)

    @property
    def issuer(self) -> str:
        return self.url

    def registration(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "client_id": self.client_id, "deployment_ids": [self.deployment_id],
                "auth_login_url": self.url + "/auth", "auth_token_url": self.url + "/token",
                "keyset_url": self.url + "/jwks", "name": "Mock LMS"}

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def id_token(self, user: User, link_id: str, nonce: str) -> str:
        link = self.links[link_id]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": self.client_id, "sub": user.sub, "iat": now, "exp": now + 300,
            "nonce": nonce, "name": user.name,
            LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": f"{self.tool_url}/lessons/{link.lesson}",
            LTI + "resource_link": {"id": link_id, "title": link.lesson},
            LTI + "roles": ROLES[user.role],
            LTI + "context": {"id": link.context, "title": "RNNs 101"},
        }
        if link.use_custom:
            claims[LTI + "custom"] = {"lesson": link.lesson}
        ags: dict[str, Any] = {"scope": SCOPES, "lineitems": f"{self.url}/ags/{link.context}/lineitems"}
        if link.own_lineitem:
            ags["lineitem"] = self._ensure_link_item(link_id, link)
        if link.grade_sync_only:
            ags = {"scope": [SCOPES[2], "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"],
                   "lineitem": ags["lineitem"]}
        claims[AGS] = ags
        for name, value in self.claim_overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return jwt.encode(claims, self.rogue_key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def _ensure_link_item(self, link_id: str, link: Link) -> str:
        items = self.line_items.setdefault(link.context, [])
        for item in items:
            if item.get("resourceLinkId") == link_id:
                return str(item["id"])
        item = {"id": f"{self.url}/ags/{link.context}/lineitems/{len(items) + 1}", "label": link.lesson,
                "scoreMaximum": 100, "resourceLinkId": link_id}
        items.append(item)
        return str(item["id"])

    def _failing(self) -> bool:
        if self.fail_next > 0:
            self.fail_next -= 1
            return True
        return False

    def _bearer(self, request: Request, scope: str) -> bool:
        auth = request.headers.get("authorization", "")
        token = self._tokens.get(auth.removeprefix("Bearer "))
        return token is not None and scope in token[0] and token[1] > time.time()

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/jwks")
        def platform_jwks() -> dict[str, Any]:
            return self.jwks()

        @app.get("/launch/{link_id}")
        def start_launch(link_id: str, user: str) -> Response:
            # The LMS page's link: third-party initiated login at the tool.
            params = {"iss": self.issuer, "login_hint": user, "lti_message_hint": link_id,
                      "target_link_uri": f"{self.tool_url}/lessons/{self.links[link_id].lesson}",
                      "client_id": self.client_id, "lti_deployment_id": self.deployment_id}
            return RedirectResponse(f"{self.tool_url}/lti/login?{urlencode(params)}", status_code=302)

        @app.get("/auth")
        def authorize(request: Request) -> Response:
            q = request.query_params
            expected = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
                        "prompt": "none", "client_id": self.client_id, "redirect_uri": f"{self.tool_url}/lti/launch"}
            wrong = [name for name, value in expected.items() if q.get(name) != value]
            if wrong or not q.get("state") or not q.get("nonce") or q.get("login_hint") not in self.users:
                return JSONResponse({"error": "invalid_request", "wrong": wrong}, status_code=400)
            token = self.id_token(self.users[q["login_hint"]], q.get("lti_message_hint", ""), q["nonce"])
            # Auto-submitting form, as a real platform answers (response_mode=form_post).
            return HTMLResponse(
                f'<form method="post" action="{html.escape(q["redirect_uri"])}">'
                f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
                f'<input type="hidden" name="state" value="{html.escape(q["state"])}"></form>'
                "<script>document.forms[0].submit()</script>")

        @app.post("/token")
        async def token(request: Request) -> Response:
            self.token_requests += 1
            if self._failing():
                return JSONResponse({"error": "temporarily_unavailable"}, status_code=503)
            form = await request.form()
            if (form.get("grant_type") != "client_credentials" or form.get("client_assertion_type")
                    != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"):
                return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
            assertion = str(form.get("client_assertion", ""))
            try:
                # Verified against the keys the tool publishes, fetched from its JWKS URL like a real LMS does.
                async with httpx.AsyncClient() as http:
                    keyset = jwt.PyJWKSet.from_dict((await http.get(f"{self.tool_url}/lti/jwks.json")).json())
                kid = jwt.get_unverified_header(assertion).get("kid")
                key = next(k for k in keyset.keys if k.key_id == kid)
                claims = jwt.decode(assertion, key, algorithms=["RS256"], audience=f"{self.url}/token",
                                    issuer=self.client_id, options={"require": ["exp", "iat", "jti", "sub"]})
                if claims["sub"] != self.client_id or claims["jti"] in self._jtis:
                    raise jwt.InvalidTokenError("bad sub or reused jti")
                self._jtis.add(claims["jti"])
            except (StopIteration, jwt.PyJWTError) as exc:
                self.refused_assertions.append(f"{type(exc).__name__}: {exc}")
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            access = secrets.token_urlsafe(16)
            scopes = set(str(form.get("scope", "")).split())
            self._tokens[access] = (scopes, time.time() + 3600)
            return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 3600,
                                 "scope": " ".join(sorted(scopes))})

        @app.get("/ags/{context}/lineitems")
        def list_items(context: str, request: Request, resource_id: str | None = None) -> Response:
            self.ags_calls.append(f"GET lineitems {context}")
            if self._failing():
                return Response(status_code=503)
            if not self._bearer(request, SCOPES[0]):
                return Response(status_code=401)
            items = [i for i in self.line_items.get(context, []) if resource_id in (None, i.get("resourceId"))]
            return JSONResponse(items, media_type="application/vnd.ims.lis.v2.lineitemcontainer+json")

        @app.post("/ags/{context}/lineitems")
        async def create_item(context: str, request: Request) -> Response:
            self.ags_calls.append(f"POST lineitems {context}")
            if self._failing():
                return Response(status_code=503)
            if not self._bearer(request, SCOPES[0]):
                return Response(status_code=401)
            body = await request.json()
            items = self.line_items.setdefault(context, [])
            item = {**body, "id": f"{self.url}/ags/{context}/lineitems/{len(items) + 1}"}
            items.append(item)
            return JSONResponse(item, status_code=201, media_type="application/vnd.ims.lis.v2.lineitem+json")

        @app.post("/ags/{context}/lineitems/{number}/scores")
        async def post_score(context: str, number: int, request: Request) -> Response:
            self.ags_calls.append(f"POST score {context}/{number}")
            if self._failing():
                return Response(status_code=503)
            if not self._bearer(request, SCOPES[2]):
                return Response(status_code=401)
            if request.headers.get("content-type") != "application/vnd.ims.lis.v1.score+json":
                return Response(status_code=415)
            self.scores.append((f"{self.url}/ags/{context}/lineitems/{number}", await request.json()))
            return Response(status_code=204)

        return app
