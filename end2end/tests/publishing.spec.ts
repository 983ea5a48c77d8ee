import { expect, test } from "@playwright/test";
import { hydrated, PLUGIN_SERVER, registerAndInstall, signIn } from "./helpers";

// One plugin's life: a developer registers and submits it, staff publish it, a tenant
// admin installs and reviews it (a member may do neither), and the developer sees the
// install in the chart and answers the review.
test("a plugin goes from registration through review to installs, a review and a reply", async ({ page, request }) => {
  const callback = `${PLUGIN_SERVER}/p/standup-digest/callback`;

  // The developer registers the plugin; the form names what is wrong, on its field.
  await signIn(page, "developer@partners.test");
  await page.goto("/developer");
  await hydrated(page);
  await page.getByRole("link", { name: "Register a plugin" }).click();
  await expect(page.getByRole("heading", { name: "Register a plugin" })).toBeVisible();
  await page.locator("#plugin-name").fill("Standup Digest");
  await page.locator("#plugin-slug").fill("standup-digest");
  await page.locator("#plugin-description").fill("A **daily digest** of what moved, for your standup.");
  await expect(page.locator("#plugin-author")).toHaveValue("Dana Developer");
  await page.locator("#plugin-category").selectOption("communication");
  await page.locator("#scope-read-projects").check();
  await page.locator("#scope-write-tasks").check();
  await page.locator("#plugin-redirect-uris").fill("http://digest.example.com/callback");
  await page.getByRole("button", { name: "Register plugin" }).click();
  await expect(page.locator('.field-error[data-field="redirect_uris"]')).toContainText("must use https");
  await page.locator("#plugin-redirect-uris").fill(callback);
  await page.getByRole("button", { name: "Register plugin" }).click();

  // The secrets, shown once, go into the plugin server's configuration.
  const secrets = page.getByTestId("secrets");
  await expect(secrets).toBeVisible();
  const clientId = await secrets.getByTestId("client-id").innerText();
  const clientSecret = await secrets.getByTestId("client-secret").innerText();
  expect(clientSecret).toMatch(/^pbs_/);
  // The signing secret too: the plugin checks the Install hand-over with it.
  const webhookSecret = await secrets.getByTestId("webhook-secret").innerText();
  const configured = await request.post(`${PLUGIN_SERVER}/p/standup-digest/credentials`, {
    data: { client_id: clientId, client_secret: clientSecret, webhook_secret: webhookSecret },
  });
  expect(configured.ok()).toBeTruthy();

  await page.getByRole("link", { name: "Open the plugin" }).click();
  await expect(page.locator(".console-head [data-state]")).toHaveText("Draft");
  // An icon, uploaded with a plain form.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
  await page.locator("#icon-file").setInputFiles({ name: "digest.png", mimeType: "image/png", buffer: png });
  await page.getByRole("button", { name: "Upload icon" }).click();
  await expect(page.locator(".icon-upload img")).toHaveAttribute("src", /^\/icons\/standup-digest\?v=\d+$/);
  await hydrated(page);
  // The settings, uploaded icon included, still save.
  await page.locator("#plugin-description").fill("A **daily digest** of what moved, for your standup. Weekly too.");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(page.getByTestId("client-id")).toHaveText(clientId);
  await expect(page.getByText(clientSecret)).toHaveCount(0);
  await page.locator("#release-notes").fill("A **daily digest** for your standup.");
  await page.getByRole("button", { name: "Submit for review" }).click();
  await expect(page.locator(".console-head [data-state]")).toHaveText("In review");

  // Staff see it in the queue, as tenants will see it, and publish it.
  await signIn(page, "staff@plugboard.test");
  await page.goto("/admin");
  await hydrated(page);
  const queued = page.locator('[data-queue-plugin="standup-digest"]');
  await expect(queued).toContainText("by Dana Developer");
  await queued.getByRole("link", { name: "Standup Digest" }).click();
  await expect(page.getByText(callback)).toBeVisible();
  // A first version: everything it asks for is new.
  await expect(page.getByTestId("version-diff").getByRole("heading", { level: 3 })).toHaveText("Version 1 (nothing is live yet)");
  await expect(page.getByTestId("version-diff").locator('[data-scope="write:tasks"][data-change="added"]')).toBeVisible();
  await expect(page.getByTestId("version-diff")).toContainText("A **daily digest** for your standup.");
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.locator(".console-head [data-state]")).toHaveText("Published");
  await expect(page.locator('[data-decision="published"]')).toContainText("by Sam Staff");

  // A member finds it but can neither install nor review it.
  await signIn(page, "member@acme.test");
  await page.goto("/marketplace/standup-digest");
  await hydrated(page);
  await expect(page.getByText("Only owners and admins of your organisation can install plugins.")).toBeVisible();
  await expect(page.getByTestId("install")).toHaveCount(0);
  await expect(page.locator(".review-form")).toHaveCount(0);

  // An admin finds it in the marketplace, installs it and reviews it.
  await signIn(page, "admin@acme.test");
  await page.goto("/marketplace?q=standup+digest");
  await hydrated(page);
  const card = page.locator('[data-plugin-slug="standup-digest"]');
  await expect(card.locator("img.plugin-icon")).toHaveAttribute("src", /^\/icons\/standup-digest/);
  await card.getByRole("link").first().click();
  await expect(page.locator(".review-form")).toHaveCount(0);
  await page.getByTestId("install").click();
  await expect(page.getByTestId("consent")).toBeVisible();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page.getByRole("heading", { name: "Connected to Plugboard" })).toBeVisible();
  await page.goto("/marketplace/standup-digest");
  await hydrated(page);
  const form = page.locator(".review-form");
  await form.getByLabel("Rating").selectOption("4");
  await form.getByLabel("Review").fill("Our standups got shorter. <b>Recommended</b>.");
  await form.getByRole("button", { name: "Post review" }).click();
  const review = page.locator(".review").first();
  await expect(review).toContainText("Our standups got shorter. <b>Recommended</b>.");
  await expect(page.locator(".detail-head .rating")).toContainText("4.0");
  await expect(page.getByRole("button", { name: "Update review" })).toBeVisible();

  // The developer sees the install in the chart and answers the review in public.
  await signIn(page, "developer@partners.test");
  await page.goto("/developer/plugins/standup-digest/stats");
  await hydrated(page);
  await expect(page.getByTestId("active-installs")).toContainText("1 active installation");
  await expect(page.getByTestId("installs-chart").locator("g.day").last()).toHaveAttribute("data-installs", "1");
  await expect(page.locator("g.day rect.bar.installs")).toHaveCount(1);
  await expect(page.getByTestId("rating-chart")).toHaveAttribute("aria-label", /now 4\.0 out of 5/);
  await page.getByRole("link", { name: "Public page" }).click();
  await hydrated(page);
  await page.locator(".reply-form textarea").fill("Thank you, Acme!");
  await page.getByRole("button", { name: "Post reply" }).click();
  await expect(page.locator(".review .reply")).toHaveText("Developer reply: Thank you, Acme!");
});

