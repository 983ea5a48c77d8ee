// A plugin server of the kind partners run, for the end-to-end tests: it answers the
// Install hand-over by starting the authorization (its own state and PKCE verifier),
// exchanges the code at Plugboard's token endpoint, creates a task through the REST API
// (when granted read:projects and write:tasks), and shows what it got.
// It serves the plugin registered by start-server.sh at /callback, and any number of
// plugins registered in a test through the developer console at /p/{name}/callback:
// the test hands it their credentials (POST /p/{name}/credentials), as a developer
// puts the secret shown once into their server's configuration.
// Under /p/{name} it also implements the plugin server contract (DESIGN.md §6), with
// {name} as the plugin's slug: Connect/Logout for its own "Demo account", license status,
// content processing (synchronous, or asynchronous when {name} starts with "slow-"), and
// an OAuth 2.0 provider for plugins registered with an `oauth_config`.
// Node's standard library only. Binds to 127.0.0.1.
import http from "node:http";
import crypto from "node:crypto";

const port = Number(process.argv[2] ?? 3211);
const plugboard = process.env.PLUGBOARD_URL;
const base = `http://127.0.0.1:${port}`;
// The one client of the OAuth provider (Plugboard, as configured in a plugin's oauth_config).
const SERVICE_CLIENT = { id: "demo-service-client", secret: "demo-service-secret" };
// The scopes a plugin asks Plugboard for when the test did not say which.
const DEFAULT_SCOPE = "read:projects write:tasks";
// How long an asynchronous job takes before the plugin posts its result.
const SLOW_JOB_MS = 1500;
// How long the provider's authorization codes live.
const CODE_TTL_MS = 60_000;

/** A plugin's configuration and what it learns while it runs. */
const newClient = ({ client_id, client_secret, webhook_secret, scope }) => ({
  clientId: client_id,
  clientSecret: client_secret,
  webhookSecret: webhook_secret,
  scope: scope ?? DEFAULT_SCOPE,
  accessTokens: new Map(), // tenant id (string, as in the JWT's tid) -> Plugboard access token
  refreshTokens: new Map(), // tenant id -> Plugboard refresh token (single use: rotated at each refresh)
  lastTenant: null, // the tenant it was installed in last
  connected: new Set(), // userKey(claims) of the users connected to their Demo account
});
// callback path -> client
const clients = new Map([
  ["/callback", newClient({ client_id: process.env.CLIENT_ID, client_secret: process.env.CLIENT_SECRET, webhook_secret: process.env.WEBHOOK_SECRET })],
]);
const clientOf = (name) => clients.get(`/p/${name}/callback`);
const pending = new Map(); // state -> PKCE verifier
const tickets = new Map(); // Connect ticket -> { client, user }, single use
const codes = new Map(); // provider authorization code -> { name, clientId, redirectUri, challenge, scope, expiresAt }
const refreshTokens = new Map(); // provider refresh token -> { name, scope }

