// Whatever the password, and whatever a server echoes of it, neither it nor its base64
// forms reach the test-send report, its log line, or the validate-settings result: real
// sessions against a loopback server that echoes AUTH PLAIN and LOGIN payloads.
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { invokeTestSend } from "../helpers/lambda.ts";
import { invokeValidateSettings } from "../helpers/lambda.ts";
import { captureStdout } from "../helpers/capture-stdout.ts";
import { startAuthEchoServer, type EchoServer } from "../helpers/echo-servers.ts";

const USER = "echo-user";
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** Every string value in a JSON-like value. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value !== "object" || value === null) return [];
  return Object.values(value).flatMap(strings);
}

/** The Lambda context's own fields (the test's fake ARN, request id) are not input. */
const CONTEXT_KEYS = [
  "function_arn",
  "function_name",
  "function_request_id",
  "function_memory_size",
  "cold_start",
  "timestamp",
  "xray_trace_id",
];
function withoutContext(entry: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([key]) => !CONTEXT_KEYS.includes(key)));
}

/** The report and the parsed log lines must hold no form of the password. */
function expectNoSecret(result: unknown, logs: string, password: string): void {
  const texts = [
    ...strings(result),
    ...logs
      .split("\n")
      .filter(Boolean)
      .map((line) => withoutContext(JSON.parse(line)))
      .flatMap((entry) => strings(entry)),
  ];
  const forms = [password, b64(password), b64(`\0${USER}\0${password}`)];
  for (const text of texts) for (const form of forms) expect(text).not.toContain(form);
}

const servers: Partial<Record<"PLAIN" | "LOGIN", EchoServer>> = {};
beforeAll(async () => {
  servers.PLAIN = await startAuthEchoServer(["PLAIN"]);
  servers.LOGIN = await startAuthEchoServer(["LOGIN"]);
});
afterAll(async () => {
  await servers.PLAIN?.close();
  await servers.LOGIN?.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function useSettings(port: number, password: string): void {
  const env = {
    MM_EMAILSETTINGS_SMTPSERVER: "127.0.0.1",
    MM_EMAILSETTINGS_SMTPPORT: String(port),
    MM_EMAILSETTINGS_CONNECTIONSECURITY: "TLS",
    MM_EMAILSETTINGS_SKIPSERVERCERTIFICATEVERIFICATION: "true",
    MM_EMAILSETTINGS_ENABLESMTPAUTH: "true",
    MM_EMAILSETTINGS_SMTPUSERNAME: USER,
    MM_EMAILSETTINGS_SMTPPASSWORD: password,
    MM_EMAILSETTINGS_FEEDBACKEMAIL: "alerts@example.com",
    MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: "5",
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

// Passwords that broke the old text-based redaction, and arbitrary ones. An environment
// variable cannot hold NUL; asterisks only would be the mask itself.
const password = fc.oneof(
  fc.constantFrom("true", "false", "1234", "stage", "timings", "response", 'p"a\\ss}'),
  fc
    .string({ minLength: 8, maxLength: 40, unit: "grapheme" })
    .filter((p) => !p.includes("\0") && !/^\**$/.test(p)),
);

describe("test-send: no form of the password leaves, whatever a server echoes", () => {
  it.each(["PLAIN", "LOGIN"] as const)("AUTH %s, arbitrary passwords", async (mechanism) => {
    const server = servers[mechanism]!;
    await fc.assert(
      fc.asyncProperty(password, async (secret) => {
        useSettings(server.port, secret);
        server.authPayloads.length = 0;
        const { result, output } = await captureStdout(() => invokeTestSend({ to: "someone@example.com" }));
        // The server did get the password, and echoed it.
        const sent = server.authPayloads.map((p) => Buffer.from(p, "base64").toString("utf8"));
        expect(sent.some((text) => text.includes(secret))).toBe(true);
        expect(result).toMatchObject({ ok: false, error: { code: "EAUTH" } });
        expect(result.error?.response).toMatch(/^535 5\.7\.8 rejected /);
        expectNoSecret(result, output, secret);
      }),
      { numRuns: 25 },
    );
  });

  it("validate-settings with connect: true, AUTH PLAIN", async () => {
    const server = servers.PLAIN!;
    await fc.assert(
      fc.asyncProperty(password, async (secret) => {
        useSettings(server.port, secret);
        const { result, output } = await captureStdout(() => invokeValidateSettings({ connect: true }));
        expect(result.probe).toMatchObject({ ok: false, stage: "auth" });
        expectNoSecret(result, output, secret);
      }),
      { numRuns: 15 },
    );
  });
});
