import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./helpers";

// People change their organisation's projects and tasks on the Projects page (each
// change is a data event for the plugins that subscribe): hydrated, and as plain forms
// before the WASM arrives.
test("a member adds, moves and deletes tasks and archives a project on the Projects page", async ({ page }) => {
  await signIn(page, "member@acme.test");
  await page.goto("/projects");
  await hydrated(page);
  await page.getByLabel("New project").fill("Playwright board");
  await page.getByRole("button", { name: "Add project" }).click();
  const board = page.locator("section.project-board", { has: page.getByRole("heading", { name: "Playwright board" }) });
  await expect(board).toBeVisible();
  await expect(board.getByText("No tasks.")).toBeVisible();

  await board.getByLabel("New task in Playwright board").fill("Check the page");
  await board.getByRole("button", { name: "Add task" }).click();
  await board.getByText("Edit", { exact: true }).click();
  await board.getByLabel("Title of Check the page").fill("Check the page well");
  await board.getByLabel("Due date of Check the page").fill("2027-01-31");
  await board.getByRole("button", { name: "Save", exact: true }).click();
  const row = board.locator("li.task-row", { hasText: "Check the page well" });
  await expect(row.locator(".task-meta")).toContainText("due 2027-01-31");
  await expect(row.locator(".status-pill")).toHaveText("To do");
  await row.getByLabel("Status of Check the page well").selectOption("done");
  await row.getByRole("button", { name: "Move" }).click();
  await expect(row.locator(".status-pill")).toHaveText("Done");
  await row.getByRole("button", { name: "Delete task Check the page well" }).click();
  await expect(board.getByText("No tasks.")).toBeVisible();

  await board.getByText("Rename", { exact: true }).click();
  await board.getByLabel("Name of project Playwright board").fill("Playwright board, renamed");
  await board.getByRole("button", { name: "Save name" }).click();
  const renamed = page.locator("section.project-board", { has: page.getByRole("heading", { name: "Playwright board, renamed" }) });
  await expect(renamed).toBeVisible();
  await renamed.getByRole("button", { name: "Archive" }).click();
  await expect(renamed.locator(".badge", { hasText: "Archived" })).toBeVisible();
  // Members do not delete projects (owners and admins do); viewers only read.
  await expect(renamed.getByRole("button", { name: /Delete project/ })).toHaveCount(0);
});

test("a viewer reads the Projects page without its forms", async ({ page }) => {
  await signIn(page, "viewer@acme.test");
  await page.goto("/projects");
  await hydrated(page);
  await expect(page.locator("section.project-board").first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Add project" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Add task" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Move" })).toHaveCount(0);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the Projects page's forms work before hydration", async ({ page }) => {
    // Signing in needs no script either: the form posts.
    await page.goto("/signin");
    await page.getByLabel("Email").fill("member@acme.test");
    await page.getByLabel("Password").fill("plugboard-demo");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.goto("/projects");
    const board = page.locator("section.project-board", { has: page.getByRole("heading", { name: "Website relaunch" }) });
    await board.getByLabel("New task in Website relaunch").fill("Added without a script");
    await board.getByRole("button", { name: "Add task" }).click();
    // The post comes back to the page, which shows the new task.
    await expect(page).toHaveURL(/\/projects\??$/);
    await expect(board.locator("li.task-row", { hasText: "Added without a script" })).toBeVisible();
  });
});
