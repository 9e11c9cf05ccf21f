// A notification must look like legitimate mail: SpamAssassin with its local rules only
// (-L: no network tests) scores each sample notification below 1.0.
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { renderNotification } from "../../../src/notifications/render-notification.ts";
import { parseNotificationEvent } from "../../../src/notifications/parse.ts";
import { defaultSettings } from "../../../src/settings/load.ts";

const spamassassin = spawnSync("spamassassin", ["--version"], { encoding: "utf8" });
const installed = spamassassin.status === 0;
const reason = installed
  ? ""
  : " (SKIPPED: spamassassin is not installed; on Debian: apt-get install -y spamassassin)";
if (!installed) console.warn(`spam-score test skipped${reason}`);

function score(raw: Buffer | string): { score: number; report: string } {
  const run = spawnSync("spamassassin", ["-L", "-t"], { input: raw, encoding: "utf8", timeout: 60_000 });
  const report = run.stdout;
  const match = /^X-Spam-Status: \w+, score=(-?[\d.]+)/m.exec(report);
  if (!match) throw new Error(`no score in spamassassin's output: ${run.stderr || report.slice(0, 500)}`);
  return { score: Number(match[1]), report: report.slice(report.indexOf("Content analysis details")) };
}

describe.skipIf(!installed)(`SpamAssassin local rules${reason}`, () => {
  it("score every sample notification below 1.0", { timeout: 120_000 }, async () => {
    const settings = defaultSettings();
    settings.EmailSettings.FeedbackName = "Example Chat";
    settings.EmailSettings.FeedbackEmail = "notifications@example.com";
    settings.EmailSettings.ReplyToAddress = "support@example.com";
    settings.ServiceSettings.SiteURL = "https://chat.example.com";
    settings.TeamSettings.SiteName = "Example Chat";
    const lines = (await readFile(new URL("../../../examples/notifications.ndjson", import.meta.url), "utf8"))
      .split("\n")
      .filter((line) => line.trim() !== "");
    for (const [index, line] of lines.entries()) {
      const parsed = parseNotificationEvent(line);
      if (!parsed.ok) throw new Error(`sample ${index + 1} is invalid`);
      const message = await renderNotification(settings, parsed.notification, {
        subjectPrefix: index % 2 === 0,
      });
      const result = score(message.raw);
      expect(result.score, `sample ${index + 1}:\n${result.report}`).toBeLessThan(1.0);
    }
  });
});
