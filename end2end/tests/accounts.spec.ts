import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./helpers";

test("an owner signs in and out", async ({ page }) => {
  await signIn(page, "owner@acme.test");
  await expect(page.getByTestId("signed-in-as")).toContainText("Olivia Owner");
  await expect(page.getByTestId("signed-in-as")).toContainText("Acme Corp");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(page.getByTestId("signed-in-as")).toHaveCount(0);
});

test("a wrong password gives a clear message", async ({ page }) => {
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email").fill("admin@acme.test");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");
  await expect(page).toHaveURL(/\/signin$/);
});

test("a new organisation signs up and lands signed in", async ({ page }) => {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Organisation").fill("Playwright Co");
  await page.getByLabel("Your name").fill("Pat Wright");
  await page.getByLabel("Email").fill(`pat-${Date.now()}@playwright.test`);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/marketplace$/);
  await expect(page.getByTestId("signed-in-as")).toContainText("Pat Wright");
  await expect(page.getByTestId("signed-in-as")).toContainText("Owner");
});
