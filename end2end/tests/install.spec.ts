import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./helpers";

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
