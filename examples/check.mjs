// Runs one sample plugin through what a customer does, against a running Plugboard with
// the demo data, and checks what the plugin says it did: Acme's admin clicks Install, the
// plugin checks the hand-over and starts the authorization, the admin allows, the plugin
// exchanges the code, calls the API (a task in Acme's first project), refreshes, and
// verifies the signed plugin.installed webhook; a forged hand-over and a forged webhook
// are refused. Node's standard library only.
//
//   node check.mjs <plugboard-url> <plugin-url> <slug> "<task title>"
const [plugboard, plugin, slug, title] = process.argv.slice(2);
if (!title) {
  console.error("usage: node check.mjs <plugboard-url> <plugin-url> <slug> <task title>");
  process.exit(2);
}
const TIMEOUT_MS = 15_000;
let cookie = "";

async function call(url, init = {}) {
  const headers = { ...(init.headers ?? {}), ...(url.startsWith(plugboard) && cookie ? { cookie } : {}) };
  const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS), ...init, headers });
  const set = response.headers.get("set-cookie");
  if (set && url.startsWith(plugboard)) cookie = set.split(";")[0];
  return response;
}

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log(`  ok: ${what}`);
}

async function follow(response, expected) {
  check([301, 302, 303, 307].includes(response.status), `${expected}: a redirect (got ${response.status})`);
  return new URL(response.headers.get("location"), plugboard).href;
}

async function main() {
  console.log(`${slug}: install, API, refresh, webhooks`);
  const signedIn = await call(`${plugboard}/rpc/sign_in`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", origin: plugboard },
    body: new URLSearchParams({ email: "admin@acme.test", password: "plugboard-demo" }),
  });
  check(signedIn.ok && cookie.startsWith("pb_session="), "Acme's admin signs in");

  // Install: Plugboard hands over to the plugin, which starts the authorization.
  const handover = await follow(await call(`${plugboard}/marketplace/${slug}/install`), "Install");
  check(handover.startsWith(`${plugin}/callback?install_token=`), "Install hands over to the plugin's first redirect URI");
  const forged = await call(`${plugin}/callback?install_token=${encodeURIComponent("eyJhbGciOiJIUzI1NiJ9.e30.forged")}`);
  check(forged.status === 400, "the plugin refuses a forged hand-over");
  const authorize = await follow(await call(handover), "the plugin");
  check(authorize.startsWith(`${plugboard}/oauth/authorize?`) && authorize.includes("code_challenge_method=S256"), "the plugin asks Plugboard for a code with PKCE");
  const consentPage = await call(authorize);
  const html = await consentPage.text();
  const consent = html.match(/name="consent" value="([^"]+)"/)?.[1];
  check(consentPage.status === 200 && consent, "Plugboard shows the consent screen");
  const allowed = await call(`${plugboard}/oauth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: plugboard },
    body: new URLSearchParams({ consent, decision: "allow" }),
  });
  const back = await follow(allowed, "Allow");
  check(back.startsWith(`${plugin}/callback?code=`), "Allow sends the code to the plugin");
  const installed = await call(back);
  const page = await installed.text();
  check(installed.status === 200 && page.includes("Installed in Acme Corp"), `the plugin installed (${installed.status}: ${page.slice(0, 200)})`);

  // What the plugin did, and what Plugboard shows of it.
  let status;
  const until = Date.now() + TIMEOUT_MS;
  do {
    status = await (await call(`${plugin}/status`)).json();
    if (status.webhooks.includes("plugin.installed")) break;
    await new Promise((r) => setTimeout(r, 200));
  } while (Date.now() < until);
  const done = status.installs.at(-1) ?? {};
  check(done.scope === "read:projects write:tasks", "the grant carries the asked scopes");
  check(Number.isInteger(done.task_id), "the plugin created a task through the API");
  check(done.refreshed === true, "the plugin refreshed its token and called the API with the new one");
  check(status.webhooks.includes("plugin.installed"), "the plugin verified the signature of plugin.installed");
  const projects = await (await call(`${plugboard}/projects`)).text();
  check(projects.includes(title), `Acme's Projects page shows "${title}"`);
  const forgedHook = await call(`${plugin}/webhooks`, {
    method: "POST",
    headers: { "content-type": "application/json", "webhook-id": "msg_forged", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,Zm9yZ2Vk" },
    body: JSON.stringify({ type: "plugin.uninstalled", timestamp: new Date().toISOString(), data: {} }),
  });
  check(forgedHook.status === 401, "the plugin refuses a webhook that Plugboard did not sign");
}

main().catch((e) => {
  console.error(`FAILED: ${e.message}`);
  process.exit(1);
});