const b64url = (buf) => buf.toString("base64url");
const random = (prefix = "") => prefix + b64url(crypto.randomBytes(24));
const s256 = (verifier) => b64url(crypto.createHash("sha256").update(verifier).digest());
// Compares secrets in constant time (timingSafeEqual needs buffers of one length).
function sameSecret(a, b) {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
// A Plugboard user: the same user id in two tenants are two people.
const userKey = (claims) => `${claims.tid}:${claims.sub}`;
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const bearer = (req) => (req.headers.authorization ?? "").replace(/^Bearer /, "");

// The claims of a token signed HS256 with the webhook signing secret's bytes, or null.
function signedClaims(token, client) {
  const [header, payload, signature, extra] = String(token ?? "").split(".");
  if (!signature || extra !== undefined || !client.webhookSecret) return null;
  try {
    if (JSON.parse(Buffer.from(header, "base64url").toString()).alg !== "HS256") return null;
  } catch {
    return null;
  }
  const key = Buffer.from(client.webhookSecret.replace(/^whsec_/, ""), "base64");
  const expected = b64url(crypto.createHmac("sha256", key).update(`${header}.${payload}`).digest());
  if (!sameSecret(expected, signature)) return null;
  try {
    return JSON.parse(Buffer.from(payload, "base64url").toString());
  } catch {
    return null;
  }
}

// Checks Plugboard's JWT as a plugin server should: signed, for this client, from
// Plugboard, not expired. Answers its claims, or null.
function verifyJwt(token, client) {
  const claims = signedClaims(token, client);
  const valid = claims && claims.iss === "plugboard" && claims.aud === client.clientId && claims.exp > Date.now() / 1000;
  return valid ? claims : null;
}

// Checks the Install hand-over: signed, for this client, issued by the Plugboard this
// plugin was configured with (never an address taken from the link), not expired.
function verifyHandover(token, client) {
  const claims = signedClaims(token, client);
  const valid = claims && claims.iss === plugboard && claims.aud === client.clientId && claims.exp > Date.now() / 1000 && claims.install;
  return valid ? claims : null;
}

async function readBody(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}
const readJson = async (req) => JSON.parse(await readBody(req));
const readForm = async (req) => new URLSearchParams(await readBody(req));

const page = (res, status, title, body) => {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><title>${title}</title><h1>${title}</h1>${body}`);
};
const json = (res, status, value, headers = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(value));
};
const redirect = (res, location, status = 303) => {
  res.writeHead(status, { location });
  res.end();
};
const notFound = (res) => page(res, 404, "Not found", "");
// A page whose form posts back to the same address, query included, with these buttons.
const confirmPage = (res, url, title, buttons) =>
  page(res, 200, title, `<form method="post" action="${escapeHtml(url.pathname + url.search)}">${buttons}</form>`);

// --- The plugin server contract: every call carries Plugboard's JWT for this plugin. ---

// Wraps a handler of /p/{name}/…/{slug} so that it runs only for a known plugin called
// with its own slug and a valid JWT; it gets { url, name, client, claims, token }.
const withJwt = (handler) => async (req, res, url, name, slug) => {
  const client = clientOf(name);
  if (!client || slug !== name) return notFound(res);
  const token = bearer(req);
  const claims = verifyJwt(token, client);
  if (!claims) return page(res, 401, "Unauthorized", "");
  return handler(req, res, { url, name, client, claims, token });
};

const licenseStatus = withJwt((req, res) =>
  json(res, 200, {
    licenseStatus: false,
    licenseStatusDescription: "Your **trial has ended**. [See plans](https://pay.example.com/plans)",
    errorMessage: "Payment required: the card on file was declined.",
  }),
);

const checkAuth = withJwt((req, res, { client, claims }) => json(res, 200, { successful: client.connected.has(userKey(claims)) }));

// The Connect button's target: a one-time ticket stands for the user, so the page it
// opens (in the user's browser, without Plugboard's JWT) knows whom to connect.
const generateAuthUrl = withJwt((req, res, { name, client, claims }) => {
  const ticket = random();
  tickets.set(ticket, { client, user: userKey(claims) });
  json(res, 200, { authUrl: `${base}/p/${name}/authorize?ticket=${ticket}` });
});

const logout = withJwt(async (req, res, { client, claims, token }) => {
  const { jwtToken } = await readJson(req);
  if (jwtToken !== token) return json(res, 400, { error: "jwtToken is not the token the request carries" });
  client.connected.delete(userKey(claims));
  json(res, 200, {});
});

// The Connect page (GET) and its Authorize button (POST), for a ticket this plugin handed
// out and that is not used yet.
function connect(req, res, url, name) {
  const ticket = url.searchParams.get("ticket");
  const entry = tickets.get(ticket);
  if (!entry || entry.client !== clientOf(name)) return page(res, 400, "This link has expired", "");
  if (req.method !== "POST") return confirmPage(res, url, "Connect your Demo account", `<button type="submit">Authorize</button>`);
  tickets.delete(ticket);
  entry.client.connected.add(entry.user);
  redirect(res, `${plugboard}/installed`);
}

// Content processing: a task's estimate at once, or (for slow-…) an in-depth review that
// is posted to the job later, with the plugin's own access token for the JWT's tenant.
const processContent = withJwt(async (req, res, { name, client, claims }) => {
  const { jobId, content } = await readJson(req);
  const title = content?.task?.title;
  if (typeof title !== "string" || typeof jobId !== "string") return json(res, 400, { error: "expected a jobId and a task" });
  if (!name.startsWith("slow-")) return json(res, 200, { message: `Estimated "${title}": about 2 hours.` });
  json(res, 202, { jobId });
  setTimeout(() => {
    completeJob(client.accessTokens.get(claims.tid), jobId, { message: `Reviewed "${title}" in depth: looks good.` }).catch((e) =>
      console.error(`demo plugin ${name}: job ${jobId} not completed: ${e.message}`),
    );
  }, SLOW_JOB_MS);
});

async function completeJob(accessToken, jobId, result) {
  if (!accessToken) throw new Error("no access token for the tenant: was the plugin installed through this server?");
  const answer = await fetch(`${plugboard}/api/v1/jobs/${encodeURIComponent(jobId)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({ status: "done", result }),
  });
  if (!answer.ok) throw new Error(`HTTP ${answer.status}: ${await answer.text()}`);
}

