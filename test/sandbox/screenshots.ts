// `npm run screenshots`: the mail page after the sandbox's flow, in chromium at 1280 × 800,
// saved as docs/images/mail-page-list.png and docs/images/mail-page-message.png (docs/sandbox.md
// shows them). Run it again when the page changes.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { projectRoot } from "../helpers/run-herald.ts";
import { launchChromium } from "./chromium.ts";
import { spawnSandbox } from "./sandbox-process.ts";

const out = join(projectRoot, "docs", "images");
await mkdir(out, { recursive: true });
const sandbox = await spawnSandbox([]);
const chromium = await launchChromium();
try {
  await sandbox.waitFor(/Serving until Ctrl-C/, 120_000);
  const url = (await sandbox.waitFor(/Mail page +(http:\/\/127\.0\.0\.1:\d+\/)/))[1] ?? "";
  const page = await chromium.browser.newPage();
  await page.goto(url);
  await page.locator("#messages li[data-id]").nth(6).waitFor();
  await page.screenshot({ path: join(out, "mail-page-list.png") });
  await page.getByRole("link", { name: /Reminder: release review/ }).click();
  await page.frameLocator('iframe[title="HTML part"]').locator("b").first().waitFor();
  await page.locator("#spam").filter({ hasNotText: "scoring..." }).waitFor({ timeout: 120_000 });
  await page.screenshot({ path: join(out, "mail-page-message.png") });
  process.stdout.write(`wrote ${join("docs", "images", "mail-page-list.png")} and mail-page-message.png\n`);
} finally {
  await chromium.close();
  sandbox.child.kill("SIGINT");
  await sandbox.exited;
  await sandbox.cleanup();
}
