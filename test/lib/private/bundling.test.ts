// The stack deploys each handler as esbuild's split bundle (index.mjs and its chunks), and
// every bundle runs from its asset directory, read-only as in Lambda: each handler is imported
// and invoked in its own Node process against loopback servers, so a chunk that fails to load
// (a missing file, a bad relative path, a `require` the banner does not provide) fails here.
import { execFile } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Duration, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BUNDLE_FILE,
  bundleHandlerSync,
  CHUNKS_DIR,
  ESM_REQUIRE_BANNER,
} from "../../../lib/private/bundling.ts";
import { firstUseOnly, LOADED_AT_START_ONLY_BY, LOADED_ON_FIRST_USE } from "../../../bench/bundles.ts";
import { HeraldFunction } from "../../../lib/private/herald-function.ts";
import { newApp, removeOutdirs, SYNTH_TIMEOUT_MS } from "../../helpers/cdk.ts";
import { SEND_FUNCTION_TIMEOUT_SECONDS } from "../../../src/constants.ts";
import { startDynalite, type TestDynamo } from "../../../sandbox/servers/dynalite.ts";
import { startFeedServer, type TestFeedServer } from "../../../sandbox/servers/feed.ts";
import { startLocalSes, type LocalSes } from "../../../sandbox/servers/ses.ts";
import { closedPort, startSmtpServer, type TestSmtpServer } from "../../helpers/smtp-servers.ts";
import { notification, smtpEnv, sqsEvent } from "../../lambdas/send-notification.fixtures.ts";

const HANDLERS = [
  "feedback",
  "security-alert-check",
  "notification-status",
  "send-notification",
  "smtp-credentials",
  "test-send",
  "validate-settings",
] as const;
type HandlerName = (typeof HANDLERS)[number];

const NOBODY = 65534;
const scratch = mkdtempSync(join(tmpdir(), "herald-bundles-"));
/** Per handler: the read-only copy of its asset directory and the function's environment. */
const deployed = new Map<HandlerName, { dir: string; env: Record<string, string>; timeoutMs: number }>();

beforeAll(() => {
  chmodSync(scratch, 0o755);
  const app = newApp({}, { bundle: true });
  const stack = new Stack(app, "Bundles");
  for (const name of HANDLERS) {
    new HeraldFunction(stack, name, {
      entry: `lambdas/${name}.ts`,
      description: name,
      serviceName: `herald-${name}`,
      // the pipeline's function gets the stack's send timeout (its sends must fit in it)
      ...(name === "send-notification" ? { timeout: Duration.seconds(SEND_FUNCTION_TIMEOUT_SECONDS) } : {}),
    });
  }
  const assembly = app.synth();
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  for (const name of HANDLERS) {
    const [, fn] = Object.entries(template.Resources).find(
      ([id, r]) => r.Type === "AWS::Lambda::Function" && id.startsWith(name.replace(/-/g, "")),
    )!;
    const key = (fn.Properties.Code as { S3Key: string }).S3Key;
    const asset = join(assembly.directory, `asset.${key.replace(/\.zip$/, "")}`);
    const dir = join(scratch, name);
    cpSync(asset, dir, { recursive: true });
    readOnly(dir);
    const env = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
    // the invocation gets the deployed function's time, as Lambda gives it
    deployed.set(name, { dir, env, timeoutMs: Number(fn.Properties.Timeout ?? 3) * 1000 });
    expect(fn.Properties.Handler).toBe("index.handler");
  }
}, SYNTH_TIMEOUT_MS);

afterAll(() => {
  removeOutdirs();
  writable(scratch);
  rmSync(scratch, { recursive: true, force: true });
});

function readOnly(path: string): void {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) readOnly(join(path, entry));
    chmodSync(path, 0o555);
  } else chmodSync(path, 0o444);
}

function writable(path: string): void {
  if (!existsSync(path)) return;
  chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) writable(join(path, entry));
}

