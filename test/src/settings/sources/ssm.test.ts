import { GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readSsmLayer } from "../../../../src/settings/sources/ssm.ts";

const ssm = mockClient(SSMClient);
afterEach(() => {
  ssm.reset();
});

// One client per test: Powertools caches per provider, and the source keeps one provider per
// client (per warm container in a Lambda).
let client: SSMClient;
beforeEach(() => {
  client = new SSMClient({ region: "eu-west-1" });
});

describe("readSsmLayer", () => {
  it("asks for a recursive, decrypted read and follows every page", async () => {
    ssm
      .on(GetParametersByPathCommand, { NextToken: undefined })
      .resolves({
        Parameters: [{ Name: "/herald/EmailSettings/SMTPServer", Value: "smtp.example.com" }],
        NextToken: "page-2",
      })
      .on(GetParametersByPathCommand, { NextToken: "page-2" })
      .resolves({
        Parameters: [
          { Name: "/herald/EmailSettings/SMTPPassword", Value: "decrypted-secret", Type: "SecureString" },
        ],
      });
    const layer = await readSsmLayer({ prefix: "/herald/", client });
    const calls = ssm.commandCalls(GetParametersByPathCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ Path: "/herald", Recursive: true, WithDecryption: true });
    expect(calls[1]).toMatchObject({ NextToken: "page-2", WithDecryption: true });
    expect(layer.entries.get("EmailSettings.SMTPServer")?.value).toBe("smtp.example.com");
    expect(layer.entries.get("EmailSettings.SMTPPassword")).toEqual({
      value: "decrypted-secret",
      origin: { source: "ssm", location: "/herald/EmailSettings/SMTPPassword" },
    });
  });

  it("reads once per warm container and prefix", async () => {
    ssm
      .on(GetParametersByPathCommand)
      .resolves({ Parameters: [{ Name: "/herald/EmailSettings/SMTPPort", Value: "587" }] });
    await readSsmLayer({ prefix: "/herald", client });
    const second = await readSsmLayer({ prefix: "/herald", client });
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
    expect(second.entries.get("EmailSettings.SMTPPort")?.value).toBe("587");
    await readSsmLayer({ prefix: "/other", client });
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
  });

  it("reads again once the cache has expired", async () => {
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    await readSsmLayer({ prefix: "/herald", client, maxAgeSeconds: 0 });
    await readSsmLayer({ prefix: "/herald", client, maxAgeSeconds: 0 });
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
  });

  it("reports a failed read as an input error and does not cache it", async () => {
    const denied = Object.assign(new Error("User is not authorized"), { name: "AccessDeniedException" });
    ssm.on(GetParametersByPathCommand).rejectsOnce(denied).resolves({ Parameters: [] });
    const failed = await readSsmLayer({ prefix: "/herald", client });
    expect(failed.inputErrors).toEqual([
      expect.objectContaining({
        setting: "ssm",
        source: "ssm",
        message: expect.stringContaining("AccessDeniedException"),
        fix: expect.stringContaining("ssm:GetParametersByPath"),
      }),
    ]);
    const retried = await readSsmLayer({ prefix: "/herald", client });
    expect(retried.inputErrors).toEqual([]);
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
  });

  it("warns about parameters that are not settings", async () => {
    ssm
      .on(GetParametersByPathCommand)
      .resolves({ Parameters: [{ Name: "/herald/EmailSettings/SMTPServr", Value: "x" }] });
    const layer = await readSsmLayer({ prefix: "/herald", client });
    expect(layer.problems).toEqual([
      expect.objectContaining({ setting: "/herald/EmailSettings/SMTPServr", severity: "warning" }),
    ]);
  });
});
