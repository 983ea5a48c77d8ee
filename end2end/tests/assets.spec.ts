import { expect, test } from "@playwright/test";

// The release build's assets: the names the page asks for exist (whatever built the
// binary), carry their content's hash, are served precompressed and kept for a year;
// the page itself is compressed and revalidated on every visit.
test("the page's assets exist, hashed, precompressed and cached for a year", async ({ request }) => {
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
  for (const url of assets) {
    for (const [accepted, encoding] of [["br, gzip", "br"], ["gzip", "gzip"]]) {
      const answer = await request.get(url, { headers: { "accept-encoding": accepted } });
      expect(answer.status(), url).toBe(200);
      expect(answer.headers()["content-encoding"], `${url} with ${accepted}`).toBe(encoding);
      expect(answer.headers()["cache-control"], url).toBe("public, max-age=31536000, immutable");
    }
  }
});
