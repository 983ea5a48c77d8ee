import { expect, test } from "@playwright/test";
import { hydrated, isSameDocument, markDocument, signIn } from "./helpers";

// The host product's Members page: an owner adds a person, changes their role and removes
// them; a viewer only reads the list.
test("an owner adds a person, changes their role and removes them on the Members page", async ({ page }) => {
  await signIn(page, "owner@acme.test");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Members" }).click();
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Members");
  await page.getByLabel("Email").fill("pat@acme.test");
  await page.getByLabel("Name", { exact: true }).fill("Pat Playwright");
  await page.getByLabel("Role", { exact: true }).selectOption("member");
  await page.getByLabel(/First password/).fill("plugboard-demo");
  await page.getByRole("button", { name: "Add person" }).click();
  const row = page.locator('tr[data-member="pat@acme.test"]');
  await expect(row).toContainText("Pat Playwright");
  const who = "Pat Playwright (pat@acme.test)";
  await row.getByLabel(`Role of ${who}`, { exact: true }).selectOption("viewer");
  // A plain form post, answered with a redirect back to the page, which the page script
  // follows without a page load; a double click posts it once.
  const posts: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith("/rpc/change_member_role")) posts.push(r.url());
  });
  await markDocument(page);
  const changed = page.waitForResponse((r) => r.url().endsWith("/rpc/change_member_role") && r.status() === 302);
  await row.getByRole("button", { name: `Change the role of ${who}` }).dblclick();
  await changed;
  await hydrated(page);
  expect(await isSameDocument(page)).toBe(true);
  expect(posts).toHaveLength(1);
  await page.reload();
  await hydrated(page);
  await expect(row.getByLabel(`Role of ${who}`, { exact: true })).toHaveValue("viewer");
  await row.getByRole("button", { name: `Remove ${who}` }).click();
  await expect(row).toHaveCount(0);
  // Nobody changes themselves.
  await expect(page.locator('tr[data-member="owner@acme.test"]').getByRole("button")).toHaveCount(0);
});

test("a viewer reads the Members page without its forms", async ({ page }) => {
  await signIn(page, "viewer@acme.test");
  await page.goto("/members");
  await hydrated(page);
  await expect(page.locator('tr[data-member="owner@acme.test"]')).toContainText("Owner");
  await expect(page.getByRole("button", { name: "Add person" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Change role" })).toHaveCount(0);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the Members page's forms work before hydration", async ({ page }) => {
    await page.goto("/signin");
    await page.getByLabel("Email").fill("admin@acme.test");
    await page.getByLabel("Password").fill("plugboard-demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.goto("/members");
    await page.getByLabel("Email").fill("sam@acme.test");
    await page.getByLabel("Name", { exact: true }).fill("Sam Scriptless");
    await page.getByLabel(/First password/).fill("plugboard-demo");
    await page.getByRole("button", { name: "Add person" }).click();
    // The post comes back to the page, which lists the new person.
    await expect(page).toHaveURL(/\/members\??$/);
    await expect(page.locator('tr[data-member="sam@acme.test"]')).toContainText("Sam Scriptless");
    // Admins make no owners: the role list offers none.
    await expect(page.getByLabel("Role", { exact: true }).locator('option[value="owner"]')).toHaveCount(0);
  });
});
