import { expect, FrameLocator, Page, Route, test } from "@playwright/test";
import * as path from "node:path";
import { hydrated, PLUGIN_SERVER, registerAndInstall, signIn } from "./helpers";

// Client-side plugins (DESIGN.md §7): bundles that run in sandboxed frames on the Projects
// page and reach Plugboard only through the bridge (postMessage to the host page).
// The demo seed installs two in Acme Corp: Quick Add (read:projects, write:tasks) and Task
// Counter (read:tasks). This file runs last (files run in alphabetical order, one worker):
// it installs Hostile Probe in Acme and, at the end, uninstalls Quick Add from it.

/** The frame of client-side plugin `slug` on the Projects page. */
function pluginFrame(page: Page, slug: string): FrameLocator {
  return page.frameLocator(`iframe[data-plugin="${slug}"]`);
}

/** Acme's Projects page, as admin@acme.test, with the demo plugins loaded. */
async function acmeProjects(page: Page) {
  await signIn(page, "admin@acme.test");
  await page.goto("/projects");
  await hydrated(page);
  await expect(page.locator("section.client-plugins")).toBeVisible();
  // Both demo plugins have heard back from the host: Quick Add lists tasks, Task Counter counted them.
  await expect(pluginFrame(page, "quick-add").locator("#latest li").first()).toBeVisible();
  await expect(pluginFrame(page, "task-counter").locator("#total")).toHaveText(/^[1-9]\d*$/);
}

/** The bridge's server calls the host page makes for its frames. */
const BRIDGE_CALLS = "**/rpc/bridge_call*";

// The panels and their frames' boxes are in the server-rendered page: the frames, which
// load only after hydration, move nothing (they used to push the projects down).
test("the plugin panels do not move the page when their frames arrive", async ({ page }) => {
  await page.addInitScript(() => {
    (window as any).__shifts = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as any[]) if (!entry.hadRecentInput) (window as any).__shifts += entry.value;
    }).observe({ type: "layout-shift", buffered: true });
  });
  await acmeProjects(page);
  await expect(page.locator("article.client-plugin iframe")).toHaveCount(2);
  const shifts = await page.evaluate(() => (window as any).__shifts as number);
  expect(shifts, "cumulative layout shift on /projects").toBeLessThan(0.01);
});

test("a demo client plugin lists tasks and creates one, and the page shows it", async ({ page }) => {
  await acmeProjects(page);
  for (const slug of ["quick-add", "task-counter"]) {
    const article = page.locator(`article.client-plugin[data-client-plugin="${slug}"]`);
    await expect(article.locator(`iframe[sandbox="allow-scripts"][data-plugin="${slug}"]`)).toHaveAttribute("src", `/plugins/${slug}/frame`);
  }

  const quickAdd = pluginFrame(page, "quick-add");
  await expect(quickAdd.locator("#error")).toBeEmpty();
  const firstProject = await quickAdd.locator("#project option").first().getAttribute("value");
  expect(firstProject).toBeTruthy();
  await quickAdd.locator("#project").selectOption(firstProject!);
  const title = `Quick Add e2e ${Date.now()}`;
  await quickAdd.locator("#title").fill(title);
  await quickAdd.getByRole("button", { name: "Add task" }).click();

  // ui.notify: the host shows the toast, under the plugin's name.
  await expect(page.getByTestId("toast").filter({ hasText: `Quick Add: Added “${title}”` })).toBeVisible();
  // After a write the host reads the boards again: the task is there, marked as the plugin's.
  const row = page.locator("li.task-row").filter({ has: page.locator(".task-title", { hasText: title }) });
  await expect(row).toHaveCount(1);
  await expect(row.locator(".badge.plugin-activity")).toHaveText("Added by Quick Add");
  await expect(quickAdd.locator("#error")).toBeEmpty();
});

