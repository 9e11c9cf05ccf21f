import { presetsCommand } from "./commands/presets.ts";
import { probeCommand } from "./commands/probe.ts";
import { securityCheckCommand } from "./commands/security-check.ts";
import { sendCommand } from "./commands/send.ts";
import { sesSmtpPasswordCommand } from "./commands/ses-smtp-password.ts";
import { testSendCommand } from "./commands/test-send.ts";
import { validateCommand } from "./commands/validate.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from "./io.ts";

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  validate: { run: validateCommand, summary: "check the email settings from every source" },
  presets: { run: presetsCommand, summary: "list the SMTP provider presets" },
  probe: { run: probeCommand, summary: "connect to the SMTP server: banner, EHLO, TLS, AUTH, timings" },
  "test-send": { run: testSendCommand, summary: "send the Test Connection email and print the report" },
  send: { run: sendCommand, summary: "send notification events (JSON array or NDJSON) once each" },
  "security-check": {
    run: securityCheckCommand,
    summary: "email new security bulletins to the administrators",
  },
  "ses-smtp-password": { run: sesSmtpPasswordCommand, summary: "SES SMTP password from a key on stdin" },
};

function mainUsage(): string {
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(18)} ${summary}`);
  return `Usage: herald <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun "herald <command> --help" for a command's options.\n`;
}

/** Run the CLI; returns the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(mainUsage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`herald: unknown command "${name}"\n\n${mainUsage()}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`herald ${name}: ${error.message}\nRun "herald ${name} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    // Unexpected: say what kind of failure without dumping objects that might hold settings.
    const kind = error instanceof Error ? `${error.name}: ${error.message}` : "unknown error";
    io.stderr(`herald ${name}: failed unexpectedly (${kind})\n`);
    return EXIT_FAILED;
  }
}
