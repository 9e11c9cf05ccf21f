import { text } from "node:stream/consumers";
import { SES_SMTP_REGIONS } from "../../ses/regions.ts";
import { sesSmtpPassword } from "../../ses/smtp-password.ts";
import { EXIT_OK, printJson, stdinOf, UsageError, type CliIo } from "../io.ts";
import { COMMON_OPTIONS, parseCommandArgs } from "../options.ts";

export const usage = `Usage: herald ses-smtp-password --region REGION [--json] < secret-access-key

Reads an IAM secret access key on standard input and prints the Amazon SES SMTP password
derived from it for REGION (SMTP credentials work only in the region they were derived for).
On a terminal it asks for the key and does not show what is typed.
The SMTP username is the key's access key id. The IAM user needs ses:SendRawEmail.

Options:
      --region REGION    the SES region, e.g. eu-west-1 (default: $AWS_REGION)
      --json             print { region, server, password } as JSON
  -h, --help             show this help

Example:
  printf %s "$SECRET_ACCESS_KEY" | herald ses-smtp-password --region eu-west-1

Exit codes: 0 printed, 2 usage error or unreadable input.
`;

/**
 * One line typed on a terminal, not shown on it: raw mode turns the terminal's echo off
 * (and its line editing, so backspace is handled here). Enter or Ctrl-D ends the line,
 * Ctrl-C cancels. The terminal is given back as it was in every case.
 */
export function readHiddenLine(input: NodeJS.ReadStream, io: CliIo, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let line = "";
    const finish = (error?: UsageError) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      io.stderr("\n");
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of String(chunk)) {
        if (char === "\r" || char === "\n" || char === "\u0004") return finish();
        if (char === "\u0003") return finish(new UsageError("cancelled: no key was read"));
        if (char === "\u007f" || char === "\b") line = line.slice(0, -1);
        else line += char;
      }
    };
    input.setEncoding("utf8");
    // echo off before asking: a key typed right after the prompt is not shown either
    input.setRawMode(true);
    io.stderr(prompt);
    input.on("data", onData);
    input.resume();
  });
}

/** Standard input as text; on a terminal, says what to type and does not show it. */
async function readStdin(io: CliIo): Promise<string> {
  const stdin = stdinOf(io);
  if (!stdin.isTTY) return text(stdin);
  return readHiddenLine(stdin as NodeJS.ReadStream, io, "Secret access key (not shown), then Enter: ");
}

export async function sesSmtpPasswordCommand(
  args: string[],
  io: CliIo,
  readInput: () => Promise<string> = () => readStdin(io),
): Promise<number> {
  const { values } = parseCommandArgs(args, { ...COMMON_OPTIONS, region: { type: "string" } });
  if (values.help) {
    io.stdout(usage);
    return EXIT_OK;
  }
  const region = (values.region ?? io.env.AWS_REGION ?? "").trim();
  if (region === "") throw new UsageError("--region is required (or set AWS_REGION)");
  if (!SES_SMTP_REGIONS.has(region)) {
    throw new UsageError(
      `region ${JSON.stringify(region)} has no SES SMTP endpoint (email-smtp.${region}.amazonaws.com); ` +
        "use a region where SES offers SMTP, such as eu-west-1 or us-east-1",
    );
  }
  const input = (await readInput()).trim();
  // The key is never repeated in a message: only its shape is described.
  if (input === "") throw new UsageError("standard input is empty: pipe the secret access key into it");
  if (/\s/.test(input)) {
    throw new UsageError("standard input must hold one secret access key (one line, no spaces)");
  }
  // a key is base64 text: anything else (a byte that is not UTF-8, a control character) would
  // derive a password that silently never works
  if (!/^[A-Za-z0-9+/=]+$/.test(input)) {
    throw new UsageError(
      'standard input must hold a secret access key: letters, digits, "+" and "/" only (no quotes, no other characters)',
    );
  }
  const password = sesSmtpPassword(input, region);
  if (values.json) printJson(io, { region, server: `email-smtp.${region}.amazonaws.com`, password });
  else io.stdout(`${password}\n`);
  return EXIT_OK;
}
