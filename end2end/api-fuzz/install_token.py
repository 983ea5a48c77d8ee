"""Installs a plugin the way a tenant admin and a plugin server would, and prints the
access token: sign in, the consent screen, Allow, then the code exchange with client
authentication and PKCE at the token endpoint. Python's standard library only.

    install_token.py BASE_URL EMAIL PASSWORD CLIENT_ID CLIENT_SECRET REDIRECT_URI SCOPE
"""

import base64
import hashlib
import http.cookiejar
import json
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main() -> None:
    base, email, password, client_id, client_secret, redirect_uri, scope = sys.argv[1:8]
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects())

    def send(url, data=None, headers=None):
        request = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with browser.open(request, timeout=15) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read().decode()

    form = lambda fields: urllib.parse.urlencode(fields).encode()
    status, _, body = send(f"{base}/rpc/sign_in", form({"email": email, "password": password}), {"accept": "application/json"})
    if status != 200:
        sys.exit(f"sign-in failed: {status} {body}")

    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
        "state": state, "code_challenge": challenge, "code_challenge_method": "S256",
    })
    status, _, page = send(f"{base}/oauth/authorize?{query}")
    consent = re.search(r'name="consent" value="([^"]+)"', page)
    if status != 200 or not consent:
        sys.exit(f"no consent screen: {status}")
    status, headers, _ = send(f"{base}/oauth/authorize", form({"consent": consent.group(1), "decision": "allow"}), {"origin": base})
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(headers.get("location", "")).query)
    if status != 303 or params.get("state") != [state] or "code" not in params:
        sys.exit(f"consent did not hand back a code: {status} {headers.get('location')}")

    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    status, _, body = send(
        f"{base}/oauth/token",
        form({"grant_type": "authorization_code", "code": params["code"][0], "redirect_uri": redirect_uri, "code_verifier": verifier}),
        {"authorization": f"Basic {basic}"},
    )
    if status != 200:
        sys.exit(f"token exchange failed: {status} {body}")
    print(json.loads(body)["access_token"])


if __name__ == "__main__":
    main()