// --- An OAuth 2.0 provider (RFC 6749 with PKCE, RFC 7636): the plugin's own service, with
// Plugboard as its client when the plugin is registered with an oauth_config. ---

// The authorization request in the query, or the problem with it. A bad client or
// redirect URI is shown, never redirected to; other problems go back to the client.
function authorizationRequest(url) {
  const q = url.searchParams;
  const redirectUri = q.get("redirect_uri") ?? "";
  if (q.get("client_id") !== SERVICE_CLIENT.id) return { problem: "Unknown client_id." };
  if (!/^https?:\/\//.test(redirectUri)) return { problem: "redirect_uri must be an http(s) URL." };
  const request = { redirectUri, state: q.get("state"), challenge: q.get("code_challenge"), scope: q.get("scope") ?? "" };
  if (q.get("response_type") !== "code") return { ...request, error: "unsupported_response_type" };
  if (q.get("code_challenge_method") !== "S256" || !request.challenge) return { ...request, error: "invalid_request" };
  return request;
}

// Back to the client's redirect URI with these parameters (and its state, if it sent one).
function backToClient(res, { redirectUri, state }, params) {
  const target = new URL(redirectUri);
  for (const [k, v] of Object.entries({ ...params, ...(state ? { state } : {}) })) target.searchParams.set(k, v);
  redirect(res, target.toString());
}

// The consent page (GET) and its Authorize and Deny buttons (POST, the query kept).
async function providerAuthorize(req, res, url, name) {
  const request = authorizationRequest(url);
  if (request.problem) return page(res, 400, "Invalid authorization request", `<p id="error">${escapeHtml(request.problem)}</p>`);
  if (request.error) return backToClient(res, request, { error: request.error });
  if (req.method !== "POST") {
    return confirmPage(
      res,
      url,
      "Authorize Plugboard",
      `<p>Plugboard asks to use your Demo account (${escapeHtml(request.scope)}).</p>` +
        `<button type="submit" name="decision" value="allow">Authorize</button> ` +
        `<button type="submit" name="decision" value="deny">Deny</button>`,
    );
  }
  if ((await readForm(req)).get("decision") !== "allow") return backToClient(res, request, { error: "access_denied" });
  const code = random("svc_code_");
  const { redirectUri, challenge, scope } = request;
  codes.set(code, { name, clientId: SERVICE_CLIENT.id, redirectUri, challenge, scope, expiresAt: Date.now() + CODE_TTL_MS });
  backToClient(res, request, { code });
}

// The client's id if it authenticated with HTTP Basic or client_secret_post, else null.
function authenticatedClient(req, form) {
  let id = form.get("client_id");
  let secret = form.get("client_secret");
  const basic = (req.headers.authorization ?? "").match(/^Basic (.+)$/i);
  if (basic) {
    // RFC 6749 §2.3.1: each half is form-urlencoded before the pair is base64-encoded.
    const pair = Buffer.from(basic[1], "base64").toString();
    const colon = pair.indexOf(":");
    const decode = (s) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, " "));
      } catch {
        return null; // not percent-encoded properly: no client
      }
    };
    [id, secret] = colon < 0 ? [null, null] : [decode(pair.slice(0, colon)), decode(pair.slice(colon + 1))];
  }
  return id === SERVICE_CLIENT.id && secret && sameSecret(secret, SERVICE_CLIENT.secret) ? id : null;
}

const tokenError = (res, status, error) =>
  json(res, status, { error }, { "cache-control": "no-store", ...(status === 401 ? { "www-authenticate": 'Basic realm="demo"' } : {}) });

// A fresh token pair; the refresh token is single use (rotated at each refresh).
function issueTokens(res, name, scope) {
  const refreshToken = random("svc_rt_");
  refreshTokens.set(refreshToken, { name, scope });
  json(
    res,
    200,
    { access_token: random("svc_at_"), token_type: "Bearer", expires_in: 3600, refresh_token: refreshToken, ...(scope ? { scope } : {}) },
    { "cache-control": "no-store" },
  );
}

// Takes a single-use grant out of its map, so a second attempt finds nothing.
const takeOnce = (map, key) => {
  const entry = map.get(key);
  map.delete(key);
  return entry;
};

