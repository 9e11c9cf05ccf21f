import { afterEach, describe, expect, it } from "vitest";
import { speaksImplicitTls } from "../../../src/smtp/detect-implicit-tls.ts";
import { startSilentServer, startSmtpServer, type TestSmtpServer } from "../../helpers/smtp-servers.ts";

let server: TestSmtpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("speaksImplicitTls", () => {
  it("is true for an implicit-TLS port", async () => {
    server = await startSmtpServer({ secure: true });
    expect(await speaksImplicitTls("127.0.0.1", server.port, undefined, 2000)).toBe(true);
  });

  it("is false for a plain SMTP port", async () => {
    server = await startSmtpServer();
    expect(await speaksImplicitTls("127.0.0.1", server.port, undefined, 2000)).toBe(false);
  });

  it("gives up after the timeout, or at once when aborted", async () => {
    server = await startSilentServer();
    let started = performance.now();
    expect(await speaksImplicitTls("127.0.0.1", server.port, undefined, 200)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    const controller = new AbortController();
    started = performance.now();
    const answer = speaksImplicitTls("127.0.0.1", server.port, undefined, 10_000, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await answer).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
