// The mail page in a real browser, after `npm start` ran its flow: Debian's chromium driven by
// playwright-core (no browser download). Skipped, saying why, only where chromium is missing;
// .ci/run installs it with apt-get.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSandbox, type SandboxProcess } from "./sandbox-process.ts";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const executablePath = CANDIDATES.find((path) => existsSync(path));
const skipReason = `chromium not found (${CANDIDATES.join(", ")}); install it with: apt-get install chromium`;
if (!executablePath) console.warn(`test/sandbox/browser.slow.test.ts SKIPPED: ${skipReason}`);

// Offline and quiet: nothing but the page on 127.0.0.1.
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

/** What the page's window offers that the test reads. */
interface PageWindow {
  getComputedStyle(element: unknown): { fontWeight: string };
}

describe.skipIf(!executablePath)(
  `the mail page in chromium${executablePath ? "" : ` (SKIPPED: ${skipReason})`}`,
  () => {
    let sandbox: SandboxProcess;
    let mailPage: string;
    let userDataDir: string;
    let browser: BrowserContext;

    beforeAll(async () => {
      sandbox = await spawnSandbox([]);
      await sandbox.waitFor(/Serving until Ctrl-C/);
      mailPage = (await sandbox.waitFor(/Mail page +(http:\/\/127\.0\.0\.1:\d+\/)/))[1] ?? "";
      // a fresh profile per run: launchPersistentContext is Playwright's way to pass --user-data-dir
      userDataDir = await mkdtemp(join(tmpdir(), "herald-chromium-"));
      browser = await chromium.launchPersistentContext(userDataDir, {
        executablePath: executablePath as string,
        headless: true,
        args: CHROMIUM_FLAGS,
        timeout: 30_000,
      });
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
      if (sandbox) {
        sandbox.child.kill("SIGINT");
        await sandbox.exited;
        await sandbox.cleanup();
      }
    }, 30_000);

    it("lists the test email, the notifications over SMTP and the SES API, and the dead letters", async () => {
      const page = await browser.newPage();
      await page.goto(mailPage);
      const rows = page.locator("tbody tr");
      await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(7);
      const list = await page.locator("body").innerText();
      expect(list).toContain("[Herald Sandbox] Testing Email Settings");
      expect(list).toContain("Alice mentioned you in Town Square");
      expect(list).toMatch(/Your daily digest: 3 unread messages.*\s*ses-api/);
      expect(list).toMatch(/Dead letters[\s\S]*sandbox-invite-nobody[\s\S]*550/);
      await page.close();
    });

    it("opens the test email with its HTML part rendered", async () => {
      const page = await browser.newPage();
      await page.goto(mailPage);
      await page.getByRole("link", { name: "[Herald Sandbox] Testing Email Settings" }).click();
      await expect.poll(() => page.locator("h1").innerText()).toBe("[Herald Sandbox] Testing Email Settings");
      const html = page.frameLocator('iframe[title="HTML part"]');
      expect(await html.locator("p").innerText()).toContain("SMTP server: 127.0.0.1");
      // line breaks of the HTML are elements, not text: it was rendered, not shown as source
      expect(await html.locator("p br").count()).toBeGreaterThan(3);
      await page.close();
    });

    it("opens a notification with its HTML part rendered", async () => {
      const page = await browser.newPage();
      await page.goto(mailPage);
      await page.getByRole("link", { name: "Alice mentioned you in Town Square", exact: true }).click();
      const html = page.frameLocator('iframe[title="HTML part"]');
      expect(await html.locator("b").first().innerText()).toBe("Alice");
      expect(await html.locator("blockquote").innerText()).toContain("@bob can you review the release notes");
      expect(await html.locator('a[href="https://chat.example.com/team/pl/8f3k2j"]').innerText()).toBe(
        "Open the conversation",
      );
      // runs in the page (the test's TypeScript has no DOM types)
      const weight = await html
        .locator("b")
        .first()
        .evaluate((element) => (globalThis as unknown as PageWindow).getComputedStyle(element).fontWeight);
      expect(Number(weight)).toBeGreaterThanOrEqual(700);
      // the headers the notification carries, as the page lists them
      expect(await page.locator("body").innerText()).toMatch(
        /List-Unsubscribe-Post\s+List-Unsubscribe=One-Click/,
      );
      await page.close();
    });
  },
);