async function providerToken(req, res, url, name) {
  const form = await readForm(req);
  const clientId = authenticatedClient(req, form);
  if (!clientId) return tokenError(res, 401, "invalid_client");
  switch (form.get("grant_type")) {
    case "authorization_code": {
      const grant = takeOnce(codes, form.get("code"));
      const valid =
        grant &&
        grant.name === name &&
        grant.clientId === clientId &&
        grant.expiresAt > Date.now() &&
        grant.redirectUri === form.get("redirect_uri") &&
        sameSecret(s256(form.get("code_verifier") ?? ""), grant.challenge);
      return valid ? issueTokens(res, name, grant.scope) : tokenError(res, 400, "invalid_grant");
    }
    case "refresh_token": {
      const grant = takeOnce(refreshTokens, form.get("refresh_token"));
      return grant && grant.name === name ? issueTokens(res, name, grant.scope) : tokenError(res, 400, "invalid_grant");
    }
    default:
      return tokenError(res, 400, "unsupported_grant_type");
  }
}

// --- Installing: the Install hand-over, then the OAuth callback from Plugboard. ---

async function installCallback(req, res, url, client) {
  const { clientId, clientSecret } = client;
  const redirectUri = base + url.pathname;
  const q = url.searchParams;
  if (q.has("install_token")) {
    if (!verifyHandover(q.get("install_token"), client)) {
      return page(res, 400, "Install refused", `<p id="error">This install link was not signed by the Plugboard this plugin works with, or it expired.</p>`);
    }
    const state = b64url(crypto.randomBytes(16));
    const verifier = b64url(crypto.randomBytes(32));
    pending.set(state, verifier);
    const authorize = new URL("/oauth/authorize", plugboard);
    for (const [k, v] of Object.entries({
      response_type: "code",
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: client.scope,
      state,
      code_challenge: s256(verifier),
      code_challenge_method: "S256",
    })) authorize.searchParams.set(k, v);
    return redirect(res, authorize.toString(), 302);
  }
  if (q.has("error")) return page(res, 200, "Installation cancelled", `<p id="error">${escapeHtml(q.get("error"))}</p>`);
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
  if (!answer.ok) return page(res, 502, "Token exchange failed", `<p id="error">${escapeHtml(tokens.error)}</p>`);
  const api = (path, init = {}) =>
    fetch(`${plugboard}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${tokens.access_token}`, "content-type": "application/json" },
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
  const apiFailed = (call) => page(res, 502, "API call failed", `<p id="error">${escapeHtml(JSON.stringify(call.body))}</p>`);
  // The token answer does not name the tenant; the installation does. Jobs finish later
  // with the token of the tenant named in Plugboard's JWT (its tid).
  const installation = await api("/installation");
  if (installation.status !== 200) return apiFailed(installation);
  client.accessTokens.set(String(installation.body.tenant_id), tokens.access_token);
  client.refreshTokens.set(String(installation.body.tenant_id), tokens.refresh_token);
  client.lastTenant = String(installation.body.tenant_id);
  // The organisation's settings, as its admin saved them before the code came: shown (a
  // secret only as received) so a test sees that the plugin read them.
  const settings = await api("/installation/settings");
  if (settings.status !== 200) return apiFailed(settings);
  const shownSettings = Object.fromEntries(
    Object.entries(settings.body.settings).map(([k, v]) => [k, /key|secret|token/.test(k) ? "(received)" : v]),
  );
  // Straight away, the plugin does its job through the REST API: a task in the
  // organisation's newest open project (the list is oldest first), if it was granted what
  // that takes (a plugin that only reads tasks, such as a client-side one, adds nothing
  // and says so).
  const granted = new Set(String(tokens.scope ?? "").split(" "));
  let outcome = "Not allowed to add tasks";
  let createdIn = "";
  if (granted.has("read:projects") && granted.has("write:tasks")) {
    const projects = await api("/projects?archived=false&limit=100");
    if (projects.status !== 200) return apiFailed(projects);
    const project = projects.body.data.at(-1);
    // An organisation without projects gets no task, and the plugin says so.
    const created = project
      ? await api("/tasks", { method: "POST", body: JSON.stringify({ project_id: project.id, title: "Log this week's hours" }) })
      : null;
    if (created && created.status !== 201) return apiFailed(created);
    outcome = created ? created.body.title : "No project to add a task to";
    createdIn = project ? project.name : "";
  }
  page(
    res,
    200,
    "Connected to Plugboard",
    `<p id="scope">${escapeHtml(tokens.scope)}</p><p id="created-task">${escapeHtml(outcome)}</p><p id="created-in">${escapeHtml(createdIn)}</p>` +
      `<p id="settings">${escapeHtml(JSON.stringify(shownSettings))}</p><p id="missing">${escapeHtml(settings.body.missing.join(" "))}</p>` +
      `<p><a href="${plugboard}/installed">Back to Plugboard</a></p>`,
  );
}

