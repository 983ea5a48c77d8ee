// A minimal Plugboard plugin in Node.js (>= 20) with oauth4webapi, the OAuth 2.0 client
// library: it answers the Install hand-over, installs with the authorization code and
// PKCE, calls the REST API, refreshes its token, and verifies the webhooks it receives.
//
//   PLUGBOARD_URL=https://plugboard.example.com CLIENT_ID=pbc_… CLIENT_SECRET=pbs_… \
//   WEBHOOK_SECRET=whsec_… PORT=4100 node plugin.mjs
//
// Register http://127.0.0.1:$PORT/callback as its first redirect URI and
// http://127.0.0.1:$PORT/webhooks as its webhook URL. GET /status tells what happened.
import http from "node:http";
import crypto from "node:crypto";
import * as oauth from "oauth4webapi";

const env = (name) => process.env[name] ?? (() => { throw new Error(`set ${name}`); })();
const PLUGBOARD = env("PLUGBOARD_URL").replace(/\/$/, ""); // from configuration, never from a link
const CLIENT_ID = env("CLIENT_ID");
const CLIENT_SECRET = env("CLIENT_SECRET");
const WEBHOOK_SECRET = env("WEBHOOK_SECRET");
const PORT = Number(process.env.PORT ?? 4100);
const REDIRECT_URI = `http://127.0.0.1:${PORT}/callback`;
const SCOPE = "read:projects write:tasks";
// Plugboard on loopback speaks http; a real one speaks https, and these options go.
const insecure = PLUGBOARD.startsWith("http://127.0.0.1") ? { [oauth.allowInsecureRequests]: true } : {};

const client = { client_id: CLIENT_ID };
const clientAuth = oauth.ClientSecretBasic(CLIENT_SECRET);
const issuer = new URL(PLUGBOARD);
const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure }));

const pending = new Map(); // state -> PKCE verifier (one install at a time per state)
const status = { installs: [], webhooks: [], refused_webhooks: 0 };

// The Install hand-over: a JWT signed HS256 with the webhook secret's bytes. Checked before
// anything else: signature, iss (the Plugboard configured here), aud (our client id), exp.
function verifyHandover(token) {
  const [header, payload, signature, extra] = String(token).split(".");
  if (!signature || extra !== undefined) return null;
  try {
    if (JSON.parse(Buffer.from(header, "base64url")).alg !== "HS256") return null;
    const key = Buffer.from(WEBHOOK_SECRET.replace(/^whsec_/, ""), "base64");
    const expected = crypto.createHmac("sha256", key).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
    const claims = JSON.parse(Buffer.from(payload, "base64url"));
    return claims.iss === PLUGBOARD && claims.aud === CLIENT_ID && claims.exp > Date.now() / 1000 ? claims : null;
  } catch {
    return null;
  }
}

// Standard Webhooks: HMAC-SHA256 of "{id}.{timestamp}.{body}" under the secret's bytes,
// any of the space-separated "v1,<base64>" signatures, a timestamp within five minutes.
function verifyWebhook(headers, body) {
  const id = headers["webhook-id"];
  const timestamp = Number(headers["webhook-timestamp"]);
  if (!id || !Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const key = Buffer.from(WEBHOOK_SECRET.replace(/^whsec_/, ""), "base64");
  const expected = crypto.createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return String(headers["webhook-signature"] ?? "")
    .split(" ")
    .map((s) => Buffer.from(s.replace(/^v1,/, ""), "base64"))
    .some((given) => given.length === expected.length && crypto.timingSafeEqual(given, expected));
}

async function api(token, method, path, body) {
  const headers = new Headers(body ? { "content-type": "application/json" } : {});
  const response = await oauth.protectedResourceRequest(token, method, new URL(`${PLUGBOARD}/api/v1${path}`), headers, body ? JSON.stringify(body) : null, insecure);
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function callback(url, res) {
  const handover = url.searchParams.get("install_token");
  if (handover) {
    const claims = verifyHandover(handover);
    if (!claims) return send(res, 400, "text/plain", "This install link was not signed by the Plugboard this plugin is configured with.");
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    pending.set(state, verifier);
    const authorize = new URL(as.authorization_endpoint);
    for (const [k, v] of Object.entries({
      response_type: "code", client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, scope: SCOPE, state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
    })) authorize.searchParams.set(k, v);
    res.writeHead(302, { location: authorize.href }).end();
    return;
  }
  const state = url.searchParams.get("state");
  const verifier = pending.get(state);
  if (!verifier) return send(res, 400, "text/plain", "Unknown or used state.");
  pending.delete(state);
  // Checks state and Plugboard's iss, and turns ?error= into an exception.
  const params = oauth.validateAuthResponse(as, client, url, state);
  const granted = await oauth.processAuthorizationCodeResponse(as, client,
    await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, REDIRECT_URI, verifier, insecure));
  const installation = await api(granted.access_token, "GET", "/installation");
  const projects = await api(granted.access_token, "GET", "/projects?limit=1");
  const task = projects.data[0]
    ? await api(granted.access_token, "POST", "/tasks", { project_id: projects.data[0].id, title: "Created by the Node.js sample" })
    : null;
  // Refresh: the old refresh token is dead from now on; keep the new one before using the access token.
  const refreshed = await oauth.processRefreshTokenResponse(as, client,
    await oauth.refreshTokenGrantRequest(as, client, clientAuth, granted.refresh_token, insecure));
  const again = await api(refreshed.access_token, "GET", "/installation");
  status.installs.push({
    installation_id: installation.installation_id,
    tenant: installation.tenant_name,
    scope: granted.scope,
    task_id: task?.id ?? null,
    refreshed: refreshed.refresh_token !== granted.refresh_token && again.installation_id === installation.installation_id,
  });
  send(res, 200, "text/html; charset=utf-8", `<h1>Installed in ${escapeHtml(installation.tenant_name)}</h1>`);
}

// Whatever Plugboard's tenants call themselves goes into HTML only escaped.
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function send(res, code, type, body) {
  res.writeHead(code, { "content-type": type }).end(body);
}

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${PORT}`);
    try {
      if (req.method === "GET" && url.pathname === "/callback") return await callback(url, res);
      if (req.method === "GET" && url.pathname === "/status") return send(res, 200, "application/json", JSON.stringify(status));
      if (req.method === "POST" && url.pathname === "/webhooks") {
        // The signature is over the exact bytes: gather them, then decode once.
        const chunks = [];
        for await (const chunk of req) chunks.push(chunk);
        const body = Buffer.concat(chunks).toString("utf8");
        if (!verifyWebhook(req.headers, body)) {
          status.refused_webhooks += 1;
          return send(res, 401, "text/plain", "bad signature");
        }
        status.webhooks.push(JSON.parse(body).type);
        return send(res, 204, "text/plain", "");
      }
      send(res, 404, "text/plain", "not found");
    } catch (e) {
      send(res, 500, "text/plain", String(e?.message ?? e));
    }
  })
  .listen(PORT, "127.0.0.1", () => console.log(`Node.js sample plugin on http://127.0.0.1:${PORT}`));
