import { HeraldError } from "../src/errors.ts";

/**
 * The sandbox's ports on 127.0.0.1: fixed defaults, so URLs and `npx herald ...` commands in
 * another terminal stay the same from run to run, each overridable by a variable (0: any free
 * port, as the tests use). The defaults are each tool's usual one where it has one (Herald's
 * SMTPPort 10025, MailHog's web page 8025, aws-ses-v2-local 8005, dynalite 4567, ElasticMQ
 * 9324); none is on a browser's list of blocked ports.
 */
export const SANDBOX_SERVERS = {
  smtp: { label: "SMTP server", variable: "HERALD_SANDBOX_SMTP_PORT", port: 10025 },
  mail: { label: "mail page", variable: "HERALD_SANDBOX_MAIL_PORT", port: 8025 },
  ses: { label: "SES v2 emulator", variable: "HERALD_SANDBOX_SES_PORT", port: 8005 },
  dynamodb: { label: "DynamoDB emulator", variable: "HERALD_SANDBOX_DYNAMODB_PORT", port: 4567 },
  sqs: { label: "dead-letter queue", variable: "HERALD_SANDBOX_SQS_PORT", port: 9324 },
  feed: { label: "security feed", variable: "HERALD_SANDBOX_FEED_PORT", port: 8066 },
} as const;

export type SandboxServer = keyof typeof SANDBOX_SERVERS;
export type SandboxPorts = Record<SandboxServer, number>;

/** A port variable that is not a port number: named with its fix. */
export class PortVariableError extends HeraldError {
  override name = "PortVariableError";
  readonly code = "EPORTVARIABLE";
}

/** The ports from the environment: each variable, else its default. */
export function sandboxPorts(env: NodeJS.ProcessEnv): SandboxPorts {
  const ports = {} as SandboxPorts;
  for (const [name, server] of Object.entries(SANDBOX_SERVERS) as Array<
    [SandboxServer, (typeof SANDBOX_SERVERS)[SandboxServer]]
  >) {
    const text = env[server.variable]?.trim();
    if (text === undefined || text === "") {
      ports[name] = server.port;
      continue;
    }
    const port = Number(text);
    if (!/^\d+$/.test(text) || port > 65535) {
      throw new PortVariableError(
        `${server.variable} is ${JSON.stringify(text)}, not a port number: set it to 1..65535, or 0 for any free port`,
      );
    }
    ports[name] = port;
  }
  return ports;
}

/** What to tell someone whose port is taken (EADDRINUSE) or not allowed (EACCES). */
export function portProblem(server: SandboxServer, port: number, code: string): string {
  const { label, variable } = SANDBOX_SERVERS[server];
  const why =
    code === "EADDRINUSE"
      ? "is already in use (another sandbox still running?)"
      : code === "EACCES"
        ? "is not allowed for this user"
        : `cannot be used (${code})`;
  return (
    `sandbox: port ${port} on 127.0.0.1 for the ${label} ${why}.\n` +
    `Stop what uses it, or pick another port: ${variable}=<port> npm start (0 picks any free port).\n`
  );
}