test("the deliveries page shows each attempt and why an endpoint is off; re-enable and redeliver send again", async ({ page, request }) => {
  // The plugin server answers its webhook endpoint with 410 Gone, which disables deliveries.
  // The developer tries the draft in their own organisation; the install is announced.
  await registerAndInstall(page, request, {
    slug: "hook-watcher",
    name: "Hook Watcher",
    category: "developer-tools",
    scopes: ["read:projects", "write:tasks"],
    webhooks: true,
  });
  const delivery = page.locator('[data-event-type="plugin.installed"]');
  await expect(async () => {
    await page.goto("/developer/plugins/hook-watcher/deliveries");
    await expect(delivery.locator("tr.attempt")).toHaveCount(1, { timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await hydrated(page);
  await expect(delivery.locator("tr.attempt")).toContainText("HTTP 410");
  await expect(delivery.locator("tr.attempt")).toContainText("this endpoint is gone");
  await expect(delivery).toHaveAttribute("data-status", "failed");
  await expect(page.getByTestId("endpoint-disabled")).toContainText("410 Gone");

  // Nothing retries a disabled endpoint: only Re-enable, then Redeliver, sends again.
  await page.getByRole("button", { name: "Re-enable deliveries" }).click();
  await expect(page.getByTestId("endpoint-disabled")).toHaveCount(0);
  await delivery.getByRole("button", { name: "Redeliver" }).click();
  await expect(async () => {
    await page.reload();
    await expect(delivery.locator("tr.attempt")).toHaveCount(2, { timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await expect(page.getByTestId("endpoint-disabled")).toBeVisible();

  // Rotating the client secret asks first, then shows the new one once.
  await page.getByRole("link", { name: "Settings" }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "Rotate client secret" }).click();
  await expect(page.getByRole("alertdialog")).toContainText("stops working at once");
  await page.getByRole("button", { name: "Yes, rotate" }).click();
  await expect(page.getByTestId("secrets").getByTestId("client-secret")).toHaveText(/^pbs_/);
});

test("a paid plugin with an ended trial shows its license message and its error", async ({ page, request }) => {
  await registerAndInstall(page, request, {
    slug: "pay-robot",
    name: "Pay Robot",
    category: "finance",
    scopes: ["read:projects", "write:tasks"],
    server: true,
    monetized: true,
  });

  await page.goto("/installed");
  const license = page.locator('[data-installed="pay-robot"]').getByTestId("license");
  await expect(license).toContainText("License not active");
  await expect(license.locator("strong", { hasText: "trial has ended" })).toBeVisible();
  await expect(license.getByRole("link", { name: "See plans" })).toHaveAttribute("href", "https://pay.example.com/plans");
  await expect(license.getByTestId("license-error")).toHaveText("Payment required: the card on file was declined.");
});
