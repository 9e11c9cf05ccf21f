import { describe, expect, it } from "vitest";
import { portProblem, PortVariableError, SANDBOX_SERVERS, sandboxPorts } from "../../sandbox/ports.ts";

describe("sandbox ports", () => {
  it("uses the fixed defaults, each overridable by its variable (0: any free port)", () => {
    expect(sandboxPorts({})).toEqual({
      smtp: 10025,
      mail: 8025,
      ses: 8005,
      dynamodb: 4567,
      sqs: 9324,
      feed: 8066,
    });
    expect(sandboxPorts({ HERALD_SANDBOX_SMTP_PORT: "2525", HERALD_SANDBOX_MAIL_PORT: " 0 " })).toMatchObject(
      {
        smtp: 2525,
        mail: 0,
        ses: 8005,
      },
    );
  });

  it("gives every server its own default port and variable", () => {
    const servers = Object.values(SANDBOX_SERVERS);
    expect(new Set(servers.map((s) => s.port)).size).toBe(servers.length);
    expect(new Set(servers.map((s) => s.variable)).size).toBe(servers.length);
  });

  it.each(["abc", "-1", "65536", "25.5"])("refuses %j, naming the variable", (value) => {
    expect(() => sandboxPorts({ HERALD_SANDBOX_FEED_PORT: value })).toThrow(PortVariableError);
    expect(() => sandboxPorts({ HERALD_SANDBOX_FEED_PORT: value })).toThrow(/^HERALD_SANDBOX_FEED_PORT is /);
  });

  it("says which server, which port, why, and how to pick another", () => {
    expect(portProblem("smtp", 10025, "EADDRINUSE")).toBe(
      "sandbox: port 10025 on 127.0.0.1 for the SMTP server is already in use (another sandbox still running?).\n" +
        "Stop what uses it, or pick another port: HERALD_SANDBOX_SMTP_PORT=<port> npm start (0 picks any free port).\n",
    );
    expect(portProblem("mail", 80, "EACCES")).toContain("is not allowed for this user");
  });
});
