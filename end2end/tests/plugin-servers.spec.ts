import { expect, Locator, Page, test } from "@playwright/test";
import { DEMO_SERVICE_CLIENT, hydrated, isSameDocument, markDocument, PLUGIN_SERVER, registerAndInstall } from "./helpers";

// Plugins with a plugin server (DESIGN.md §6), served by the demo plugin server
// (demo-plugin.mjs) at /p/{slug}: Connect and Log out through the plugin's own service or
// through Plugboard's OAuth client, and Run on tasks, answered at once or later.

// Back on Installed plugins, which may say in its query what happened.
const BACK_ON_INSTALLED = /\/installed(\?.*)?$/;

/** The Connect/Log out panel of an installed plugin, on /installed. */
async function connectionPanel(page: Page, slug: string): Promise<Locator> {
  await page.goto("/installed");
  await hydrated(page);
  return page.locator(`[data-installed="${slug}"]`).getByTestId("connection");
}

async function expectNotConnected(connection: Locator) {
  await expect(connection).toContainText("Not connected");
  await expect(connection.getByRole("button", { name: "Connect", exact: true })).toBeVisible();
  await expect(connection.getByRole("button", { name: "Log out", exact: true })).toHaveCount(0);
}

async function expectConnected(connection: Locator) {
  await expect(connection.getByRole("button", { name: "Log out", exact: true })).toBeVisible();
  await expect(connection).toContainText("Connected");
  await expect(connection).not.toContainText("Not connected");
  await expect(connection.getByRole("button", { name: "Connect", exact: true })).toHaveCount(0);
}

/** Logs out from the /installed page it is on, and checks the panel says so. */
async function logOut(page: Page, connection: Locator) {
  await hydrated(page);
  await connection.getByRole("button", { name: "Log out", exact: true }).click();
  await expectNotConnected(connection);
  // Plugboard forgot the connection, not just the page: it stays so after a reload.
  await page.reload();
  await expectNotConnected(connection);
}

test("Connect then Log out through the plugin's own service", async ({ page, request }) => {
  const slug = "demo-connect";
  await registerAndInstall(page, request, {
    slug,
    name: "Demo Connect",
    scopes: ["read:projects", "write:tasks"],
    server: true,
    authButton: true,
  });

  // Plugboard asks the plugin (checkAuth): this user has not connected yet.
  const connection = await connectionPanel(page, slug);
  await expectNotConnected(connection);
  await expect(page.getByTestId("connection-problem")).toHaveCount(0);

  // Connect goes to the page the plugin named (generateAuthUrl), which sends the user back.
  await connection.getByRole("button", { name: "Connect", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Connect your Demo account" })).toBeVisible();
  const authUrl = new URL(page.url());
  expect(authUrl.origin + authUrl.pathname).toBe(`${PLUGIN_SERVER}/p/${slug}/authorize`);
  expect(authUrl.searchParams.get("ticket")).toBeTruthy();
  await page.getByRole("button", { name: "Authorize", exact: true }).click();
  await expect(page).toHaveURL(BACK_ON_INSTALLED);
  await expectConnected(connection);

  await logOut(page, connection);
});

test("Connect through Plugboard's OAuth client (oauth_config)", async ({ page, request }) => {
  const slug = "service-login";
  await registerAndInstall(page, request, {
    slug,
    name: "Service Login",
    scopes: ["read:projects", "write:tasks"],
    server: true,
    oauth: true,
  });
  const connection = await connectionPanel(page, slug);
  await expectNotConnected(connection);

  // Connect starts the authorization code flow at the plugin's provider, with PKCE and state.
  await connection.getByRole("button", { name: "Connect", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Authorize Plugboard" })).toBeVisible();
  const authorize = new URL(page.url());
  expect(authorize.origin + authorize.pathname).toBe(`${PLUGIN_SERVER}/p/${slug}/oauth/authorize`);
  expect(authorize.searchParams.get("client_id")).toBe(DEMO_SERVICE_CLIENT.id);
  expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorize.searchParams.get("state")).toBeTruthy();
  expect(authorize.searchParams.get("scope")).toBe("profile tasks");
  expect(authorize.searchParams.get("redirect_uri")).toMatch(new RegExp(`/marketplace/callback/${slug}$`));

  // Authorize: Plugboard exchanges the code (client secret and PKCE verifier) and is connected.
  await page.getByRole("button", { name: "Authorize", exact: true }).click();
  await expect(page).toHaveURL(BACK_ON_INSTALLED);
  await expectConnected(connection);
  await logOut(page, connection);

  // Deny: back on Plugboard, which says so, and nothing is connected.
  await hydrated(page);
  await connection.getByRole("button", { name: "Connect", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Authorize Plugboard" })).toBeVisible();
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page).toHaveURL(BACK_ON_INSTALLED);
  await expect(page.getByRole("alert").filter({ hasText: "declined" })).toBeVisible();
  await expectNotConnected(connection);
});

test("a synchronous and an asynchronous Run", async ({ page, request }) => {
  test.slow(); // Two plugins go through registration, review and install first.
  const plugin = (slug: string, name: string) =>
    registerAndInstall(page, request, {
      slug,
      name,
      scopes: ["read:projects", "read:tasks", "write:tasks"],
      server: true,
      processesContent: true,
      installIn: "acme",
    });
  await plugin("quick-estimate", "Quick Estimate"); // answers 200 with its result
  await plugin("slow-review", "Slow Review"); // answers 202, posts its result 1.5 s later

  // Signed in as admin@acme.test, whose organisation installed both.
  await page.goto("/projects");
  await hydrated(page);
  // The first task, held by its id so that re-rendering cannot swap it for another.
  const taskId = await page.locator("li.task-row").first().getAttribute("data-task-id");
  expect(taskId).toBeTruthy();
  const row = page.locator(`li.task-row[data-task-id="${taskId}"]`);
  const title = await row.locator(".task-title").innerText();
  const jobs = row.getByTestId("job");
  const run = async (pluginName: string) => {
    await row.getByRole("combobox", { name: "Plugin to run" }).selectOption({ label: pluginName });
    await row.getByRole("button", { name: "Run", exact: true }).click();
  };
  await expect(row.getByTestId("run-plugin")).toBeVisible();
  await expect(jobs).toHaveCount(0);

  // The quick one answers within the call: done at once, with the task's title in its result.
  await run("Quick Estimate");
  const estimate = jobs.filter({ hasText: "about 2 hours" });
  await expect(estimate).toHaveAttribute("data-job-status", "done");
  await expect(estimate.getByTestId("job-result")).toContainText(`Estimated "${title}": about 2 hours.`);

  // The slow one is pending until the plugin posts its result; the page picks it up by itself.
  const pending = row.locator('[data-testid="job"][data-job-status="pending"]');
  await run("Slow Review");
  await expect(jobs).toHaveCount(2);
  await expect(pending).toHaveCount(1);
  await markDocument(page); // polling must not reload the page
  const review = jobs.filter({ hasText: "in depth" });
  await expect(review).toHaveAttribute("data-job-status", "done", { timeout: 10_000 });
  await expect(review.getByTestId("job-result")).toContainText(`Reviewed "${title}" in depth: looks good.`);
  await expect(pending).toHaveCount(0);
  await expect(jobs).toHaveCount(2);
  expect(await isSameDocument(page)).toBe(true);
});
