// The local sandbox (`npm start`): every server Herald talks to, on 127.0.0.1, and the
// deployed handlers run against them in order (flow.ts), then a summary with the URLs. It
// keeps serving until Ctrl-C; `--once` runs the flow and exits 0 only when every step had
// its expected outcome. Exit 2: a port is taken, or a usage error.
import { relative, resolve } from "node:path";
import tls from "node:tls";
import { parseArgs } from "node:util";
import { describeError } from "../src/errors.ts";
import { sandboxFiles, writeSandboxFiles } from "./files.ts";
import { caughtLine } from "./headers.ts";
import type { CapturedMail } from "./mail-page.ts";
import { portProblem, PortVariableError, SANDBOX_SERVERS, sandboxPorts } from "./ports.ts";
import { createProgress } from "./progress.ts";
import { ADMINS, PRODUCT_VERSION, REGION, TABLE_NAME, TEST_RECIPIENT } from "./scenario.ts";
import type { SandboxPortError as PortError, SandboxServers } from "./start-servers.ts";

const USAGE = `Usage: npm start [-- --once] [-- --verbose]

Starts Herald's local sandbox on 127.0.0.1 and runs the deployed handlers against it.

Options:
  --once      run the flow and exit: 0 when every step had its expected outcome, else 1
  --verbose   also print the handlers' JSON log lines and EMF metrics, as Lambda would
  -h, --help  show this help

Files go to .herald-sandbox/ (HERALD_SANDBOX_DIR to change it).
Ports (0 picks any free one): ${Object.values(SANDBOX_SERVERS)
  .map((s) => `${s.variable} (${s.port})`)
  .join(", ")}
`;

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

