"""The dashboard as a shared service: what every request passes before the page sees it.

``harden(app, ...)`` adds to the Flask server under the Dash app:

- a limit on the size of a request body, enforced before it is read
  (``MAX_CONTENT_LENGTH``: Werkzeug refuses a larger Content-Length at once
  and stops reading a body sent without one at the limit);
- a check of the Host header and, when there is one, the Origin header:
  only this machine's names by default (``--allow-host`` adds names), so a
  web page elsewhere cannot drive the dashboard through the browser of
  someone who has it open (DNS rebinding, cross-site requests);
- a password, when ``MHSIM_DASHBOARD_PASSWORD`` is set (HTTP Basic; over a
  network, put the dashboard behind a reverse proxy that adds TLS, or that
  does the authentication itself and forwards to 127.0.0.1);
- security headers: no framing, no content sniffing, no referrer, and a
  Content-Security-Policy allowing only this server's scripts (with the
  hashes of Dash's own inline scripts);
- ``/healthz``: a small JSON answer about the queue, for monitoring and the load test.

``serve_app`` runs it with Waitress (a production WSGI server with a fixed
number of threads) instead of Flask's development server.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import sys
from typing import Iterable
from urllib.parse import urlsplit

from flask import Response, jsonify, request
from werkzeug.wsgi import host_is_trusted

MAX_REQUEST_BYTES = 1_000_000
"""Largest request body: an upload of 200,000 bytes grows by a third in base64 and travels with the page's
other inputs (a few kilobytes); nothing else the page sends comes near."""

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

PASSWORD_ENV = "MHSIM_DASHBOARD_PASSWORD"

SERVER_THREADS = 16
"""Requests served at once: each open page polls once a second; the model runs in worker processes."""


def is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> list[str]:
    """Host names a request may carry: this machine's, the bound address, and any added with --allow-host."""
    hosts = list(LOOPBACK_HOSTS)
    if bind_host not in ("0.0.0.0", "::", ""):
        hosts.append(bind_host)
    hosts += [h.strip().lower() for h in extra if h and h.strip()]
    return sorted(set(hosts))


def _host_only(value: str) -> str:
    """'example.org:8050' -> 'example.org'; '[::1]:8050' -> '::1'."""
    try:
        parts = urlsplit(f"//{value}")
        return (parts.hostname or "").lower()
    except ValueError:
        return ""


def harden(app, hosts: list[str], health=None, password: str | None = None) -> None:
    """Add the checks and headers above to a Dash app's Flask server."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    server.config["MAX_FORM_MEMORY_SIZE"] = MAX_REQUEST_BYTES
    trusted = [h.strip("[]") for h in hosts]
    csp = "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(app.csp_hashes()),
        "style-src 'self' 'unsafe-inline'",     # plotly and the components set styles inline
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ])

    @server.before_request
    def _check():
        host = _host_only(request.headers.get("Host", ""))
        if not host or not host_is_trusted(host, trusted):
            return Response("This dashboard does not answer to that host name (see mhsim dashboard --allow-host).\n",
                            status=421, mimetype="text/plain")
        origin = request.headers.get("Origin")
        if origin is not None and origin != "null":
            oh = _host_only(urlsplit(origin).netloc) if "://" in origin else ""
            if not oh or not host_is_trusted(oh, trusted):
                return Response("Requests from other sites are refused.\n", status=403, mimetype="text/plain")
        elif origin == "null" and request.method not in ("GET", "HEAD"):
            return Response("Requests from other sites are refused.\n", status=403, mimetype="text/plain")
        if request.path == "/healthz":
            return None
        if password:
            auth = request.authorization
            given = (auth.password or "") if auth and auth.type == "basic" else ""
            if not hmac.compare_digest(given.encode(), password.encode()):
                return Response("A password is needed.\n", status=401, mimetype="text/plain",
                                headers={"WWW-Authenticate": 'Basic realm="mhsim", charset="UTF-8"'})
        return None

    @server.after_request
    def _headers(response):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", csp)
        if request.path.startswith("/_dash-update-component") or request.path == "/healthz":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @server.errorhandler(413)
    def _too_large(_exc):
        return Response(f"The request is too large (at most {MAX_REQUEST_BYTES:,} bytes).\n", status=413, mimetype="text/plain")

    @server.route("/healthz")
    def _health():
        return jsonify(health() if health else {"status": "ok"})


def password_from_env() -> str | None:
    value = os.environ.get(PASSWORD_ENV)
    return value if value else None


def exposure_warning(host: str, password: str | None) -> str | None:
    """What to say when the dashboard listens beyond this machine."""
    if is_loopback(host):
        return None
    if password:
        return (f"Note: listening on {host}, so other machines can reach the dashboard. It asks for the password in "
                f"{PASSWORD_ENV}, but sends it unencrypted: over a network, put it behind a reverse proxy with TLS.")
    return (f"Warning: listening on {host}, so anyone who can reach this machine can use the dashboard, run scenarios "
            f"and see every shared result, with no password. Set {PASSWORD_ENV}, or put it behind a reverse proxy "
            "that authenticates users (and adds TLS), listening on 127.0.0.1.")


def serve_app(app, host: str, port: int) -> None:
    """Serve with Waitress: a fixed pool of threads, and its own limit on request bodies."""
    from waitress import serve

    print(f"(serving with Waitress, {SERVER_THREADS} threads)", file=sys.stderr, flush=True)
    serve(app.server, host=host, port=port, threads=SERVER_THREADS, max_request_body_size=MAX_REQUEST_BYTES,
          ident="mhsim", clear_untrusted_proxy_headers=True, channel_timeout=60)
