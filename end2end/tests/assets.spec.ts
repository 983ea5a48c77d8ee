import { expect, test } from "@playwright/test";
import { hydrated, isSameDocument, markDocument } from "./helpers";

const YEAR = "public, max-age=31536000, immutable";

/**
 * How the main JS and WASM are cached: revalidated, since cargo-leptos names them before it
 * writes the split loader's name into them (see `built_assets` in server/http.rs).
 */
function expectedCache(url: string): string {
  return /^\/pkg\/plugboard\.[A-Za-z0-9_-]+\.(js|wasm)$/.test(url) ? "no-cache" : YEAR;
}

// The release build's assets: the names the page asks for exist (whatever built the
// binary), carry their content's hash, are served precompressed and kept for a year
// (all but the main JS and WASM); the page itself is compressed and revalidated.
test("the page's assets exist, hashed, precompressed and cached", async ({ request }) => {
  const page = await request.get("/marketplace", { headers: { "accept-encoding": "br, gzip" } });
  expect(page.status()).toBe(200);
  expect(page.headers()["content-encoding"]).toBe("br");
  expect(page.headers()["cache-control"]).toBe("no-cache");
  const html = await page.text();
  // In the stylesheet link and in the hydration script.
  const assets = [...new Set([...html.matchAll(/"(\/pkg\/[^"]+)"/g)].map((m) => m[1]))];
  for (const kind of ["js", "wasm", "css"]) {
    expect(assets.some((url) => new RegExp(`^/pkg/plugboard\\.[A-Za-z0-9_-]+\\.${kind}$`).test(url)), `${kind} in ${assets}`).toBeTruthy();
  }
  expect(assets.filter((url) => expectedCache(url) === YEAR), "the stylesheet is kept for a year").toHaveLength(1);
  for (const url of assets) {
    for (const [accepted, encoding] of [["br, gzip", "br"], ["gzip", "gzip"]]) {
      const answer = await request.get(url, { headers: { "accept-encoding": accepted } });
      expect(answer.status(), url).toBe(200);
      expect(answer.headers()["content-encoding"], `${url} with ${accepted}`).toBe(encoding);
      expect(answer.headers()["cache-control"], url).toBe(expectedCache(url));
    }
  }
});

// Islands: pages are rendered on the server and only their islands run in the browser.
// The marketplace hydrates with the main WASM alone; a page without an island (the API
// guide) needs no code at all, and is opened without a page load; the Projects page's
// island is a chunk of its own (`#[island(lazy)]`, `cargo leptos build --split`), fetched
// when that page is opened and served like every other asset.
test("only islands load code, each page's chunk as the page is opened", async ({ page, request }) => {
  const fetched: string[] = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (/\.(wasm|js)$/.test(path)) fetched.push(path);
  });
  await page.goto("/marketplace");
  await hydrated(page);
  expect(fetched.filter((url) => url.endsWith(".wasm")), "the marketplace needs no chunk").toEqual([
    expect.stringMatching(/^\/pkg\/plugboard\.[A-Za-z0-9_-]+\.wasm$/),
  ]);
  const loader = fetched.filter((url) => /^\/pkg\/__wasm_split\.[A-Za-z0-9_-]+\.js$/.test(url));
  expect(loader, `scripts fetched: ${fetched}`).toHaveLength(1);

  fetched.length = 0;
  await markDocument(page);
  await page.getByRole("link", { name: "Plugin API" }).click();
  await expect(page).toHaveURL(/\/docs\/api$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("The plugin API");
  expect(await isSameDocument(page), "opened without a page load").toBe(true);
  expect(fetched, "a page without islands fetches no code").toEqual([]);

  // An island that reads data the server serialized into its page loads as a page.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
  await expect(page).toHaveURL(/\/projects$/);
  await hydrated(page);
  expect(await isSameDocument(page), "loaded as a page").toBe(false);
  await expect.poll(() => fetched.filter((url) => url.includes("projects_workspace")), { message: `fetched: ${fetched}` }).toHaveLength(1);
  for (const url of [...loader, ...fetched.filter((url) => url.includes("projects_workspace"))]) {
    const answer = await request.get(url, { headers: { "accept-encoding": "br, gzip" } });
    expect(answer.status(), url).toBe(200);
    expect(answer.headers()["content-encoding"], url).toBe("br");
    expect(answer.headers()["cache-control"], url).toBe(YEAR);
  }
});