// The plugin counts the tasks of the tenant it was installed in last, as a plugin would
// on a schedule: it refreshes its token first (a refresh carries what the tenant grants
// now, an approved update included), then calls the API. The page says what came back.
async function countTasks(req, res, url, name) {
  const client = clientOf(name);
  const tenant = client?.lastTenant;
  if (!tenant) return notFound(res);
  const answer = await fetch(`${plugboard}/oauth/token`, {
    method: "POST",
    headers: {
      authorization: "Basic " + Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64"),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: client.refreshTokens.get(tenant) }),
  });
  const tokens = await answer.json();
  if (!answer.ok) return page(res, 502, "Refresh failed", `<p id="error">${escapeHtml(tokens.error)}</p>`);
  client.accessTokens.set(tenant, tokens.access_token);
  client.refreshTokens.set(tenant, tokens.refresh_token);
  const tasks = await fetch(`${plugboard}/api/v1/tasks?limit=100`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  const body = await tasks.json();
  const outcome = tasks.ok ? `${body.data.length} tasks` : body.error?.code;
  page(res, 200, "Task count", `<p id="status">${tasks.status}</p><p id="scope">${escapeHtml(tokens.scope)}</p><p id="outcome">${escapeHtml(outcome)}</p>`);
}

// --- Routing: [method ("*" for any), path pattern, handler(req, res, url, ...captures)]. ---

const NAME = "([a-z0-9-]+)";
const routes = [
  // Open to any origin: a client-side plugin's sandboxed frame (origin "null") that
  // declared this server fetches it to show its CSP lets declared origins through.
  [
    "GET",
    /^\/healthz$/,
    (req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "access-control-allow-origin": "*" });
      res.end("ok");
    },
  ],
  ["GET", /^\/callback$/, (req, res, url) => installCallback(req, res, url, clients.get("/callback"))],
  [
    "POST",
    new RegExp(`^/p/${NAME}/credentials$`),
    async (req, res, url, name) => {
      clients.set(`/p/${name}/callback`, newClient(await readJson(req)));
      page(res, 200, "Configured", "");
    },
  ],
  [
    "GET",
    new RegExp(`^/p/${NAME}/callback$`),
    (req, res, url, name) => (clientOf(name) ? installCallback(req, res, url, clientOf(name)) : notFound(res)),
  ],
  ["GET", new RegExp(`^/p/${NAME}/count-tasks$`), countTasks],
  ["GET", new RegExp(`^/p/${NAME}/plugins/licenseStatus/${NAME}$`), licenseStatus],
  ["GET", new RegExp(`^/p/${NAME}/plugins/checkAuth/${NAME}$`), checkAuth],
  ["GET", new RegExp(`^/p/${NAME}/plugins/generateAuthUrl/${NAME}$`), generateAuthUrl],
  ["POST", new RegExp(`^/p/${NAME}/plugins/logout/${NAME}$`), logout],
  ["POST", new RegExp(`^/p/${NAME}/plugin/${NAME}$`), processContent],
  ["*", new RegExp(`^/p/${NAME}/authorize$`), connect],
  ["*", new RegExp(`^/p/${NAME}/oauth/authorize$`), providerAuthorize],
  ["POST", new RegExp(`^/p/${NAME}/oauth/token$`), providerToken],
  // A plugin that has shut its webhook endpoint down: 410 Gone.
  [
    "*",
    new RegExp(`^/p/${NAME}/webhooks$`),
    (req, res) => {
      res.writeHead(410, { "content-type": "text/plain" });
      res.end("this endpoint is gone");
    },
  ],
];

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, base);
    try {
      for (const [method, pattern, handler] of routes) {
        const match = url.pathname.match(pattern);
        if (match && (method === "*" || method === req.method)) return await handler(req, res, url, ...match.slice(1));
      }
      notFound(res);
    } catch (e) {
      // A malformed request must not take the server (and every later test) down.
      console.error(`demo plugin: ${req.method} ${url.pathname}: ${e.message}`);
      if (!res.headersSent) e instanceof SyntaxError ? page(res, 400, "Bad request", "") : page(res, 500, "Server error", "");
    }
  })
  .listen(port, "127.0.0.1");
