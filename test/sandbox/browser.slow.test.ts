// The mail page in a real browser, after `npm start` ran its flow: Debian's chromium driven by
// playwright-core (no browser download). Skipped, saying why, only where chromium is missing;
// .ci/run installs it with apt-get. Every wait is for a condition, never a fixed time.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import nodemailer from "nodemailer";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../helpers/run-herald.ts";
import { chromiumMissing, chromiumPath, launchChromium, type Chromium } from "./chromium.ts";
import { spawnSandbox, type SandboxProcess } from "./sandbox-process.ts";

if (!chromiumPath) console.warn(`test/sandbox/browser.slow.test.ts SKIPPED: ${chromiumMissing}`);

/** What the page's window offers that the test reads (the test's TypeScript has no DOM types). */
interface PageWindow {
  getComputedStyle(element: unknown): { fontWeight: string };
  document: { documentElement: { scrollWidth: number; clientWidth: number } };
  innerHeight: number;
}
interface FrameElement {
  getBoundingClientRect(): { top: number; height: number };
  contentDocument: { documentElement: { scrollHeight: number } } | null;
  getAttribute(name: string): string | null;
}

/** The sandbox's env file as variables (NAME=value lines, values maybe single-quoted). */
async function sandboxEnv(dir: string): Promise<Record<string, string>> {
  const text = await readFile(join(dir, "env"), "utf8");
  return Object.fromEntries(
    text
      .split("\n")
      .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(([, name, value]) => [name, (value ?? "").replace(/^'(.*)'$/, "$1").replace(/'\\''/g, "'")]),
  );
}

describe.skipIf(!chromiumPath)(
  `the mail page in chromium${chromiumPath ? "" : ` (SKIPPED: ${chromiumMissing})`}`,
  () => {
    let sandbox: SandboxProcess;
    let mailPage: string;
    let chromium: Chromium;
    let attacker: Server | undefined;

    beforeAll(async () => {
      sandbox = await spawnSandbox([]);
      await sandbox.waitFor(/Serving until Ctrl-C/, 120_000);
      mailPage = (await sandbox.waitFor(/Mail page +(http:\/\/127\.0\.0\.1:\d+\/)/))[1] ?? "";
      chromium = await launchChromium();
    }, 180_000);

    afterAll(async () => {
      await chromium?.close();
      if (attacker) await new Promise((resolve) => attacker?.close(resolve));
      if (sandbox) {
        sandbox.child.kill("SIGINT");
        await sandbox.exited;
        await sandbox.cleanup();
      }
    }, 60_000);

    async function open(path = ""): Promise<Page> {
      const page = await chromium.browser.newPage();
      await page.goto(`${mailPage}${path}`);
      return page;
    }

    /** `herald send` from the command line, with the sandbox's variables, as a developer runs it. */
    async function heraldSend(event: Record<string, unknown>): Promise<void> {
      const file = join(sandbox.dir, `event-${randomUUID()}.ndjson`);
      await writeFile(file, `${JSON.stringify(event)}\n`);
      const env = await sandboxEnv(sandbox.dir);
      await promisify(execFile)(process.execPath, ["bin/herald.ts", "send", "--events", file], {
        cwd: projectRoot,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
        timeout: 120_000,
      });
    }

    /** A message straight to the sandbox's SMTP server, as any SMTP client sends one. */
    async function smtpSend(subject: string, html: string): Promise<void> {
      const config = JSON.parse(await readFile(join(sandbox.dir, "config.json"), "utf8")) as {
        EmailSettings: { SMTPPort: string; SMTPUsername: string; SMTPPassword: string };
      };
      const settings = config.EmailSettings;
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port: Number(settings.SMTPPort),
        requireTLS: true,
        tls: { ca: await readFile(join(sandbox.dir, "ca.pem"), "utf8") },
        auth: { user: settings.SMTPUsername, pass: settings.SMTPPassword },
      });
      try {
        await transport.sendMail({ from: "tester@example.com", to: "reader@example.com", subject, html });
      } finally {
        transport.close();
      }
    }

    it("lists the test email, the notifications over SMTP and the SES API with their outcomes, and the dead letters", async () => {
      const page = await open();
      const rows = page.locator("#messages li[data-id]");
      await expect.poll(() => rows.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(7);
      const list = await page.locator("nav").innerText();
      expect(list).toContain("[Herald Sandbox] Testing Email Settings");
      expect(list).toContain("Alice mentioned you in Town Square");
      expect(await page.locator('li:has-text("Your daily digest")').innerText()).toMatch(/SES API/);
      expect(await page.locator('li:has-text("Reminder: release review")').innerText()).toMatch(
        /sandbox-reminder-busy[\s\S]*retried then sent/,
      );
      expect(list).toMatch(/Dead letters[\s\S]*sandbox-invite-nobody[\s\S]*550/);
      // local time shown, the ISO value on hover
      expect(await rows.first().locator("time").getAttribute("title")).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
      await page.close();
    });

    it("opens the test email with its HTML part rendered, sized to its content, above the fold", async () => {
      const page = await open();
      await page.getByRole("link", { name: /\[Herald Sandbox\] Testing Email Settings/ }).click();
      await expect
        .poll(() => page.locator("#subject").innerText())
        .toBe("[Herald Sandbox] Testing Email Settings");
      const html = page.frameLocator('iframe[title="HTML part"]');
      expect(await html.locator("p").first().innerText()).toContain("SMTP server: 127.0.0.1");
      expect(await html.locator("p br").count()).toBeGreaterThan(3);
      const frame = page.locator('iframe[title="HTML part"]');
      // sized to its content by the page (the frame has no script of its own)
      await expect
        .poll(() =>
          frame.evaluate((element) => {
            const f = element as unknown as FrameElement;
            return f.getBoundingClientRect().height - (f.contentDocument?.documentElement.scrollHeight ?? 0);
          }),
        )
        .toBeGreaterThanOrEqual(0);
      const layout = await frame.evaluate((element) => {
        const window = globalThis as unknown as PageWindow;
        return {
          top: (element as unknown as FrameElement).getBoundingClientRect().top,
          fold: window.innerHeight,
        };
      });
      expect(layout.top).toBeLessThan(layout.fold);
      await page.close();
    });

    it("switches tabs: HTML, Text, Headers, Source; shows the notification and its outcome", async () => {
      const page = await open();
      await page.getByRole("link", { name: /Alice mentioned you in Town Square/ }).click();
      const html = page.frameLocator('iframe[title="HTML part"]');
      expect(await html.locator("b").first().innerText()).toBe("Alice");
      expect(await html.locator('a[href="https://chat.example.com/team/pl/8f3k2j"]').innerText()).toBe(
        "Open the conversation",
      );
      const weight = await html
        .locator("b")
        .first()
        .evaluate((element) => (globalThis as unknown as PageWindow).getComputedStyle(element).fontWeight);
      expect(Number(weight)).toBeGreaterThanOrEqual(700);
      expect(await page.locator(".facts").innerText()).toMatch(
        /sandbox-mention-8f3k2j \(mention\)[\s\S]*sent/,
      );

      await page.getByRole("tab", { name: "Headers" }).click();
      await expect
        .poll(() => page.locator('[role="tabpanel"]').innerText())
        .toMatch(/List-Unsubscribe-Post\s+List-Unsubscribe=One-Click/);
      await page.getByRole("tab", { name: "Text" }).click();
      await expect.poll(() => page.locator('[role="tabpanel"] pre').innerText()).toContain("Alice");
      await page.getByRole("tab", { name: "Source" }).click();
      await expect
        .poll(() => page.locator('[role="tabpanel"]').innerText())
        .toMatch(/raw \(as received over SMTP\)[\s\S]*Message-ID:/);
      expect(await page.locator('[role="tabpanel"] iframe').count()).toBe(0);
      expect(await page.getByRole("link", { name: "Download .eml" }).getAttribute("href")).toMatch(/\.eml$/);
      await page.close();
    });

    it("shows a message sent during the test without a reload, and finds it by its notification id", async () => {
      const page = await open();
      await expect.poll(() => page.locator("#messages li[data-id]").count()).toBeGreaterThanOrEqual(7);
      const loads: string[] = [];
      page.on("load", () => loads.push(page.url()));
      const id = `browser-live-${randomUUID().slice(0, 8)}`;
      await heraldSend({
        id,
        to: ["carol@example.com"],
        subject: `Live ${id}`,
        text: "Hello Carol",
        category: "live",
      });
      const row = page.locator(`#messages li:has-text("Live ${id}")`);
      await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
      expect(loads).toEqual([]);

      await page.locator("#search").fill(id);
      await expect.poll(() => page.locator("#messages li[data-id]").count()).toBe(1);
      expect(await page.locator("#messages li[data-id]").innerText()).toContain(`Live ${id}`);
      await page.locator("#search").fill(`${id}-not-there`);
      await expect.poll(() => page.locator("#messages li[data-id]").count()).toBe(0);
      await page.locator("#search").fill("");
      // as many rows as the server holds SES API messages (the flow sends several)
      const sesApiMessages = await page.evaluate(async () => {
        const state = (await (await fetch("/api/state")).json()) as { messages: Array<{ via: string }> };
        return state.messages.filter((m) => m.via === "ses-api").length;
      });
      expect(sesApiMessages).toBeGreaterThan(0);
      await page.locator("#transport").selectOption("ses-api");
      await expect.poll(() => page.locator("#messages li[data-id]").count()).toBe(sesApiMessages);
      await page.locator("#transport").selectOption("");
      await page.locator("#outcome").selectOption("retried then sent");
      await expect
        .poll(() => page.locator("#messages li[data-id]").innerText())
        .toContain("Reminder: release review");
      await page.close();
    });

    it("runs nothing of a message's HTML: no script, no console message, no request from its frame", async () => {
      const marker = `script-ran-${randomUUID().slice(0, 8)}`;
      const subject = `Scripted ${marker}`;
      // the beacon's URL does not hold the marker: the browser's report of a blocked load names it
      const beaconId = randomUUID().slice(0, 8);
      const beacon = `${mailPage}beacon-${beaconId}`;
      await smtpSend(
        subject,
        `<p id="body">Hello</p><script>console.log("${marker}");parent.document.title="${marker}";fetch("${beacon}")</script>` +
          `<img src="${beacon}.png" onerror="console.log('${marker}')"><img src="x" onerror="console.log('${marker}')">`,
      );
      const page = await open();
      const console: string[] = [];
      page.on("console", (message) => console.push(message.text()));
      // Chromium reports a load the policy blocked as a request that failed (never sent): what
      // reached the network is what finished, or failed for another reason
      const sent: string[] = [];
      page.on("requestfinished", (request) => {
        if (request.frame() !== page.mainFrame()) sent.push(request.url());
      });
      page.on("requestfailed", (request) => {
        if (request.frame() === page.mainFrame()) return;
        if (!/^csp$|BLOCKED_BY_CSP/.test(request.failure()?.errorText ?? "")) {
          sent.push(`${request.url()} (${request.failure()?.errorText})`);
        }
      });
      const row = page.locator(`#messages li:has-text("${subject}")`);
      await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
      await row.locator("a").click();
      const frame = page.frameLocator('iframe[title="HTML part"]');
      expect(await frame.locator("#body").innerText()).toBe("Hello");
      const sandboxAttribute = await page
        .locator('iframe[title="HTML part"]')
        .evaluate((element) => (element as unknown as FrameElement).getAttribute("sandbox"));
      expect(sandboxAttribute).toBe("allow-same-origin");
      // the spam score is the page's last request for this message: once it shows, all have been made
      await expect.poll(() => page.locator("#spam").innerText(), { timeout: 120_000 }).not.toBe("scoring...");
      expect(console.filter((text) => text.includes(marker))).toEqual([]);
      expect(await page.title()).not.toContain(marker);
      // the frame's one request: its own document
      expect(sent.filter((url) => !/\/messages\/[^/]+\/html$/.test(url))).toEqual([]);
      expect(sent.filter((url) => url.includes(beaconId))).toEqual([]);
      await page.close();
    });

    it("checks the layout at 1280 px: no horizontal scroll on the list or a message", async () => {
      const page = await open();
      await expect.poll(() => page.locator("#messages li[data-id]").count()).toBeGreaterThanOrEqual(7);
      const overflow = () =>
        page.evaluate(() => {
          const root = (globalThis as unknown as PageWindow).document.documentElement;
          return root.scrollWidth - root.clientWidth;
        });
      expect(await overflow()).toBeLessThanOrEqual(0);
      await page.getByRole("link", { name: /Your daily digest/ }).click();
      await expect.poll(() => page.locator(".facts").innerText()).toContain("the emulator's copy");
      expect(await overflow()).toBeLessThanOrEqual(0);
      await page.close();
    });

    it("refuses a POST to clear from another origin", async () => {
      // a page of another origin that posts a form to the mail page: the CSRF a site could try
      const origin = new URL(mailPage);
      attacker = createServer((_request, response) => {
        response.writeHead(200, { "content-type": "text/html" });
        response.end(`<form method="post" action="${origin.href}api/clear"><button>clear</button></form>`);
      });
      await new Promise<void>((resolve) => attacker?.listen(0, "127.0.0.1", resolve));
      const address = attacker.address();
      const page = await chromium.browser.newPage();
      await page.goto(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`);
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/api/clear")),
        page.getByRole("button", { name: "clear" }).click(),
      ]);
      expect(response.status()).toBe(403);
      const state = (await (await fetch(`${mailPage}api/state`)).json()) as { messages: unknown[] };
      expect(state.messages.length).toBeGreaterThanOrEqual(7);
      await page.close();
    });

    it("clears every message and dead letter from the page itself", async () => {
      const page = await open();
      await expect.poll(() => page.locator("#messages li[data-id]").count()).toBeGreaterThanOrEqual(7);
      page.on("dialog", (dialog) => void dialog.accept());
      await page.locator("#clear").click();
      await expect
        .poll(() => page.locator("#messages li").innerText(), { timeout: 30_000 })
        .toContain("No messages yet");
      expect(await page.locator("#dead-letters").innerText()).toBe("");
      const state = (await (await fetch(`${mailPage}api/state`)).json()) as {
        messages: unknown[];
        deadLetters: unknown[];
      };
      expect(state).toEqual({ messages: [], deadLetters: [] });
      await page.close();
    });
  },
  300_000,
);
