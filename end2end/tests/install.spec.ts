import { expect, test } from "@playwright/test";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PLUGIN_SERVER, hydrated, signIn } from "./helpers";

// The demo plugin server (demo-plugin.mjs) is registered as "timesheet-bridge".
test("an admin installs a plugin through the consent page, sees it installed, and uninstalls it", async ({ page }) => {
  await signIn(page, "admin@acme.test");
  await page.goto("/marketplace/timesheet-bridge");
  await hydrated(page);
  await page.getByTestId("install").click();

  // The plugin starts the authorization; Plugboard asks for consent.
  const consent = page.getByTestId("consent");
  await expect(consent).toBeVisible();
  await expect(consent.getByRole("heading", { level: 1 })).toHaveText("Install Timesheet Bridge for Acme Corp?");
  await expect(consent.getByText("Verified")).toBeVisible();
  await expect(consent.locator("[data-scope]")).toHaveCount(2);
  await expect(consent.getByText("Create, edit, move and delete tasks in your projects.")).toBeVisible();
  await page.getByRole("button", { name: "Allow" }).click();

  // Back at the plugin, which exchanged its code for tokens.
  await expect(page.getByRole("heading", { name: "Connected to Plugboard" })).toBeVisible();
  await expect(page.locator("#scope")).toHaveText("read:projects write:tasks");
  await expect(page.locator("#created-task")).toHaveText("Log this week's hours");
  await page.getByRole("link", { name: "Back to Plugboard" }).click();

  await hydrated(page);
  const row = page.locator('[data-installed="timesheet-bridge"]');
  await expect(row).toBeVisible();
  await expect(row).toContainText("by Bridgeworks");
  await expect(row).toContainText("Installed");
  await expect(row).toContainText("write:tasks");

  await page.goto("/marketplace?q=timesheet");
  await expect(page.locator('[data-plugin-slug="timesheet-bridge"]')).toContainText("Installed");

  // The task the plugin created through the API, marked as its work.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
  const task = page.locator(".task-row", { hasText: "Log this week's hours" });
  await expect(task).toContainText("Added by Timesheet Bridge");
  await expect(task).toContainText("To do");

  await page.goto("/installed");
  await hydrated(page);
  await row.getByRole("button", { name: "Uninstall" }).click();
  await expect(row.getByRole("alertdialog")).toContainText("Uninstall Timesheet Bridge?");
  await row.getByRole("button", { name: "Yes, uninstall" }).click();
  await expect(row).toHaveCount(0);
  await page.reload();
  await expect(page.locator('[data-installed="timesheet-bridge"]')).toHaveCount(0);
});

test("Deny sends the admin back to the plugin with access_denied", async ({ page }) => {
  await signIn(page, "owner@acme.test");
  await page.goto("/marketplace/timesheet-bridge");
  await hydrated(page);
  await page.getByTestId("install").click();
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page.locator("#error")).toHaveText("access_denied");
});

test("a member sees why they cannot install", async ({ page }) => {
  await signIn(page, "member@acme.test");
  await page.goto("/marketplace/timesheet-bridge");
  await expect(page.getByText("Only owners and admins of your organisation can install plugins.")).toBeVisible();
});

test("a signed-out admin signs in on the way and comes back to the consent page", async ({ page }) => {
  await page.goto("/marketplace/timesheet-bridge/install");
  await expect(page).toHaveURL(/\/signin\?next=/);
  await hydrated(page);
  await page.getByLabel("Email").fill("admin@acme.test");
  await page.getByLabel("Password").fill("plugboard-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("consent")).toBeVisible();
});

// The hand-over is one token signed with the plugin's secret: a link anyone can forge,
// or one that expired, is refused by the plugin (which never takes Plugboard's address
// from the link), and a genuine one still starts the install.
test("the demo plugin refuses a forged or expired Install hand-over", async ({ page, baseURL }) => {
  const plugin = JSON.parse(readFileSync(path.join(__dirname, "../.tmp/plugin.json"), "utf8"));
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: baseURL, aud: plugin.client_id, sub: "1", tid: "1", install: "timesheet-bridge", iat: now, exp: now + 300, jti: "t" };
  const forgedIssuer = { ...claims, iss: "http://127.0.0.1:9/fake-plugboard" };
  const expired = { ...claims, iat: now - 900, exp: now - 600 };
  const attempts = [
    sign(claims, "whsec_" + Buffer.alloc(32, 7).toString("base64")), // a stranger's key
    sign(forgedIssuer, plugin.webhook_secret), // a fake Plugboard
    sign(expired, plugin.webhook_secret),
    "not-a-token",
  ];
  for (const token of attempts) {
    const answer = await page.goto(`${PLUGIN_SERVER}/callback?install_token=${encodeURIComponent(token)}`);
    expect(answer?.status()).toBe(400);
    await expect(page.locator("#error")).toContainText("not signed by the Plugboard this plugin works with");
  }
  // The real Install button's hand-over goes through to the consent screen.
  await signIn(page, "admin@acme.test");
  await page.goto("/marketplace/timesheet-bridge/install");
  await expect(page.getByTestId("consent")).toBeVisible();
});

function sign(claims: object, secret: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `${input}.${createHmac("sha256", key).update(input).digest("base64url")}`;
}
