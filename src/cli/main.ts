import { describeError } from "../errors.ts";
import { printable } from "./format.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from "./io.ts";

type Command = (args: string[], io: CliIo) => Promise<number>;

/**
 * Every command, loaded only when it runs: a command's module brings what it needs (AWS SDK
 * clients, nodemailer, the notification pipeline), and `herald presets` or `--help` should
 * not wait for all of that.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  validate: {
    summary: "check the email settings from every source",
    load: async () => (await import("./commands/validate.ts")).validateCommand,
  },
  export: {
    summary: "write the settings for Mattermost: env file, config.json, mmctl",
    load: async () => (await import("./commands/export.ts")).exportCommand,
  },
  presets: {
    summary: "list the SMTP provider presets",
    load: async () => (await import("./commands/presets.ts")).presetsCommand,
  },
  probe: {
    summary: "connect to the SMTP server: banner, EHLO, TLS, AUTH, timings",
    load: async () => (await import("./commands/probe.ts")).probeCommand,
  },
  "test-send": {
    summary: "send the Test Connection email and print the report",
    load: async () => (await import("./commands/test-send.ts")).testSendCommand,
  },
  send: {
    summary: "send notification events (JSON array or NDJSON) once each",
    load: async () => (await import("./commands/send.ts")).sendCommand,
  },
  status: {
    summary: "per-recipient delivery status of one notification id",
    load: async () => (await import("./commands/status.ts")).statusCommand,
  },
  "security-check": {
    summary: "email new security bulletins to the administrators",
    load: async () => (await import("./commands/security-check.ts")).securityCheckCommand,
  },
  "ses-smtp-password": {
    summary: "SES SMTP password from a key on stdin",
    load: async () => (await import("./commands/ses-smtp-password.ts")).sesSmtpPasswordCommand,
  },
};

function mainUsage(): string {
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(18)} ${summary}`);
  return (
    `Usage: herald <command> [options]\n\nCommands:\n${lines.join("\n")}\n\n` +
    `Run "herald <command> --help" for a command's options. Every command takes --json.\n` +
    `Exit codes: 0 success, 1 the check or send failed, 2 usage error or unreadable input.\n`
  );
}

/** Run the CLI; returns the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(mainUsage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`herald: unknown command "${printable(name)}"\n\n${mainUsage()}`);
    return EXIT_USAGE;
  }
  try {
    const run = await command.load();
    return await run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      // a message may carry a file name or option from the command line: escaped like server text
      io.stderr(`herald ${name}: ${printable(error.message)}\nRun "herald ${name} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    // Unexpected: say what kind of failure without dumping objects that might hold settings.
    const kind = error instanceof Error ? printable(describeError(error)) : "unknown error";
    io.stderr(`herald ${name}: failed unexpectedly (${kind})\n`);
    return EXIT_FAILED;
  }
}
