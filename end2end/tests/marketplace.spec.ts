import { expect, test } from "@playwright/test";
import { cards, hydrated, isSameDocument, markDocument, signIn, slugs } from "./helpers";

test.describe("after hydration", () => {
  test.beforeEach(async ({ page }) => {
    await page.goto("/marketplace");
    await hydrated(page);
    await expect(cards(page)).toHaveCount(24);
    await markDocument(page);
  });

  test("filtering by category updates the grid and the URL without a page load", async ({ page }) => {
    await page.getByLabel("Category").selectOption("finance");
    await expect(page).toHaveURL(/[?&]category=finance/);
    // Four demo plugins and the Timesheet Bridge that start-server.sh registers.
    await expect(cards(page)).toHaveCount(5);
    for (const card of await cards(page).all()) {
      await expect(card.locator(".badge.category")).toHaveText("Finance");
    }
    expect(await isSameDocument(page)).toBe(true);
  });

  test("typing a search narrows the grid as you type, with no navigation", async ({ page }) => {
    await page.getByLabel("Search plugins").pressSequentially("burnd", { delay: 40 });
    await expect.poll(() => slugs(page)).toEqual(["burndown-charts"]);
    await expect(page).toHaveURL(/[?&]q=burnd/);
    expect(await isSameDocument(page)).toBe(true);
    // Back to everything when the box is cleared.
    await page.getByLabel("Search plugins").fill("");
    await expect(cards(page)).toHaveCount(24);
  });

  test("sorting by name reorders the grid", async ({ page }) => {
    await page.getByLabel("Sort by").selectOption("name");
    await expect(page).toHaveURL(/[?&]sort=name/);
    await expect.poll(async () => (await slugs(page)).slice(0, 3)).toEqual(["access-review", "api-playground", "audit-trail"]);
    expect(await isSameDocument(page)).toBe(true);
  });

  test("a search with no match shows the empty state", async ({ page }) => {
    await page.getByLabel("Search plugins").fill("qqqzzzxxx");
    await expect(page.getByTestId("empty-state")).toBeVisible();
    await expect(page.getByTestId("empty-state")).toContainText("No plugins match");
  });

  test("opening a plugin shows its page with permissions and reviews", async ({ page }) => {
    await page.locator('article[data-plugin-slug="github-sync"] a').click();
    await expect(page).toHaveURL(/\/marketplace\/github-sync$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("GitHub Sync");
    await expect(page.locator('[data-scope="write:tasks"]')).toContainText("Create, edit, move and delete tasks");
    await expect(page.getByRole("heading", { name: /Reviews \(\d+\)/ })).toBeVisible();
    await expect(page.getByRole("heading", { name: "What it does" })).toBeVisible();
    expect(await isSameDocument(page)).toBe(true);
  });

  test("pagination moves through the catalog", async ({ page }) => {
    const first = await slugs(page);
    await page.getByRole("link", { name: "Next →" }).click();
    await expect(page).toHaveURL(/[?&]page=2/);
    // 43 published plugins: 40 demo ones, the two demo client-side plugins and the Timesheet Bridge.
    await expect(cards(page)).toHaveCount(19);
    const second = await slugs(page);
    expect(second.filter((s) => first.includes(s))).toEqual([]);
  });
});

test("the signed-in tenant sees its installed plugins badged", async ({ page }) => {
  await signIn(page, "admin@acme.test");
  const installed = page.locator('article[data-plugin-slug="github-sync"] .badge.installed');
  await expect(installed).toHaveText("Installed");
  await expect(page.locator('article[data-plugin-slug="gitlab-link"] .badge.installed')).toHaveCount(0);
  await page.goto("/marketplace/gitlab-link");
  await expect(page.getByRole("link", { name: "Install", exact: true })).toBeVisible();
});

test("a member is told who can install", async ({ page }) => {
  await signIn(page, "member@acme.test");
  await page.goto("/marketplace/gitlab-link");
  await expect(page.getByText("Only owners and admins of your organisation can install plugins.")).toBeVisible();
  await expect(page.getByRole("link", { name: "Install", exact: true })).toHaveCount(0);
});

test.describe("before hydration (JavaScript off)", () => {
  test.use({ javaScriptEnabled: false });

  test("the page lists plugins and its filters work as a plain form", async ({ page }) => {
    await page.goto("/marketplace");
    await expect(cards(page)).toHaveCount(24);
    await page.getByLabel("Category").selectOption("support");
    await page.getByLabel("Search plugins").fill("tickets");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/q=tickets/);
    await expect(page).toHaveURL(/category=support/);
    expect(await slugs(page)).toEqual(["zendesk-escalations"]);
    await page.getByLabel("Sort by").selectOption("name");
    await page.getByLabel("Search plugins").fill("");
    await page.getByRole("button", { name: "Search" }).click();
    expect(await slugs(page)).toEqual(["feedback-board", "intercom-inbox", "sla-monitor", "zendesk-escalations"]);
  });

  test("a plugin's page renders fully", async ({ page }) => {
    await page.goto("/marketplace/slack-bridge");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Slack Bridge");
    await expect(page.locator('[data-scope="read:projects"]')).toBeVisible();
  });
});
