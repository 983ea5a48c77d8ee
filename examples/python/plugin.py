"""A minimal Plugboard plugin in Python with authlib, the OAuth 2.0 client library: it
answers the Install hand-over, installs with the authorization code and PKCE, calls the
REST API, refreshes its token, and verifies the webhooks it receives.

    pip install -r requirements.txt
    PLUGBOARD_URL=https://plugboard.example.com CLIENT_ID=pbc_... CLIENT_SECRET=pbs_... \\
    WEBHOOK_SECRET=whsec_... PORT=4200 python plugin.py

Register http://127.0.0.1:$PORT/callback as its first redirect URI and
http://127.0.0.1:$PORT/webhooks as its webhook URL. GET /status tells what happened.
"""

import base64
import binascii
import hashlib
import hmac
import html
import json
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebToken
from authlib.jose.errors import JoseError

PLUGBOARD = os.environ["PLUGBOARD_URL"].rstrip("/")  # from configuration, never from a link
CLIENT_ID = os.environ["CLIENT_ID"]
CLIENT_SECRET = os.environ["CLIENT_SECRET"]
WEBHOOK_SECRET = os.environ["WEBHOOK_SECRET"]
PORT = int(os.environ.get("PORT", "4200"))
REDIRECT_URI = f"http://127.0.0.1:{PORT}/callback"
SCOPE = "read:projects write:tasks"
TIMEOUT = 30

METADATA = requests.get(f"{PLUGBOARD}/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
SECRET_KEY = base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_"))

pending = {}  # state -> PKCE code verifier
status = {"installs": [], "webhooks": [], "refused_webhooks": 0}
lock = threading.Lock()


def session(**kwargs):
    return OAuth2Session(CLIENT_ID, CLIENT_SECRET, scope=SCOPE, redirect_uri=REDIRECT_URI,
                         code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic", **kwargs)


def verify_handover(token):
    """The Install hand-over: HS256 under the webhook secret's bytes; iss must be the
    Plugboard configured here, aud our client id, exp in the future."""
    try:
        claims = JsonWebToken(["HS256"]).decode(token, SECRET_KEY, claims_options={
            "iss": {"essential": True, "value": PLUGBOARD},
            "aud": {"essential": True, "value": CLIENT_ID},
            "exp": {"essential": True},
        })
        claims.validate()
        return claims
    except (JoseError, ValueError):
        return None


def verify_webhook(headers, body):
    """Standard Webhooks: HMAC-SHA256 of "{id}.{timestamp}.{body}", any of the
    space-separated "v1,<base64>" signatures, a timestamp within five minutes."""
    msg_id, timestamp = headers.get("webhook-id"), headers.get("webhook-timestamp", "")
    if not msg_id or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
        return False
    expected = hmac.new(SECRET_KEY, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    for part in headers.get("webhook-signature", "").split(" "):
        try:
            given = base64.b64decode(part.removeprefix("v1,"), validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(given, expected):
            return True
    return False


def api(token, method, path, body=None):
    response = requests.request(method, f"{PLUGBOARD}/api/v1{path}", json=body, timeout=TIMEOUT,
                                headers={"Authorization": f"Bearer {token['access_token']}"})
    if not response.ok:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
    return response.json()


class Plugin(BaseHTTPRequestHandler):
    def send(self, code, kind, body, headers=()):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            if url.path == "/status":
                with lock:
                    return self.send(200, "application/json", json.dumps(status))
            if url.path == "/callback" and "install_token" in query:
                if verify_handover(query["install_token"]) is None:
                    return self.send(400, "text/plain", "This install link was not signed by the Plugboard this plugin is configured with.")
                verifier = secrets.token_urlsafe(48)
                uri, state = session().create_authorization_url(METADATA["authorization_endpoint"], code_verifier=verifier)
                with lock:
                    pending[state] = verifier
                return self.send(302, "text/plain", "", [("Location", uri)])
            if url.path == "/callback":
                return self.callback(query)
            self.send(404, "text/plain", "not found")
        except Exception as e:  # one failing install must not stop the server
            self.send(500, "text/plain", str(e))

    def callback(self, query):
        with lock:
            verifier = pending.pop(query.get("state", ""), None)
        if verifier is None:
            return self.send(400, "text/plain", "Unknown or used state.")
        if query.get("iss") != METADATA["issuer"]:
            return self.send(400, "text/plain", "The answer did not come from the Plugboard configured here.")
        if "error" in query:
            return self.send(400, "text/plain", query["error"])
        token = session(state=query["state"]).fetch_token(METADATA["token_endpoint"], code=query["code"], code_verifier=verifier)
        installation = api(token, "GET", "/installation")
        projects = api(token, "GET", "/projects?limit=1")["data"]
        task = api(token, "POST", "/tasks", {"project_id": projects[0]["id"], "title": "Created by the Python sample"}) if projects else None
        # Refresh: the old refresh token is dead from now on; keep the new one first.
        refreshed = session(token=token).refresh_token(METADATA["token_endpoint"], refresh_token=token["refresh_token"])
        again = api(refreshed, "GET", "/installation")
        with lock:
            status["installs"].append({
                "installation_id": installation["installation_id"],
                "tenant": installation["tenant_name"],
                "scope": token["scope"],
                "task_id": task["id"] if task else None,
                "refreshed": refreshed["refresh_token"] != token["refresh_token"] and again["installation_id"] == installation["installation_id"],
            })
        self.send(200, "text/html; charset=utf-8", f"<h1>Installed in {html.escape(installation['tenant_name'])}</h1>")

    def do_POST(self):
        if urlparse(self.path).path != "/webhooks":
            return self.send(404, "text/plain", "not found")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not verify_webhook({k.lower(): v for k, v in self.headers.items()}, body):
            with lock:
                status["refused_webhooks"] += 1
            return self.send(401, "text/plain", "bad signature")
        with lock:
            status["webhooks"].append(json.loads(body)["type"])
        self.send(204, "text/plain", "")

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    print(f"Python sample plugin on http://127.0.0.1:{PORT}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", PORT), Plugin).serve_forever()
