import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MASKED_SECRET } from "../../../src/constants.ts";
import { redactSecrets } from "../../../src/smtp/redact.ts";
import type { SmtpReport } from "../../../src/smtp/report.ts";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** Every string value in a JSON-like value (keys are names, never redacted). */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value !== "object" || value === null) return [];
  return Object.values(value).flatMap(strings);
}

/** A report as a session builds it, with a password echoed by the server in every form. */
function echoingReport(user: string, password: string): SmtpReport {
  return {
    ok: false,
    stage: "auth",
    error: {
      code: "EAUTH",
      responseCode: 535,
      response: `535 5.7.8 rejected ${b64(`\0${user}\0${password}`)} (${password})`,
      retryable: false,
      message: `Invalid login: 535 5.7.8 rejected ${b64(password)} ${b64(`${user}\0${user}\0${password}`)}`,
    },
    hint: "Wrong credentials.",
    server: { banner: `220 ${password}`, extensions: ["AUTH PLAIN LOGIN", `X-ECHO ${b64(`x${password}`)}`] },
    timings: { connect: 12.5, greeting: 1, ehlo: 1, auth: 1234 },
  };
}

describe("redactSecrets", () => {
  it("masks the password, its base64, and AUTH PLAIN / LOGIN payloads in every string", () => {
    const password = "Sup3r-Secret-Pa55word";
    const redacted = redactSecrets(echoingReport("herald-user", password), [password]);
    const text = strings(redacted).join("\n");
    expect(text).not.toContain(password);
    expect(text).not.toContain(b64(password));
    expect(text).not.toContain(b64(`\0herald-user\0${password}`));
    expect(redacted.error?.response).toMatch(/^535 5\.7\.8 rejected /);
    expect(redacted.server?.banner).toBe(`220 ${MASKED_SECRET}`);
  });

  it.each(["true", "false", "null", "1234", "12.5", "stage", "error", "timings", "auth", '"},{', "\\u0000"])(
    "a password of %j breaks and renames nothing",
    (password) => {
      const report = echoingReport("u", password);
      const redacted = redactSecrets(report, [password]);
      expect(Object.keys(redacted)).toEqual(Object.keys(report));
      expect(Object.keys(redacted.timings ?? {})).toEqual(["connect", "greeting", "ehlo", "auth"]);
      expect(redacted.timings?.auth).toBe(1234);
      expect(redacted.ok).toBe(false);
      for (const value of strings(redacted)) expect(value).not.toContain(password);
    },
  );

  it("copies: the input stays as it was", () => {
    const input = { a: "x secret-value y" };
    const output = redactSecrets(input, ["secret-value"]);
    expect(input.a).toBe("x secret-value y");
    expect(output.a).toBe(`x ${MASKED_SECRET} y`);
  });

  it("keeps cycles and reads an Error's message", () => {
    const node: Record<string, unknown> = { text: "has secret-value" };
    node.self = node;
    const redacted = redactSecrets({ node, error: new Error("echo secret-value") }, ["secret-value"]);
    expect((redacted.node as Record<string, unknown>).self).toBe(redacted.node);
    expect(JSON.stringify(redacted.error)).toContain(MASKED_SECRET);
    expect(JSON.stringify(redacted.error)).not.toContain("secret-value");
  });

  it("leaves short secrets and secrets made of the mask alone", () => {
    expect(redactSecrets({ a: "abc ***" }, ["", "ab", undefined, "***", "*****"])).toEqual({ a: "abc ***" });
  });

  it("does not leave a new occurrence where a mask meets the text", () => {
    // "**ab" + "ab": masking the first occurrence would put "**" next to "ab" again.
    expect(strings(redactSecrets({ a: "**abab" }, ["**ab"])).join()).not.toContain("**ab");
  });

  // Passwords of asterisks only cannot be told from the mask itself.
  const password = fc.string({ minLength: 4, unit: "grapheme" }).filter((p) => !/^\**$/.test(p));
  const anyPassword = fc.oneof(
    password,
    fc.string({ minLength: 4, unit: "binary" }).filter((p) => !/^\**$/.test(p)),
    fc.constantFrom("true", "false", "null", "1234", "stage", "error", "message", "response", "timings"),
  );

  it("property: no string of a redacted value holds the password or any base64 form of it, and it never throws", () => {
    fc.assert(
      fc.property(
        anyPassword,
        fc.string({ maxLength: 20 }),
        fc.jsonValue(),
        fc.string(),
        fc.string(),
        (secret, user, noise, before, after) => {
          const value = {
            report: echoingReport(user, secret),
            noise,
            echoes: [
              `${before}${secret}${after}`,
              b64(`${before}${secret}${after}`),
              b64(`\0${user}\0${secret}`),
              b64(secret),
            ],
          };
          const redacted = redactSecrets(value, [secret]);
          for (const text of strings(redacted)) {
            expect(text).not.toContain(secret);
            expect(text).not.toContain(b64(secret));
            expect(text).not.toContain(b64(`\0${user}\0${secret}`));
          }
          // Only strings change: keys, numbers and booleans stay.
          expect(Object.keys(redacted.report)).toEqual(Object.keys(value.report));
          expect(redacted.report.timings).toEqual(value.report.timings);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("property: never throws, whatever the value", () => {
    fc.assert(
      fc.property(fc.anything(), fc.array(fc.option(fc.string())), (value, secrets) => {
        expect(() =>
          redactSecrets(
            value,
            secrets.map((s) => s ?? undefined),
          ),
        ).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});
