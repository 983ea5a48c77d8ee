import { expect, Page } from "@playwright/test";

export const DEMO_PASSWORD = "plugboard-demo";

/** Waits until the WASM has hydrated the page (the frontend marks <body>). */
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