// A static import between bundle files (`import{a as b}from"./chunks/chunk-X.mjs"`,
// `import"./x.mjs"`); a dynamic `import("./x.mjs")` has a parenthesis and does not match.
const STATIC_IMPORT = /\bimport\s*(?:[^"'();]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+\.mjs)["']/g;

/** A bundle file and every file it imports statically: what importing it loads. */
function filesLoadedAtStart(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const [, relative] of readFileSync(file, "utf8").matchAll(STATIC_IMPORT))
    filesLoadedAtStart(join(dirname(file), relative!), seen);
  return seen;
}

/** The source files a bundle file was built from, from its source map. */
function mapSources(file: string): string[] {
  return (JSON.parse(readFileSync(`${file}.map`, "utf8")) as { sources: string[] }).sources;
}

// The child imports the bundle as Lambda's runtime would and writes what the handler returned.
const INVOKER = `
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [bundle, event, out, timeoutMs] = process.argv.slice(1);
const end = Date.now() + Number(timeoutMs);
const context = { functionName: "herald", awsRequestId: "r-1", invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:herald", getRemainingTimeInMillis: () => end - Date.now() };
try {
  const { handler } = await import(pathToFileURL(bundle).href);
  writeFileSync(out, JSON.stringify({ result: (await handler(JSON.parse(event), context)) ?? null }));
} catch (error) {
  writeFileSync(out, JSON.stringify({ error: String(error?.stack ?? error) }));
}
`;

async function invoke(
  name: HandlerName,
  event: unknown,
  env: Record<string, string>,
): Promise<{ result?: Record<string, unknown>; error?: string }> {
  const { dir, env: functionEnv, timeoutMs } = deployed.get(name)!;
  const outDir = mkdtempSync(join(tmpdir(), "herald-invoke-"));
  chmodSync(outDir, 0o777);
  const out = join(outDir, "result.json");
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        INVOKER,
        join(dir, BUNDLE_FILE),
        JSON.stringify(event),
        out,
        String(timeoutMs),
      ],
      {
        // the function's own variables (NODE_OPTIONS, Powertools), then the test's
        env: {
          PATH: process.env.PATH,
          ...functionEnv,
          AWS_REGION: "eu-west-1",
          POWERTOOLS_LOG_LEVEL: "SILENT",
          ...env,
        },
        cwd: dir,
        timeout: timeoutMs + 30_000,
        // Lambda runs as an unprivileged user; root would ignore the read-only modes.
        ...(process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {}),
      },
      (error, _stdout, stderr) =>
        error ? reject(new Error(`${name}: ${error.message}\n${stderr}`)) : resolve(),
    );
  });
  return JSON.parse(readFileSync(out, "utf8")) as { result?: Record<string, unknown>; error?: string };
}

const KEYS = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret" };