test("a hostile plugin's every attempt fails", async ({ page, request }) => {
  test.slow(); // registration, review and publication first, then 4 s of forged answers
  await registerAndInstall(page, request, {
    slug: "hostile-probe",
    name: "Hostile Probe",
    scopes: ["read:tasks"],
    origins: [PLUGIN_SERVER],
    bundle: path.join(__dirname, "../fixtures/hostile-plugin.js"),
    installIn: "acme",
  });

  // Every bridge call the host relays to the server is held a while, so that Quick Add's
  // calls stay pending (their ids open to a forged answer) while the probe forges answers.
  await page.route(BRIDGE_CALLS, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 800));
    await route.continue();
  });
  await acmeProjects(page);
  const quickAdd = pluginFrame(page, "quick-add");
  const hostile = pluginFrame(page, "hostile-probe");
  const attempt = (name: string) => hostile.locator(`#attempts li[data-attempt="${name}"]`);

  // While the probe posts forged answers to the other frames (for 4 s), Quick Add calls the host.
  await expect(attempt("forge-answers")).toHaveAttribute("data-outcome", "sending");
  const reload = quickAdd.getByRole("button", { name: "Reload" });
  await reload.click();
  await reload.click();
  // Both reloads went out while the forging went on (else this test proves nothing).
  await expect(attempt("forge-answers")).toHaveAttribute("data-outcome", "sending");
  await expect(hostile.locator('body[data-done="true"]')).toBeAttached({ timeout: 15_000 });
  await page.unroute(BRIDGE_CALLS);

  for (const name of ["parent-document", "cookies", "local-storage", "fetch-undeclared", "missing-scope", "impersonate-plugin"]) {
    // The detail (the line's text) says what happened if it was not blocked.
    await expect(attempt(name), `${name}: ${await attempt(name).textContent()}`).toHaveAttribute("data-outcome", "blocked");
  }
  await expect(attempt("missing-scope")).toContainText("insufficient_scope");
  await expect(attempt("impersonate-plugin")).toContainText("insufficient_scope");
  // The declared origin is reachable: the policy is precise, not a blanket block.
  await expect(attempt("fetch-declared"), (await attempt("fetch-declared").textContent()) ?? "").toHaveAttribute("data-outcome", "allowed");
  await expect(attempt("forge-answers")).toHaveAttribute("data-outcome", "sent");

  // Quick Add took none of the forged answers: it shows the host's (real) tasks.
  await expect(quickAdd.locator("#latest li").first()).toBeVisible();
  await expect(quickAdd.locator("body")).not.toContainText("FORGED");
  await expect(quickAdd.locator("#error")).toBeEmpty();

  // The host answers its plugin frames only: a message from the page itself is ignored.
  await page.evaluate(() => window.postMessage({ id: "top-1", method: "ui.notify", params: { message: "from the page" } }, "*"));
  await page.waitForTimeout(1000); // time enough for a toast, were the message answered
  await expect(page.getByTestId("toast").filter({ hasText: "from the page" })).toHaveCount(0);

  // Nothing the probe tried to create exists.
  await expect(page.locator("li.task-row .task-title").filter({ hasText: /^\s*(hostile|forged)\s*$/i })).toHaveCount(0);

  // Last, the probe navigates its own frame away: the host removes that frame (and only it).
  await hostile.getByRole("button", { name: "Navigate away" }).click();
  await expect(page.locator('[data-client-plugin="hostile-probe"]')).toHaveCount(0);
  await expect(page.locator('[data-client-plugin="quick-add"] iframe')).toBeVisible();
});

test("uninstalling a plugin removes its frame and fails its pending calls", async ({ page, context }) => {
  const messages: string[] = [];
  page.on("console", (message) => messages.push(message.text())); // frames' console included
  await acmeProjects(page);
  const frame = page.locator('iframe[data-plugin="quick-add"]');
  await expect(frame).toHaveCount(1);

  // Hold Quick Add's next calls on their way to the server.
  const held: Route[] = [];
  await page.route(BRIDGE_CALLS, (route) => {
    held.push(route);
  });
  await pluginFrame(page, "quick-add").getByRole("button", { name: "Reload" }).click();
  await expect.poll(() => held.length).toBeGreaterThanOrEqual(1);

  // Meanwhile, in another tab (same session), the admin uninstalls it.
  const other = await context.newPage();
  await other.goto("/installed");
  await hydrated(other);
  const row = other.locator('[data-installed="quick-add"]');
  await row.getByRole("button", { name: "Uninstall" }).click();
  await row.getByRole("button", { name: "Yes, uninstall" }).click();
  await expect(row).toHaveCount(0);
  await other.close();

  // The held calls reach the server now: the installation is gone, the frame hears so, then goes.
  await expect(frame).toHaveCount(1);
  // Release the held calls first: unrouting would let them through on its own.
  for (const route of held) await route.continue();
  await page.unroute(BRIDGE_CALLS);
  await expect.poll(() => messages.filter((m) => m.includes("Quick Add: uninstalled")), { timeout: 5_000 }).not.toHaveLength(0);
  await expect(frame).toHaveCount(0, { timeout: 5_000 });
  await expect(page.locator('article.client-plugin[data-client-plugin="quick-add"]')).toHaveCount(0);
});
