import { text } from "node:stream/consumers";
import { SES_SMTP_REGIONS } from "../../ses/regions.ts";
import { sesSmtpPassword } from "../../ses/smtp-password.ts";
import { EXIT_OK, printJson, UsageError, type CliIo } from "../io.ts";
import { COMMON_OPTIONS, parseCommandArgs } from "../options.ts";

export const usage = `Usage: herald ses-smtp-password --region REGION [--json] < secret-access-key

Reads an IAM secret access key on standard input and prints the Amazon SES SMTP password
derived from it for REGION (SMTP credentials work only in the region they were derived for).
The SMTP username is the key's access key id. The IAM user needs ses:SendRawEmail.

Options:
      --region REGION    the SES region, e.g. eu-west-1 (default: $AWS_REGION)
      --json             print { region, server, password } as JSON
  -h, --help             show this help

Example:
  printf %s "$SECRET_ACCESS_KEY" | herald ses-smtp-password --region eu-west-1

Exit codes: 0 printed, 2 usage error or unreadable input.
`;

/** Standard input as text; on a terminal, says what to type (the key is not echoed back). */
async function readStdin(io: CliIo): Promise<string> {
  if (process.stdin.isTTY) io.stderr("Secret access key, then Enter and Ctrl-D:\n");
  return text(process.stdin);
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
  const password = sesSmtpPassword(input, region);
  if (values.json) printJson(io, { region, server: `email-smtp.${region}.amazonaws.com`, password });
  else io.stdout(`${password}\n`);
  return EXIT_OK;
}
