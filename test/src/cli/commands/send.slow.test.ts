import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEvents } from "../../../../src/cli/commands/send.ts";
import { runCli } from "../../../../src/cli/main.ts";
import { startDynalite, type TestDynamo } from "../../../../sandbox/servers/dynalite.ts";
import { projectRoot, runHerald, type HeraldRun } from "../../../helpers/run-herald.ts";
import { closedPort, startSmtpServer, type TestSmtpServer } from "../../../helpers/smtp-servers.ts";

const samples = join(projectRoot, "examples/notifications.ndjson");
let smtp: TestSmtpServer;
let dynamo: TestDynamo;
let dir: string;

beforeAll(async () => {
  smtp = await startSmtpServer({
    starttls: false,
    recipientReply: (address) =>
      address === "gone@example.com" ? { code: 550, message: "5.1.1 user unknown" } : undefined,
  });
  dynamo = await startDynalite();
  dir = await mkdtemp(join(tmpdir(), "herald-send-"));
});

afterAll(async () => {
  await smtp.close();
  await dynamo.close();
  await rm(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
    MM_EMAILSETTINGS_SMTPPORT: String(smtp.port),
    MM_EMAILSETTINGS_FEEDBACKNAME: "Example Chat",
    MM_EMAILSETTINGS_FEEDBACKEMAIL: "notifications@example.com",
    MM_SERVICESETTINGS_SITEURL: "https://chat.example.com",
    HERALD_TRANSPORT: "smtp",
    HERALD_MAX_SEND_RATE: "1000",
    ...extra,
  };
}

function summaryOf(run: HeraldRun): Record<string, number> {
  return JSON.parse(run.stdout) as Record<string, number>;
}

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe("herald send", () => {
  it("delivers the sample events, and a second run against the same table sends nothing", async () => {
    const table = await dynamo.createTable();
    const before = smtp.messages.length;
    const first = await runHerald(["send", "--events", samples, "--json"], env(dynamo.env(table)));
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(summaryOf(first)).toMatchObject({ events: 4, sent: 4, duplicates: 0, retryable: 0, permanent: 0 });
    expect(summaryOf(first).seconds).toBeGreaterThan(0);
    expect(smtp.messages.length - before).toBe(4);

    const second = await runHerald(["send", "--events", samples, "--json"], env(dynamo.env(table)));
    expect(second.code).toBe(0);
    expect(summaryOf(second)).toMatchObject({ events: 4, sent: 0, duplicates: 4 });
    expect(smtp.messages.length - before).toBe(4);
  });

  it("without a table remembers ids for the run only, and prints a text summary", async () => {
    const events = await file(
      "dup.ndjson",
      [
        JSON.stringify({ id: "cli-dup", to: ["bob@example.com"], subject: "s", text: "t" }),
        JSON.stringify({ id: "cli-dup", to: ["bob@example.com"], subject: "s", text: "t" }),
      ].join("\n"),
    );
    const run = await runHerald(["send", "--events", events], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^2 event\(s\): 1 sent, 1 duplicate\(s\) skipped, 0 retryable, 0 permanent in [\d.]+ s\n$/,
    );
  });

  it("exits 1 and names each failed event by line, with the field and the rule", async () => {
    const events = await file(
      "bad.ndjson",
      [
        JSON.stringify({ id: "cli-ok", to: ["bob@example.com"], subject: "s", text: "t" }),
        JSON.stringify({ id: "cli-bad", to: ["not-an-address"], subject: "s", text: "t" }),
        "",
        JSON.stringify({ id: "cli-gone", to: ["gone@example.com"], subject: "s", text: "t" }),
        "{broken",
      ].join("\n"),
    );
    const run = await runHerald(["send", "--events", events, "--json"], env());
    expect(run.code).toBe(1);
    expect(summaryOf(run)).toMatchObject({ events: 4, sent: 1, permanent: 3, retryable: 0 });
    expect(run.stderr).toContain(
      "permanent line 2 (id cli-bad): invalid event: to[0]: must be a plain email address",
    );
    expect(run.stderr).toMatch(/permanent line 4 \(id cli-gone\): 550 5\.1\.1 user unknown/);
    expect(run.stderr).toContain("permanent line 5: invalid event: event: must be JSON");
  });

  it("says when a permanent failure is NOT on the dead-letter queue because the queue refused it", async () => {
    const events = await file(
      "dlq.ndjson",
      JSON.stringify({ id: "cli-dlq", to: ["not-an-address"], subject: "s", text: "t" }),
    );
    const port = await closedPort();
    const refused = await runHerald(
      ["send", "--events", events],
      env({
        HERALD_DEAD_LETTER_QUEUE_URL: `http://127.0.0.1:${port}/000000000000/herald-dlq`,
        AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${port}`,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_MAX_ATTEMPTS: "1",
      }),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /permanent item 1 \(id cli-dlq\): invalid event: .*\n\s+NOT on the dead-letter queue: the queue refused it/,
    );
    const none = await runHerald(["send", "--events", events], env());
    // without a queue (a plain CLI run) nothing was to be dead-lettered: no such line
    expect(none.stderr).not.toContain("dead-letter");
  });

  it("says it has no region for the SES API instead of sending through us-east-1", async () => {
    const port = await closedPort();
    const run = await runHerald(
      ["send", "--events", samples],
      env({
        HERALD_TRANSPORT: "ses-api",
        // were a region guessed, the sends would go here (a closed loopback port), not to AWS
        AWS_ENDPOINT_URL_SESV2: `http://127.0.0.1:${port}`,
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
      }),
    );
    expect(run.stderr).toContain("herald send: no AWS region");
    expect(run.stderr).toContain("set AWS_REGION");
    expect(run.code).toBe(2);
  });

  it("writes only through its IO: progress on a terminal's stderr, events read from its stdin", async () => {
    const events = ["io-1", "io-2", "io-3"].map((id) => ({
      id,
      to: ["bob@example.com"],
      subject: "s",
      text: "t",
    }));
    const out = { stdout: "", stderr: "" };
    const code = await runCli(["send", "--events", "-", "--json"], {
      stdout: (text) => void (out.stdout += text),
      stderr: (text) => void (out.stderr += text),
      env: env(),
      stdin: Readable.from([Buffer.from(JSON.stringify(events))]),
      stderrIsTTY: true,
    });
    // the progress line, redrawn in place ("\r", then erase to the end of the line)
    expect(out.stderr).toContain("\r\u001b[K3/3: 3 sent");
    expect(JSON.parse(out.stdout)).toMatchObject({ events: 3, sent: 3 });
    expect(code).toBe(0);
  });

  it("reads a JSON array from stdin with -", async () => {
    const events = [{ id: "cli-stdin", to: ["bob@example.com"], subject: "From stdin", text: "t" }];
    const child = spawn(join(projectRoot, "node_modules/.bin/herald"), ["send", "--events", "-", "--json"], {
      cwd: projectRoot,
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, ...env() },
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stdin.end(JSON.stringify(events));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ events: 1, sent: 1 });
    expect(smtp.messages.some((m) => m.messageId === "<cli-stdin@chat.example.com>")).toBe(true);
  });

  // script(1) gives herald a terminal as stdin: waiting there in silence looks like a hang
  it.skipIf(process.platform !== "linux")(
    "--events - on a terminal says it is reading events and how to end them",
    async () => {
      const command = `${join(projectRoot, "node_modules/.bin/herald")} send --events - --json`;
      const child = spawn("script", ["-qfec", command, "/dev/null"], {
        cwd: projectRoot,
        env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, TERM: "dumb", ...env() },
      });
      const prompt = /reading notification events from standard input .*Ctrl-D/;
      let shown = "";
      let ended = false;
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        shown += chunk;
        // once it says it reads, end the input (Ctrl-D on an empty line)
        if (!ended && prompt.test(shown)) {
          ended = true;
          child.stdin.write("\u0004");
        }
      });
      // a herald that never ends would be killed before the slow project's 180 s limit
      const timer = setTimeout(() => child.kill(), 150_000);
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      clearTimeout(timer);
      expect(shown).toMatch(prompt);
      expect(code).toBe(0);
    },
  );

  it.each([
    [["send"], /--events FILE .* is required/],
    [["send", "--events", "/nonexistent/events.ndjson"], /cannot read the events from \/nonexistent/],
    [["send", "--events", "BROKEN_ARRAY"], /not a JSON array/],
  ])("exits 2 on a usage error: %j", async (args, message) => {
    const broken = await file("broken.json", '[{"id": "x"},');
    const run = await runHerald(
      args.map((a) => (a === "BROKEN_ARRAY" ? broken : a)),
      env(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});

describe("readEvents", () => {
  it("reads a JSON array, one pretty-printed object, or NDJSON", () => {
    expect(readEvents('[{"id":"a"},{"id":"b"}]', "f").map((r) => r.where)).toEqual(["item 1", "item 2"]);
    expect(readEvents('{\n  "id": "a"\n}\n', "f")).toEqual([{ where: "item 1", body: '{"id":"a"}' }]);
    expect(readEvents('{"id":"a"}\n\n{"id":"b"}\n', "f")).toEqual([
      { where: "line 1", body: '{"id":"a"}' },
      { where: "line 3", body: '{"id":"b"}' },
    ]);
    expect(readEvents("  \n", "f")).toEqual([]);
  });

  it("a broken JSON array is described by its position, never by quoting the events", () => {
    const text = '[{"id":"a","text":"password hunter2"}, SECRET-TOKEN-TAIL \u001b[31m]';
    let message = "";
    try {
      readEvents(text, "events.json");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^events\.json starts with "\[" but is not a JSON array: syntax error( at position \d+)?$/,
    );
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("SECRET");
  });
});
