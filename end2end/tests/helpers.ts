import { APIRequestContext, expect, Page } from "@playwright/test";

export const DEMO_PASSWORD = "plugboard-demo";

/** Waits until the page script has hydrated the page's islands (it marks <body>, again after each page it swaps in). */
export async function hydrated(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Marks the current document; the mark survives client-side navigation only. */
export async function markDocument(page: Page) {
  await page.evaluate(() => ((window as any).__sameDocument = true));
}

export async function isSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as any).__sameDocument === true);
}

export function cards(page: Page) {
  return page.locator("article.plugin-card");
}

export async function slugs(page: Page): Promise<string[]> {
  return cards(page).evaluateAll((els) => els.map((e) => e.getAttribute("data-plugin-slug") ?? ""));
}

export async function signIn(page: Page, email: string) {
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/marketplace$/);
  await expect(page.getByTestId("signed-in-as")).toBeVisible();
}

/** The demo plugin server start-server.sh runs beside Plugboard (demo-plugin.mjs). */
export const PLUGIN_SERVER = "http://127.0.0.1:3211";

/** A plugin a test registers through the developer console, served by the demo plugin server at /p/{slug}. */
export interface TestPlugin {
  slug: string;
  name: string;
  /** OAuth scopes, e.g. "read:projects"; the plugin asks for all of them when it is installed. */
  scopes: string[];
  category?: string;
  /** Register `${PLUGIN_SERVER}/p/{slug}` as its plugin server. */
  server?: boolean;
  /** Register `${PLUGIN_SERVER}/p/{slug}/webhooks` as its webhook URL (the demo server answers 410 Gone). */
  webhooks?: boolean;
  /** Show Connect/Logout for the plugin's own service (generateAuthUrl, checkAuth, logout). */
  authButton?: boolean;
  monetized?: boolean;
  /** The plugin processes content: tasks get a Run action for it. */
  processesContent?: boolean;
  /** Plugboard connects to the demo server's OAuth provider as its client (oauth_config). */
  oauth?: boolean;
  /**
   * A client-side bundle (path to a .js file) uploaded on the plugin's console page right
   * after registration: a plugin in review cannot get new code, so before any submit.
   */
  bundle?: string;
  /** The network origins its client-side code may reach (the frame's connect-src). */
  origins?: string[];
  /**
   * Its settings schema (JSON). With required settings, the install stops on Plugboard's
   * Settings form right after Allow, for the test to go on from.
   */
  settingsSchema?: string;
  /**
   * Where it is installed: the developer tries the draft in their own organisation (the
   * default), or it is submitted, published by staff, and installed by admin@acme.test, whose
   * organisation has projects and tasks. The page is left signed in as whoever installed it.
   */
  installIn?: "own-organisation" | "acme";
}

/** The OAuth client Plugboard is to the demo server's provider (its fixed credentials). */
export const DEMO_SERVICE_CLIENT = { id: "demo-service-client", secret: "demo-service-secret" };

/**
 * Registers a plugin as developer@partners.test, hands its secrets (shown once) to the demo
 * plugin server, and installs it through the consent page.
 */
export async function registerAndInstall(page: Page, request: APIRequestContext, plugin: TestPlugin) {
  const { slug } = plugin;
  const served = `${PLUGIN_SERVER}/p/${slug}`;
  await signIn(page, "developer@partners.test");
  await page.goto("/developer/new");
  await hydrated(page);
  await page.locator("#plugin-name").fill(plugin.name);
  await page.locator("#plugin-slug").fill(slug);
  await page.locator("#plugin-description").fill(`${plugin.name}, served by the demo plugin server.`);
  await page.locator("#plugin-category").selectOption(plugin.category ?? "productivity");
  for (const scope of plugin.scopes) await page.locator(`#scope-${scope.replace(":", "-")}`).check();
  await page.locator("#plugin-redirect-uris").fill(`${served}/callback`);
  if (plugin.webhooks) await page.locator("#plugin-webhook-url").fill(`${served}/webhooks`);
  if (plugin.server) await page.locator("#plugin-server-url").fill(served);
  if (plugin.authButton) await page.locator("#plugin-auth-button").check();
  if (plugin.monetized) await page.locator("#plugin-monetized").check();
  if (plugin.processesContent) await page.locator("#plugin-processes-content").check();
  if (plugin.oauth) {
    await page.locator("#oauth-authorization-url").fill(`${served}/oauth/authorize`);
    await page.locator("#oauth-token-url").fill(`${served}/oauth/token`);
    await page.locator("#oauth-client-id").fill(DEMO_SERVICE_CLIENT.id);
    await page.locator("#oauth-client-secret").fill(DEMO_SERVICE_CLIENT.secret);
    await page.locator("#oauth-scopes").fill("profile tasks");
  }
  if (plugin.origins) await page.locator("#plugin-client-origins").fill(plugin.origins.join("\n"));
  if (plugin.settingsSchema) await page.locator("#plugin-settings-schema").fill(plugin.settingsSchema);
  await page.getByRole("button", { name: "Register plugin" }).click();

  const secrets = page.getByTestId("secrets");
  await expect(secrets).toBeVisible();
  const configured = await request.post(`${served}/credentials`, {
    data: {
      client_id: await secrets.getByTestId("client-id").innerText(),
      client_secret: await secrets.getByTestId("client-secret").innerText(),
      webhook_secret: await secrets.getByTestId("webhook-secret").innerText(),
      scope: plugin.scopes.join(" "),
    },
  });
  expect(configured.ok()).toBeTruthy();

  if (plugin.bundle) await uploadBundle(page, slug, plugin.bundle);

  if (plugin.installIn === "acme") {
    await page.goto(`/developer/plugins/${slug}`);
    await hydrated(page);
    await page.locator("#release-notes").fill("First release.");
    await page.getByRole("button", { name: "Submit for review" }).click();
    await expect(page.locator(".console-head [data-state]")).toHaveText("In review");
    await signIn(page, "staff@plugboard.test");
    await page.goto(`/admin/plugins/${slug}`);
    await hydrated(page);
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await expect(page.locator(".console-head [data-state]")).toHaveText("Published");
    await signIn(page, "admin@acme.test");
  }
  await page.goto(`/marketplace/${slug}/install`);
  await page.getByRole("button", { name: "Allow" }).click();
  if (plugin.settingsSchema?.includes('"required"')) return;
  await expect(page.getByRole("heading", { name: "Connected to Plugboard" })).toBeVisible();
}

/** Uploads a client-side bundle (a .js file) on the plugin's console page, as its developer. */
export async function uploadBundle(page: Page, slug: string, file: string) {
  await page.goto(`/developer/plugins/${slug}`);
  await hydrated(page);
  await page.locator("#bundle-file").setInputFiles(file);
  await page.getByRole("button", { name: "Upload bundle" }).click();
  await expect(page.getByTestId("bundle-notice")).toContainText("Uploaded");
  await expect(page.getByTestId("bundle-current")).toBeVisible();
}
