"""How every cookie of ours is flagged: one policy for the learner, session and CSRF cookies. No web framework here.

First-party (the default): `HttpOnly; SameSite=Lax; Path=/`, plus `Secure` over https. Embeddable (LTI on, with
an https tool URL): lessons show inside the LMS's iframe, where the browser counts every request as cross-site,
so the cookies must be `SameSite=None; Secure` to be sent at all, and `Partitioned` (CHIPS) to be kept where
third-party cookies are blocked: the browser then keeps them per top-level site (the LMS page), apart from the
ones it holds for a visit to RNN Lab itself. Losing SameSite's protection is safe because every state-changing
request must carry the CSRF token (app/csrf.py), which a cross-site page cannot read. Starlette cannot write
`Partitioned` on Python < 3.14, so the header is written here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CookiePolicy:
    embeddable: bool = False  # lessons may show inside an LMS frame (docs/lti.md)
    always_secure: bool = False  # RNNLAB_SECURE_COOKIES: behind a TLS proxy the app sees http

    def header(self, name: str, value: str, max_age: int | None, https: bool) -> str:
        """The Set-Cookie value. max_age None: a browser-session cookie; 0: delete it."""
        parts = [f"{name}={value}", "HttpOnly", "Path=/"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if self.embeddable:
            parts += ["SameSite=None", "Secure", "Partitioned"]
        else:
            parts.append("SameSite=lax")  # as Starlette writes it; browsers read the value case-blind
            if self.always_secure or https:
                parts.append("Secure")
        return "; ".join(parts)

    def delete_header(self, name: str, https: bool) -> str:
        return self.header(name, '""', 0, https) + "; expires=Thu, 01 Jan 1970 00:00:00 GMT"
