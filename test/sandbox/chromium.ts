/**
 * Debian's chromium driven by playwright-core (no browser download), for the mail page's
 * browser test and the screenshot script: a fresh profile per launch, offline and quiet.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
export const chromiumPath = CANDIDATES.find((path) => existsSync(path));
export const chromiumMissing = `chromium not found (${CANDIDATES.join(", ")}); install it with: apt-get install chromium`;

// Offline and quiet: nothing but the pages on 127.0.0.1.
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Chromium {
  browser: BrowserContext;
  close(): Promise<void>;
}

/** 1280 × 800 unless told: the width the layout is checked at. */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<Chromium> {
  if (!chromiumPath) throw new Error(chromiumMissing);
  // a fresh profile per run: launchPersistentContext is Playwright's way to pass --user-data-dir
  const userDataDir = await mkdtemp(join(tmpdir(), "herald-chromium-"));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 60_000,
    viewport,
    timezoneId: "Europe/Paris",
    locale: "en-GB",
  });
  return {
    browser,
    async close() {
      await browser.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
