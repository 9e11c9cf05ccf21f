// The local sandbox (`npm start`): an SMTP server on 127.0.0.1 where Herald's default
// settings point (localhost:10025), and the deployed Lambda handlers run against it once.
// Then it keeps catching mail for `npx herald probe` / `npx herald test-send` until Ctrl-C.
// `--once` runs the demonstration and exits.
import { createTestSendHandler } from "../lambdas/test-send.ts";
import { createValidateSettingsHandler } from "../lambdas/validate-settings.ts";
import { createRuntime } from "../src/runtime.ts";
import { startSmtpCatcher, type CaughtMessage } from "./smtp-catcher.ts";

const once = process.argv.includes("--once");
const port = Number(process.env.HERALD_SANDBOX_SMTP_PORT ?? 10025);

function printMessage(message: CaughtMessage): void {
  const security = message.secure ? "TLS" : "clear text";
  console.log(
    `[sandbox smtp] ${message.from} -> ${message.to.join(", ")}: "${message.subject}" (${message.bytes} bytes, ${security})`,
  );
}

// The same handler code as in Lambda; a console-like context gives it a 30 s budget.
const context = {
  functionName: "herald-sandbox",
  awsRequestId: "sandbox",
  getRemainingTimeInMillis: () => 30_000,
  logGroupName: "sandbox",
  logStreamName: "sandbox",
  invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:herald-sandbox",
  memoryLimitInMB: "128",
  functionVersion: "$LATEST",
} as unknown as import("aws-lambda").Context;

let catcher;
try {
  catcher = await startSmtpCatcher(port, printMessage);
} catch (error) {
  console.error(
    `sandbox: cannot listen on 127.0.0.1:${port} (${(error as NodeJS.ErrnoException).code ?? error}); set HERALD_SANDBOX_SMTP_PORT to a free port`,
  );
  process.exit(2);
}

// The handlers read MM_* variables: point them at the catcher (its port may differ from 10025).
const runtime = createRuntime({
  serviceName: "herald-sandbox",
  env: {
    ...process.env,
    MM_EMAILSETTINGS_SMTPSERVER: process.env.MM_EMAILSETTINGS_SMTPSERVER ?? "localhost",
    MM_EMAILSETTINGS_SMTPPORT: process.env.MM_EMAILSETTINGS_SMTPPORT ?? String(catcher.port),
  },
});
const validateSettings = createValidateSettingsHandler(runtime);
const testSend = createTestSendHandler(runtime);

console.log(`Herald sandbox: SMTP server on 127.0.0.1:${catcher.port}\n`);
console.log('validate-settings handler, event { "connect": true }:');
console.log(JSON.stringify(await validateSettings({ connect: true }, context), null, 2));
console.log('\ntest-send handler, event { "to": "you@example.com" }:');
const report = await testSend({ to: "you@example.com" }, context);
console.log(JSON.stringify(report, null, 2));

if (once) {
  await catcher.close();
  process.exitCode = report.ok ? 0 : 1;
} else {
  console.log(`\nCatching mail on 127.0.0.1:${catcher.port} until Ctrl-C. In another terminal, try:`);
  console.log("  npx herald probe");
  console.log("  npx herald test-send --to you@example.com");
  const stop = () => void catcher.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
