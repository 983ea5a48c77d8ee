import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PLUGIN_SERVER, hydrated, signIn } from "./helpers";

// Issue 20's "done when": from nothing to a customer's install before staff review. A
// developer registers a draft (served by the demo plugin server), invites Acme; Acme's admin
// makes a project on /projects, accepts the invite and installs the draft through the
// consent screen; the plugin creates a task in that project. Then `server plugins diff`
// says a scope addition needs Acme's re-consent and a description edit is live now.
test("a developer's draft reaches a customer's organisation and the CLI says how changes would reach it", async ({ browser, baseURL }) => {
  const slug = "journey-robot";
  const served = `${PLUGIN_SERVER}/p/${slug}`;
  const developer = await (await browser.newContext()).newPage();
  const admin = await (await browser.newContext()).newPage();

  // The developer registers the plugin and configures its server with the secrets shown once.
  await signIn(developer, "developer@partners.test");
  await developer.goto("/developer/new");
  await hydrated(developer);
  await developer.locator("#plugin-name").fill("Journey Robot");
  await developer.locator("#plugin-slug").fill(slug);
  await developer.locator("#plugin-description").fill("Adds a task where you start work.");
  await developer.locator("#plugin-category").selectOption("productivity");
  await developer.locator("#scope-read-projects").check();
  await developer.locator("#scope-write-tasks").check();
  await developer.locator("#plugin-redirect-uris").fill(`${served}/callback`);
  await developer.getByRole("button", { name: "Register plugin" }).click();
  const secrets = developer.getByTestId("secrets");
  await expect(secrets).toBeVisible();
  const configured = await developer.request.post(`${served}/credentials`, {
    data: {
      client_id: await secrets.getByTestId("client-id").innerText(),
      client_secret: await secrets.getByTestId("client-secret").innerText(),
      webhook_secret: await secrets.getByTestId("webhook-secret").innerText(),
      scope: "read:projects write:tasks",
    },
  });
  expect(configured.ok()).toBeTruthy();

  // It invites Acme under Test installs.
  await developer.goto(`/developer/plugins/${slug}`);
  await hydrated(developer);
  await developer.getByLabel("Organisation's name on Plugboard").fill("Acme Corp");
  await developer.getByRole("button", { name: "Create invite link" }).click();
  const invite = await developer.getByTestId("invite-link").locator("code").innerText();
  expect(invite).toMatch(/\/invites\/pbi_/);
  await expect(developer.locator('[data-invite="Acme Corp"]')).toContainText("Waiting for acceptance");

  // Acme's admin makes a project, accepts the invite and installs the test version.
  await signIn(admin, "admin@acme.test");
  await admin.goto("/projects");
  await hydrated(admin);
  await admin.getByLabel("New project").fill("Journey launch");
  await admin.getByRole("button", { name: "Add project" }).click();
  await expect(admin.getByRole("heading", { name: "Journey launch" })).toBeVisible();
  await admin.goto(invite);
  await hydrated(admin);
  await expect(admin.getByRole("heading", { level: 1 })).toHaveText("Try Journey Robot before it is published");
  await admin.getByTestId("invite-accept").click();
  await expect(admin.getByTestId("invite-accepted")).toBeVisible();
  await admin.getByTestId("invite-install").click();
  await expect(admin.getByTestId("consent-test-version")).toBeVisible();
  await admin.getByRole("button", { name: "Allow" }).click();
  await expect(admin.getByRole("heading", { name: "Connected to Plugboard" })).toBeVisible();
  await expect(admin.locator("#created-task")).toHaveText("Log this week's hours");
  await expect(admin.locator("#created-in")).toHaveText("Journey launch");

  // The task is in Acme's new project, marked as the plugin's work; the install is a test version.
  await admin.goto("/projects");
  const board = admin.locator("section.project-board", { has: admin.getByRole("heading", { name: "Journey launch" }) });
  await expect(board.locator(".task-row", { hasText: "Log this week's hours" })).toContainText("Added by Journey Robot");
  await admin.goto("/installed");
  await expect(admin.locator(`[data-installed="${slug}"]`).getByTestId("test-version")).toBeVisible();
  await expect(developer.locator('[data-invite="Acme Corp"]')).toHaveCount(1);
  await developer.reload();
  await expect(developer.locator('[data-invite="Acme Corp"]')).toContainText("Installed");

  // The developer makes a token, exports the manifest, and asks what an edit would do.
  await developer.goto("/developer");
  await hydrated(developer);
  await developer.getByLabel("What it is for").fill("Journey");
  await developer.getByRole("button", { name: "Create token" }).click();
  const token = await developer.getByTestId("new-developer-token").locator("code").innerText();
  const exported = await developer.request.get(`/developer/plugins/${slug}/plugboard.toml`);
  expect(exported.ok()).toBeTruthy();
  const manifest = (await exported.text())
    .replace('description = "Adds a task where you start work."', 'description = "Adds a task where your team starts work."')
    .replace('scopes = ["read:projects", "write:tasks"]', 'scopes = ["read:projects", "write:tasks", "read:users"]');
  expect(manifest).toContain("read:users");
  expect(manifest).toContain("your team");
  const dir = mkdtempSync(path.join(os.tmpdir(), "plugboard-journey-"));
  try {
    writeFileSync(path.join(dir, "plugboard.toml"), manifest);
    const out = execFileSync(path.join(__dirname, "..", "..", "target", "release", "server"), ["plugins", "diff", "--manifest", path.join(dir, "plugboard.toml")], {
      env: { ...process.env, PLUGBOARD_URL: baseURL, PLUGBOARD_DEVELOPER_TOKEN: token, RUST_LOG: "error" },
      timeout: 30_000,
    }).toString();
    const lines = out.split("\n");
    const reachOf = (field: string) => lines[lines.findIndex((l) => l.includes(field)) + 1] ?? "";
    expect(reachOf("Description:")).toContain("[live now]");
    expect(reachOf("Scopes added: + read:users")).toContain("needs re-consent by installers");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
