import { defineConfig } from "@playwright/test";
import { readFileSync } from "node:fs";
import * as path from "node:path";

// A release build of Plugboard on a fresh, demo-seeded SQLite database, on loopback.
// Playwright starts it before the tests and stops it after them.
const port = Number(process.env.PLUGBOARD_E2E_PORT ?? 3210);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "off",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // Debian's Chromium on a closed network: the flags lighthouse.mjs uses too.
      args: JSON.parse(readFileSync(path.join(__dirname, "chromium-flags.json"), "utf8")),
    },
  },
  webServer: {
    command: `bash ./start-server.sh ${port}`,
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
  },
});
