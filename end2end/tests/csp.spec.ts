import { expect, test } from "@playwright/test";
import { hydrated, signIn } from "./helpers";

// App pages carry a Content-Security-Policy whose script-src admits Plugboard's own
// scripts only (the hydration script by its nonce, the WASM bundle from our origin). Every
// page must still hydrate, and the browser must report no violation on any of them.
const pages: [string, string][] = [
  ["owner@acme.test", "/marketplace"],
  ["owner@acme.test", "/marketplace?q=time&sort=top-rated"],
  ["owner@acme.test", "/marketplace/timesheet-bridge"],
  ["owner@acme.test", "/installed"],
  ["owner@acme.test", "/projects"],
  ["owner@acme.test", "/docs/api"],
  ["developer@partners.test", "/developer"],
  ["staff@plugboard.test", "/admin"],
];

test("every page hydrates under the CSP with no violation reported", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(`${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => violations.push(`${page.url()}: ${error.message}`));

  for (const path of ["/signin", "/signup"]) {
    const answer = await page.goto(path);
    const csp = answer?.headers()["content-security-policy"] ?? "";
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=_-]+'/);
    expect(csp, path).toContain("object-src 'none'");
    expect(csp, path).toContain("base-uri 'none'");
    expect(csp, path).toContain("frame-ancestors 'none'");
    await hydrated(page);
  }
  let signedInAs = "";
  for (const [who, path] of pages) {
    if (who !== signedInAs) {
      await page.context().clearCookies();
      await signIn(page, who);
      signedInAs = who;
    }
    const answer = await page.goto(path);
    expect(answer?.status(), path).toBe(200);
    expect(answer?.headers()["content-security-policy"] ?? "", path).toContain("'nonce-");
    await hydrated(page);
  }
  // A nonce is good for one answer only.
  const first = (await page.goto("/marketplace"))?.headers()["content-security-policy"];
  const second = (await page.goto("/marketplace"))?.headers()["content-security-policy"];
  expect(first).not.toEqual(second);
  expect(violations).toEqual([]);
});
