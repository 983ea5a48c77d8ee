import { expect, test } from "@playwright/test";
import { hydrated, PLUGIN_SERVER, registerAndInstall, signIn } from "./helpers";

// A live plugin's next version asks for more: the developer submits it with notes, staff
// see what changes and publish it, and Acme's admin sees only the new scope and approves
// it, after which the plugin's call that needed it works. Until then, Acme keeps its grant.
test("version 2 asks for a new scope: staff see the diff, the admin approves only the difference", async ({ page, request }) => {
  await registerAndInstall(page, request, { slug: "task-tally", name: "Task Tally", scopes: ["read:projects"], installIn: "acme" });
  const countTasks = async () => {
    await page.goto(`${PLUGIN_SERVER}/p/task-tally/count-tasks`);
    return page.locator("#status").innerText();
  };
  expect(await countTasks()).toBe("403");
  await expect(page.locator("#outcome")).toHaveText("insufficient_scope");

  // The developer asks for tasks too: a draft of version 2, while version 1 stays live.
  await signIn(page, "developer@partners.test");
  await page.goto("/developer/plugins/task-tally");
  await hydrated(page);
  await page.locator("#scope-read-tasks").check();
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("saved-draft")).toContainText("Saved in draft version 2");
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("version-line")).toContainText("Draft version 2 (live: version 1)");
  await expect(page.getByTestId("version-diff").locator('[data-scope="read:tasks"][data-change="added"]')).toBeVisible();
  await page.locator("#release-notes").fill("Counts your tasks every morning.");
  await page.getByRole("button", { name: "Submit for review" }).click();
  await expect(page.getByTestId("version-line")).toContainText("Version 2 is in review");
  await expect(page.locator(".console-head [data-state]")).toHaveText("Published");

  // Staff see version 2 against version 1, and publish it.
  await signIn(page, "staff@plugboard.test");
  await page.goto("/admin");
  await hydrated(page);
  const queued = page.locator('[data-queue-plugin="task-tally"]');
  await expect(queued).toContainText("version 2");
  await queued.getByRole("link", { name: "Task Tally" }).click();
  const diff = page.getByTestId("version-diff");
  await expect(diff.getByRole("heading", { level: 3 })).toHaveText("Version 2 against live version 1");
  await expect(diff).toContainText("Counts your tasks every morning.");
  await expect(diff.getByTestId("diff-scopes").locator("[data-scope]")).toHaveCount(1);
  await expect(diff.locator('[data-scope="read:tasks"][data-change="added"]')).toBeVisible();
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await expect(page.getByTestId("version-history").locator('[data-version="2"]')).toContainText("Live");

  // The plugin asks with its old grant still: refused.
  expect(await countTasks()).toBe("403");

  // Acme's admin sees only the new scope, with the notes, and approves it.
  await signIn(page, "admin@acme.test");
  await page.goto("/installed");
  await hydrated(page);
  const row = page.locator('[data-installed="task-tally"]');
  const update = row.getByTestId("update-request");
  await expect(update).toContainText("Update requested");
  await expect(update.getByTestId("update-added").locator("[data-scope]")).toHaveCount(1);
  await expect(update.locator('[data-scope="read:tasks"]')).toContainText("See the tasks in your projects");
  await expect(update).toContainText("Counts your tasks every morning.");
  await update.getByRole("button", { name: "Approve" }).click();
  await expect(row.getByTestId("update-request")).toHaveCount(0);
  await expect(row).toContainText("read:tasks");

  // The plugin's next refresh carries the wider grant, and the call works.
  expect(await countTasks()).toBe("200");
  await expect(page.locator("#scope")).toHaveText("read:projects read:tasks");
  await expect(page.locator("#outcome")).toContainText("tasks");

  // The public page lists both versions with their notes.
  await page.goto("/marketplace/task-tally");
  await hydrated(page);
  const releases = page.getByTestId("releases");
  await expect(releases.locator("[data-version]")).toHaveCount(2);
  await expect(releases).toContainText("Counts your tasks every morning.");
  await expect(releases).toContainText("First release.");
});
