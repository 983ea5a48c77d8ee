// A plugin server of the kind partners run, for the end-to-end tests: it answers the
// Install hand-over by starting the authorization (its own state and PKCE verifier),
// exchanges the code at Plugboard's token endpoint, creates a task through the REST API,
// and shows what it got.
// It serves the plugin registered by start-server.sh at /callback, and any number of
// plugins registered in a test through the developer console at /p/{name}/callback:
// the test hands it their credentials (POST /p/{name}/credentials), as a developer
// puts the secret shown once into their server's configuration.
// Node's standard library only. Binds to 127.0.0.1.
import http from "node:http";
import crypto from "node:crypto";

const port = Number(process.argv[2] ?? 3211);
const plugboard = process.env.PLUGBOARD_URL;
const base = `http://127.0.0.1:${port}`;
// callback path -> { clientId, clientSecret }
const clients = new Map([["/callback", { clientId: process.env.CLIENT_ID, clientSecret: process.env.CLIENT_SECRET }]]);
const pending = new Map(); // state -> PKCE verifier

const b64url = (buf) => buf.toString("base64url");

// Checks Plugboard's JWT as a plugin server should: HS256 with the webhook signing
// secret's bytes, for this client, from Plugboard, not expired.
function verifyJwt(authorization, client) {
  const token = (authorization ?? "").replace(/^Bearer /, "");
  const [header, payload, signature] = token.split(".");
  if (!signature || !client.webhookSecret) return false;
  const key = Buffer.from(client.webhookSecret.replace(/^whsec_/, ""), "base64");
  const expected = b64url(crypto.createHmac("sha256", key).update(`${header}.${payload}`).digest());
  if (expected.length !== signature.length || !crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) return false;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  return claims.iss === "plugboard" && claims.aud === client.clientId && claims.exp > Date.now() / 1000;
}
const page = (res, status, title, body) => {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><title>${title}</title><h1>${title}</h1>${body}`);
};

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, base);
    if (url.pathname === "/healthz") return page(res, 200, "ok", "");
    const configure = url.pathname.match(/^\/p\/([a-z0-9-]+)\/credentials$/);
    if (configure && req.method === "POST") {
      let body = "";
      for await (const chunk of req) body += chunk;
      const { client_id, client_secret, webhook_secret } = JSON.parse(body);
      clients.set(`/p/${configure[1]}/callback`, { clientId: client_id, clientSecret: client_secret, webhookSecret: webhook_secret });
      return page(res, 200, "Configured", "");
    }
    // The plugin server contract (DESIGN.md §6): calls carry Plugboard's HS256 JWT.
    const license = url.pathname.match(/^\/p\/([a-z0-9-]+)\/plugins\/licenseStatus\/[a-z0-9-]+$/);
    if (license) {
      const client = clients.get(`/p/${license[1]}/callback`);
      if (!client || !verifyJwt(req.headers.authorization, client)) return page(res, 401, "Unauthorized", "");
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({
        licenseStatus: false,
        licenseStatusDescription: "Your **trial has ended**. [See plans](https://pay.example.com/plans)",
        errorMessage: "Payment required: the card on file was declined.",
      }));
    }
    // A plugin that has shut its webhook endpoint down: 410 Gone.
    if (/^\/p\/[a-z0-9-]+\/webhooks$/.test(url.pathname)) {
      res.writeHead(410, { "content-type": "text/plain" });
      return res.end("this endpoint is gone");
    }
    const client = clients.get(url.pathname);
    if (!client) return page(res, 404, "Not found", "");
    const { clientId, clientSecret } = client;
    const redirectUri = base + url.pathname;
    const q = url.searchParams;
    if (q.has("install")) {
      const state = b64url(crypto.randomBytes(16));
      const verifier = b64url(crypto.randomBytes(32));
      pending.set(state, verifier);
      const challenge = b64url(crypto.createHash("sha256").update(verifier).digest());
      const authorize = new URL("/oauth/authorize", q.get("iss") ?? plugboard);
      for (const [k, v] of Object.entries({
        response_type: "code",
        client_id: clientId,
        redirect_uri: redirectUri,
        scope: "read:projects write:tasks",
        state,
        code_challenge: challenge,
        code_challenge_method: "S256",
      })) authorize.searchParams.set(k, v);
      res.writeHead(302, { location: authorize.toString() });
      return res.end();
    }
    if (q.has("error")) return page(res, 200, "Installation cancelled", `<p id="error">${q.get("error")}</p>`);
    const verifier = pending.get(q.get("state"));
    if (!q.has("code") || !verifier) return page(res, 400, "Unexpected callback", "");
    pending.delete(q.get("state"));
    const answer = await fetch(`${plugboard}/oauth/token`, {
      method: "POST",
      headers: {
        authorization: "Basic " + Buffer.from(`${clientId}:${clientSecret}`).toString("base64"),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ grant_type: "authorization_code", code: q.get("code"), redirect_uri: redirectUri, code_verifier: verifier }),
    });
    const tokens = await answer.json();
    if (!answer.ok) return page(res, 502, "Token exchange failed", `<p id="error">${tokens.error}</p>`);
    // Straight away, the plugin does its job through the REST API: a task in the first project.
    const api = (path, init = {}) =>
      fetch(`${plugboard}/api/v1${path}`, {
        ...init,
        headers: { authorization: `Bearer ${tokens.access_token}`, "content-type": "application/json" },
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const projects = await api("/projects?limit=1");
    if (projects.status !== 200) return page(res, 502, "API call failed", `<p id="error">${JSON.stringify(projects.body)}</p>`);
    const project = projects.body.data[0];
    // An organisation without projects gets no task, and the plugin says so.
    const created = project
      ? await api("/tasks", { method: "POST", body: JSON.stringify({ project_id: project.id, title: "Log this week's hours" }) })
      : null;
    if (created && created.status !== 201) return page(res, 502, "API call failed", `<p id="error">${JSON.stringify(created.body)}</p>`);
    page(
      res,
      200,
      "Connected to Plugboard",
      `<p id="scope">${tokens.scope}</p><p id="created-task">${created ? created.body.title : "No project to add a task to"}</p><p><a href="${plugboard}/installed">Back to Plugboard</a></p>`,
    );
  })
  .listen(port, "127.0.0.1");
