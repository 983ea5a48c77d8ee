import { expect, test } from "@playwright/test";
import { hydrated, registerAndInstall, signIn } from "./helpers";

// A plugin declares settings; right after Allow, Acme's admin lands on the Settings form
// Plugboard made from the schema, gets a field's message from the server, fixes it and is
// handed on to the plugin, which reads what was saved with its token. Then the settings
// are changed on Installed plugins, a member reads them (never the secret), and the form
// works before hydration too.
const SCHEMA = JSON.stringify({
  type: "object",
  properties: {
    channel: { type: "string", title: "Channel", pattern: "^#[a-z0-9-]+$", description: "Where the digest is posted, such as #releases." },
    project: { type: "integer", "x-source": "projects", title: "Project to watch" },
    api_key: { type: "string", title: "API key", "x-secret": true },
    digest: { type: "string", title: "Digest", enum: ["daily", "hourly"], default: "daily" },
  },
  required: ["channel", "project", "api_key"],
});

test.describe.serial("installation settings", () => {
  test("required settings come right after consent, are checked on the server and reach the plugin", async ({ page, request }) => {
    await registerAndInstall(page, request, { slug: "channel-digest", name: "Channel Digest", scopes: ["read:tasks"], installIn: "acme", settingsSchema: SCHEMA });

    await expect(page).toHaveURL(/\/installed\/channel-digest\/settings\?setup=pbst_/);
    await hydrated(page);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Set up Channel Digest");
    await expect(page.getByTestId("setup-notice")).toBeVisible();
    await page.getByLabel("Channel (required)").fill("releases");
    await page.getByLabel("Project to watch (required)").selectOption({ label: "Website relaunch" });
    await page.getByLabel("API key (required)").fill("sk_demo_4242");
    await page.getByRole("button", { name: "Save and continue" }).click();
    await expect(page.locator('.field-error[data-field="channel"]')).toHaveText("Enter a value that matches the pattern ^#[a-z0-9-]+$.");
    await expect(page.getByTestId("settings-error")).toContainText("One setting needs attention");
    await expect(page.getByLabel("Project to watch (required)")).toHaveValue(/\d+/);

    await page.getByLabel("Channel (required)").fill("#releases");
    await page.getByRole("button", { name: "Save and continue" }).click();
    await expect(page.getByRole("heading", { name: "Connected to Plugboard" })).toBeVisible();
    const read = JSON.parse(await page.locator("#settings").innerText());
    expect(read).toMatchObject({ channel: "#releases", digest: "daily", api_key: "(received)" });
    expect(typeof read.project).toBe("number");
    await expect(page.locator("#missing")).toHaveText("");

    // Later, on Installed plugins: the secret shows only as set, and a change is saved.
    await page.goto("/installed");
    await hydrated(page);
    const row = page.locator('[data-installed="channel-digest"]');
    await expect(row.getByTestId("finish-setup")).toHaveCount(0);
    await row.getByTestId("settings-link").click();
    await expect(page).toHaveURL(/\/installed\/channel-digest\/settings$/);
    // The settings form is an island with the data it was rendered with: a page of its own.
    await hydrated(page);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Channel Digest settings");
    await expect(page.getByTestId("secret-api_key")).toContainText("Set.");
    await expect(page.getByLabel("API key (required)")).toHaveValue("");
    await expect(page.getByLabel("Channel (required)")).toHaveValue("#releases");
    await page.getByLabel("Digest").selectOption("hourly");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByTestId("settings-saved")).toHaveText("Saved. The plugin was told that digest changed.");
    expect(await page.content()).not.toContain("sk_demo_4242");

    // A member reads the values, never the secret's.
    await signIn(page, "member@acme.test");
    await page.goto("/installed/channel-digest/settings");
    await hydrated(page);
    const values = page.getByTestId("settings-values");
    await expect(values.locator('[data-setting="channel"]')).toHaveText("#releases");
    await expect(values.locator('[data-setting="digest"]')).toHaveText("hourly");
    await expect(values.locator('[data-setting="project"]')).toHaveText("Website relaunch");
    await expect(values.locator('[data-setting="api_key"]')).toHaveText("Set (hidden)");
    await expect(page.getByRole("button", { name: "Save settings" })).toHaveCount(0);
  });

  test("before hydration (JavaScript off) the settings form is a plain form with the server's messages", async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto("/signin");
    await page.getByLabel("Email").fill("admin@acme.test");
    await page.getByLabel("Password").fill("plugboard-demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.goto("/installed/channel-digest/settings");
    await page.getByLabel("Channel (required)").fill("no hash");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.locator('.field-error[data-field="channel"]')).toHaveText("Enter a value that matches the pattern ^#[a-z0-9-]+$.");
    await page.getByLabel("Channel (required)").fill("#ops");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.locator('.field-error[data-field="channel"]')).toHaveCount(0);
    await page.goto("/installed/channel-digest/settings");
    await expect(page.getByLabel("Channel (required)")).toHaveValue("#ops");
    await context.close();
  });
});
