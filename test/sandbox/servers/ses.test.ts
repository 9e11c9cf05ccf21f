// The sandbox's SES emulator wrapper: the SendEmail requests it records for tests.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalSes, type LocalSes } from "../../../sandbox/servers/ses.ts";

describe("startLocalSes", () => {
  let ses: LocalSes;
  beforeAll(async () => {
    ses = await startLocalSes();
  });
  afterAll(async () => {
    await ses.close();
  });

  it("records nothing for a SendEmail body that is not JSON, and keeps serving", async () => {
    await ses.clear();
    const response = await fetch(`${ses.endpoint}/v2/email/outbound-emails`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(ses.requests()).toEqual([]);
    const stored = await fetch(`${ses.endpoint}/store`);
    expect(stored.ok).toBe(true);
  });
});