describe("the deployed bundles", () => {
  let smtp: TestSmtpServer;
  let ses: LocalSes;
  let dynamo: TestDynamo;
  let feed: TestFeedServer;
  let eventBridge: Server;
  const putEvents: string[] = [];
  beforeAll(async () => {
    smtp = await startSmtpServer({ starttls: false });
    ses = await startLocalSes();
    dynamo = await startDynalite();
    feed = await startFeedServer({
      bulletins: [{ id: "MMSA-1", applies_to_version: "9.11.2" }],
      bodies: { "MMSA-1": "<p>Upgrade <script>x()</script>now</p>" },
    });
    // No local EventBridge exists: a loopback endpoint that accepts PutEvents.
    eventBridge = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        putEvents.push(body);
        response.setHeader("content-type", "application/x-amz-json-1.1");
        response.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] }));
      });
    });
    await new Promise<void>((resolve) => eventBridge.listen(0, "127.0.0.1", resolve));
  }, 60_000);
  afterAll(async () => {
    await smtp?.close();
    await ses?.close();
    await dynamo?.close();
    await feed?.close();
    eventBridge?.close();
  });

  it("are split: an entry file and chunks, the createRequire banner in each", () => {
    for (const name of HANDLERS) {
      const { dir } = deployed.get(name)!;
      const chunks = readdirSync(join(dir, CHUNKS_DIR)).filter((file) => file.endsWith(".mjs"));
      expect(chunks.length, name).toBeGreaterThan(0);
      for (const file of [BUNDLE_FILE, ...chunks.map((chunk) => join(CHUNKS_DIR, chunk))]) {
        expect(readFileSync(join(dir, file), "utf8").startsWith(ESM_REQUIRE_BANNER), file).toBe(true);
      }
    }
  });

  it("load no nodemailer, html-to-text or sanitize-html at a cold start: those are chunks loaded on first use", () => {
    for (const name of HANDLERS) {
      const { dir } = deployed.get(name)!;
      const loaded = new Set<string>();
      for (const file of filesLoadedAtStart(join(dir, BUNDLE_FILE)))
        for (const source of mapSources(file))
          for (const pkg of LOADED_ON_FIRST_USE) if (source.includes(`node_modules/${pkg}/`)) loaded.add(pkg);
      expect([...loaded], name).toEqual([]);
    }
  });

  it("load the SES v2 client at a cold start only in validate-settings, the SQS client in none: both load on first use", () => {
    const loadedBy = (pkg: string) =>
      HANDLERS.filter((name) =>
        [...filesLoadedAtStart(join(deployed.get(name)!.dir, BUNDLE_FILE))].some((file) =>
          mapSources(file).some((source) => source.includes(`node_modules/${pkg}/`)),
        ),
      );
    for (const pkg of Object.keys(LOADED_AT_START_ONLY_BY))
      expect(loadedBy(pkg), pkg).toEqual(HANDLERS.filter((name) => !firstUseOnly(name).includes(pkg)));
    expect(loadedBy("@aws-sdk/client-sesv2")).toEqual(["validate-settings"]);
    expect(loadedBy("@aws-sdk/client-sqs")).toEqual([]);
  });

  it("load zod's mini API at a cold start, never the classic one (85 KB more to load)", () => {
    for (const name of HANDLERS) {
      const sources = [...filesLoadedAtStart(join(deployed.get(name)!.dir, BUNDLE_FILE))].flatMap(mapSources);
      expect(
        sources.some((source) => source.includes("node_modules/zod/v4/mini/")),
        name,
      ).toBe(true);
      expect(
        sources.filter((source) => source.includes("node_modules/zod/v4/classic/")),
        name,
      ).toEqual([]);
    }
  });

  it("are what esbuild's API builds with the shared options (what the benchmarks measure)", () => {
    const out = join(mkdtempSync(join(tmpdir(), "herald-esbuild-")), "out");
    bundleHandlerSync("lambdas/validate-settings.ts", out);
    const { dir } = deployed.get("validate-settings")!;
    expect(readFileSync(join(out, BUNDLE_FILE), "utf8")).toBe(readFileSync(join(dir, BUNDLE_FILE), "utf8"));
    expect(readdirSync(join(out, CHUNKS_DIR)).sort()).toEqual(readdirSync(join(dir, CHUNKS_DIR)).sort());
    rmSync(out, { recursive: true, force: true });
  });

  it("send-notification sends over SMTP (html-to-text and nodemailer chunks) and over the SES API", async () => {
    smtp.messages.length = 0;
    const overSmtp = await invoke("send-notification", sqsEvent(notification("n-1")), smtpEnv(smtp.port));
    expect(overSmtp).toEqual({ result: { batchItemFailures: [] } });
    expect(smtp.messages.map((m) => m.raw.toString())).toEqual([expect.stringContaining("Hello Bob")]);

    await ses.clear();
    const overApi = await invoke("send-notification", sqsEvent(notification("n-2")), {
      ...smtpEnv(smtp.port),
      ...KEYS,
      HERALD_TRANSPORT: "ses-api",
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
    });
    expect(overApi).toEqual({ result: { batchItemFailures: [] } });
    expect((await ses.emails()).map((e) => e.subject)).toEqual(["Notification n-2"]);
  });

  it("test-send sends the test email over SMTP", async () => {
    smtp.messages.length = 0;
    const { result } = await invoke("test-send", { to: "ops@example.com" }, smtpEnv(smtp.port));
    expect(result).toMatchObject({ ok: true });
    expect(smtp.messages).toHaveLength(1);
  });

  it("validate-settings validates and probes the server", async () => {
    const { result } = await invoke("validate-settings", { connect: true }, smtpEnv(smtp.port));
    expect(result).toMatchObject({ valid: true });
  });

  it("security-alert-check sanitizes the bulletin (sanitize-html chunk) and emails it", async () => {
    smtp.messages.length = 0;
    const { result } = await invoke(
      "security-alert-check",
      {},
      {
        ...smtpEnv(smtp.port),
        ...dynamo.env(await dynamo.createTable()),
        HERALD_SECURITY_FEED_URL: feed.url,
        HERALD_PRODUCT_VERSION: "9.11.2",
        HERALD_ADMIN_EMAILS: "ops@example.com",
      },
    );
    expect(result).toMatchObject({ sent: 1, errors: [] });
    expect(smtp.messages[0]!.raw.toString()).not.toContain("<script>");
  });

  it("feedback publishes a bounce on the bus", async () => {
    const { result } = await invoke(
      "feedback",
      {
        "detail-type": "Email Bounced",
        source: "aws.ses",
        detail: {
          eventType: "Bounce",
          mail: { messageId: "m-1", destination: ["a@example.net"], tags: { id: ["n-42"] } },
          bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: "a@example.net" }] },
        },
      },
      {
        ...KEYS,
        HERALD_EVENT_BUS_NAME: "herald-bus",
        AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${(eventBridge.address() as { port: number }).port}`,
      },
    );
    expect(result).toMatchObject({ published: 1 });
    expect(putEvents.join()).toContain("herald-bus");
  });

  it("notification-status reads the table (an unknown id)", async () => {
    const { result } = await invoke(
      "notification-status",
      { id: "never-sent" },
      { ...KEYS, ...dynamo.env(await dynamo.createTable()) },
    );
    expect(result).toMatchObject({
      found: false,
      id: "never-sent",
      error: expect.stringContaining("no status record"),
    });
  });

  it("smtp-credentials runs up to its first IAM call (no IAM emulator: a closed loopback port)", async () => {
    const port = await closedPort();
    const out = await invoke(
      "smtp-credentials",
      {
        RequestType: "Delete",
        PhysicalResourceId: "create-failed",
        ResourceProperties: { UserName: "u", ParameterPrefix: "/herald", KmsKeyId: "k", Region: "eu-west-1" },
      },
      {
        ...KEYS,
        AWS_ENDPOINT_URL_IAM: `http://127.0.0.1:${port}`,
        AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${port}`,
        AWS_ENDPOINT_URL_ECS: `http://127.0.0.1:${port}`,
      },
    );
    expect(out.error).toMatch(/SmtpCredentialsError: .*IAM.*ECONNREFUSED/);
  });

  it("name the source module and function in an error's stack without --enable-source-maps", async () => {
    const { env } = deployed.get("smtp-credentials")!;
    expect(env.NODE_OPTIONS ?? "").not.toContain("--enable-source-maps");
    const port = await closedPort();
    const out = await invoke(
      "smtp-credentials",
      {
        RequestType: "Delete",
        PhysicalResourceId: "create-failed",
        ResourceProperties: { UserName: "u", ParameterPrefix: "/herald", KmsKeyId: "k", Region: "eu-west-1" },
      },
      { ...KEYS, AWS_ENDPOINT_URL_IAM: `http://127.0.0.1:${port}` },
    );
    // mapped lazily through the chunk's .map when the stack is first formatted
    expect(out.error).toMatch(/\n {4}at listKeys \(\S*src\/operations\/smtp-credentials-store\.ts:\d+:\d+\)/);
    expect(out.error).toMatch(/at async remove \(\S*src\/operations\/smtp-credentials\.ts:\d+:\d+\)/);
  });
});

// The scratch copy is read-only: nothing may write beside the bundle at run time.
it.runIf(process.getuid?.() !== 0)("the asset copies are read-only", () => {
  const { dir } = deployed.get("send-notification")!;
  expect(() => writeFileSync(join(dir, "x"), "")).toThrow(/EACCES|EPERM/);
});