let args;
try {
  args = parseArgs({
    options: {
      once: { type: "boolean" },
      verbose: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }).values;
} catch (error) {
  process.stderr.write(`sandbox: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(EXIT_USAGE);
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(EXIT_OK);
}
const once = args.once === true;
const verbose = args.verbose === true;

let ports;
try {
  ports = sandboxPorts(process.env);
} catch (error) {
  if (!(error instanceof PortVariableError)) throw error;
  process.stderr.write(`sandbox: ${error.message}\n`);
  process.exit(EXIT_USAGE);
}

// The sandbox talks to its own servers only, and hands its handlers every AWS variable they
// need. The SDK also reads the shell's AWS_* variables by itself (a profile, FIPS or dual-stack
// endpoints, which refuse a custom endpoint): none of them may bend the sandbox.
for (const name of Object.keys(process.env)) {
  if (name.startsWith("AWS_")) delete process.env[name];
}

// Quiet by default: the summary is the output. Powertools Metrics reads this when it is
// constructed, and the handlers' modules construct theirs on import: set it, then import.
if (!verbose) process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
const { runFlow } = await import("./flow.ts");
const { SandboxPortError, startSandboxServers } = await import("./start-servers.ts");

// A terminal that takes escape sequences: progress redrawn in place, colour unless NO_COLOR
// (the CLI's rule too: TERM=dumb cannot move the cursor or colour text).
const tty = process.stdout.isTTY === true && process.env.TERM !== "dumb";
const color = tty && !process.env.NO_COLOR;
// `npm start -- --once | head -1`: a reader that goes away is not a failure of the sandbox.
// Output stops; the flow runs on, so the exit code still says whether every step went right.
let outputClosed = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
    if (stream === process.stdout) outputClosed = true;
  });
}
const write = (text: string) => void (outputClosed || process.stdout.write(text));
const bold = (text: string) => (color ? `\x1b[1m${text}\x1b[0m` : text);
const projectRoot = resolve(import.meta.dirname, "..");
// HERALD_SANDBOX_DIR: where the settings file and the others go (the tests use a temporary one)
const files = sandboxFiles(process.env.HERALD_SANDBOX_DIR?.trim() || resolve(projectRoot, ".herald-sandbox"));
const shown = (path: string) => relative(process.cwd(), path) || path;

let serving = false;
function printCaught(mail: CapturedMail): void {
  if (!serving) return;
  write(caughtLine(mail));
}

write(bold("Herald sandbox") + ": the deployed handlers against local servers on 127.0.0.1\n\n");
const progress = createProgress({ write, tty, color });

let servers: SandboxServers | undefined;
let portError: PortError | undefined;
await progress.step("start the local servers", async () => {
  try {
    servers = await startSandboxServers(ports, { onMessage: printCaught });
  } catch (error) {
    if (!(error instanceof SandboxPortError)) throw error;
    portError = error;
    return {
      ok: false,
      detail: `port ${error.port} for the ${SANDBOX_SERVERS[error.server].label}: ${error.code}`,
    };
  }
  return { ok: true, detail: "SMTP, mail page, SES v2 emulator, DynamoDB, dead-letter queue, security feed" };
});
if (portError) {
  process.stderr.write(`\n${portProblem(portError.server, portError.port, portError.code)}`);
  process.exit(EXIT_USAGE);
}
if (!servers) process.exit(EXIT_FAILED);
const running: SandboxServers = servers;

// The handlers verify the SMTP server's certificate as they would any other: this process
// trusts the one made at start (other processes: NODE_EXTRA_CA_CERTS=.herald-sandbox/ca.pem).
tls.setDefaultCACertificates([...tls.getCACertificates("default"), running.certificate.cert]);

const sharedEnv: Record<string, string> = {
  HERALD_CONFIG_FILE: files.config,
  HERALD_TABLE_NAME: TABLE_NAME,
  HERALD_DEAD_LETTER_QUEUE_URL: running.deadLetters.queueUrl,
  HERALD_SECURITY_FEED_URL: running.feed.url,
  HERALD_PRODUCT_VERSION: PRODUCT_VERSION,
  HERALD_ADMIN_EMAILS: ADMINS.join(","),
  AWS_REGION: REGION,
  AWS_ACCESS_KEY_ID: "sandbox",
  AWS_SECRET_ACCESS_KEY: "sandbox",
  AWS_ENDPOINT_URL_SESV2: running.ses.endpoint,
  AWS_ENDPOINT_URL_DYNAMODB: running.dynamo.endpoint,
  AWS_ENDPOINT_URL_SQS: running.deadLetters.endpoint,
};
// Only these: MM_* variables in this shell must not bend the sandbox's settings.
const logLevel = process.env.POWERTOOLS_LOG_LEVEL;
const runtimeEnv = { ...sharedEnv, ...(logLevel ? { POWERTOOLS_LOG_LEVEL: logLevel } : {}) };
const { sandboxConfig } = await import("./scenario.ts");
await writeSandboxFiles(files, {
  config: sandboxConfig(running.smtp.port, running.smtpPassword),
  certificate: running.certificate.cert,
  env: { ...sharedEnv, HERALD_TRANSPORT: "smtp", NODE_EXTRA_CA_CERTS: files.ca },
});

let allOk = false;
try {
  allOk = await runFlow(progress, {
    servers: running,
    files,
    smtpEnv: { ...runtimeEnv, HERALD_TRANSPORT: "smtp" },
    sesEnv: { ...runtimeEnv, HERALD_TRANSPORT: "ses-api" },
    mode: verbose ? "lambda" : "cli",
  });
} catch (error) {
  process.stderr.write(`sandbox: the flow stopped: ${describeError(error)}\n`);
}

const results = progress.results;
const failed = results.filter((r) => !r.ok).length;
const verdict = allOk
  ? `all ${results.length} steps had their expected outcome`
  : `${failed} of ${results.length} steps did NOT have their expected outcome`;
const sesCount = (await running.ses.emails()).length;
write(`\n${bold(verdict)}\n\n`);
const rows: Array<[string, string]> = [
  [
    "Mail page",
    `${running.mailPage.url}  (${running.caught.length} caught over SMTP, ${sesCount} via the SES API, ${running.deadLetters.letters.length} dead letters)`,
  ],
  ["SMTP server", `127.0.0.1:${running.smtp.port}  STARTTLS required, AUTH (login in the settings file)`],
  ["SES v2 emulator", `${running.ses.endpoint}/  (its own page; /store as JSON)`],
  ["DynamoDB (dynalite)", `${running.dynamo.endpoint}  table ${TABLE_NAME}`],
  ["Dead-letter queue", running.deadLetters.queueUrl],
  ["Security feed", `${running.feed.url}/security`],
  ["Settings", `${shown(files.config)}  (variables: ${shown(files.env)})`],
  ["For Mattermost", `${shown(files.mattermostConfig)}, ${shown(files.mattermostEnv)}  (herald export)`],
];
for (const [name, value] of rows) write(`  ${name.padEnd(21)} ${value}\n`);

async function shutDown(code: number): Promise<void> {
  await running.close();
  // Everything is closed: the process ends by itself. If something still holds it, say what.
  setTimeout(() => {
    process.stderr.write(
      `sandbox: still open after shutdown: ${process.getActiveResourcesInfo().join(", ")}\n`,
    );
    process.exit(code);
  }, 5000).unref();
  process.exitCode = code;
}

if (once) {
  await shutDown(allOk ? EXIT_OK : EXIT_FAILED);
} else {
  write(
    `\nIn another terminal, while this runs:\n` +
      `  set -a; . ${shown(files.env)}; set +a\n` +
      `  npx herald probe\n` +
      `  npx herald test-send --to ${TEST_RECIPIENT}\n` +
      `  npx herald send --events examples/notifications.ndjson\n` +
      `  npx herald security-check\n` +
      `\nServing until Ctrl-C; caught mail is listed below.\n`,
  );
  serving = true;
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(130); // a second Ctrl-C does not wait
    stopping = true;
    write("\nStopping the sandbox...\n");
    void shutDown(EXIT_OK);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
