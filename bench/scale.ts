/**
 * Scale on paper: 1 million emails an hour, from the per-message cost measured in this run,
 * the stack's own concurrency rule (lib/notification-pipeline.ts) and the AWS quotas.
 */
import { sendingConcurrency } from "../lib/notification-pipeline.ts";
import type { BenchResults } from "./report.ts";

export const TARGET_PER_HOUR = 1_000_000;
/** Lambda gives a function one full vCPU at 1,769 MB; less memory, a proportional share. */
const FULL_VCPU_MB = 1769;
/** send-notification's memory (lib/notification-pipeline.ts). */
const SENDER_MEMORY_MB = 512;
/** the stack's SQS batch size (NotificationPipelineProps.batchSize's default) */
const BATCH_SIZE = 10;

export function scaleOnPaper(results: BenchResults): string {
  const perSecond = TARGET_PER_HOUR / 3600;
  const maxSendRate = Math.ceil(perSecond);
  const { maxConcurrency, perInstanceRate } = sendingConcurrency(maxSendRate);
  const vcpu = SENDER_MEMORY_MB / FULL_VCPU_MB;
  const lines = [
    "## 6. Scale on paper: 1 million emails an hour",
    "",
    `1,000,000 / 3,600 s = **${perSecond.toFixed(1)} emails/s** sustained (one recipient each; SES counts recipients).`,
    "",
    `- **Rate limit.** Deploy with \`-c maxSendRate=${maxSendRate}\`. The stack's rule (\`sendingConcurrency\` in ` +
      `\`lib/notification-pipeline.ts\`, about 10 emails/s per instance) gives an SQS maximum concurrency of ` +
      `**${maxConcurrency}** and \`HERALD_MAX_SEND_RATE\` **${perInstanceRate}** per instance, so that together the ` +
      `instances never exceed ${maxSendRate}/s.`,
    `- **Batch size.** ${BATCH_SIZE} (the default and the maximum the construct allows): ${(perSecond / BATCH_SIZE).toFixed(1)} ` +
      `invocations/s, about ${Math.round((perSecond / BATCH_SIZE) * 3600).toLocaleString("en")} an hour; at ` +
      `${perInstanceRate}/s an invocation spends about ${(BATCH_SIZE / perInstanceRate).toFixed(1)} s sending, well inside the ` +
      "60 s timeout (the queue's visibility timeout is 6 times that). A failed send retries only its own record.",
  ];
  const { smtp, ses } = results;
  if (smtp) {
    const cpuMs = smtp.heraldCpuMsPerMessage.median;
    const ceiling = (1000 / cpuMs) * vcpu;
    lines.push(
      `- **CPU per instance (measured).** \`herald send\` spent ${cpuMs.toFixed(2)} ms of CPU per message (render, ` +
        `idempotency, SMTP). A ${SENDER_MEMORY_MB} MB function has about ${vcpu.toFixed(2)} vCPU, so one instance ` +
        `could render and send about **${ceiling.toFixed(0)} emails/s** on this machine's cores; at ` +
        `${perInstanceRate}/s it uses about ${((perInstanceRate / ceiling) * 100).toFixed(0)}% of its CPU.`,
    );
  }
  if (ses) {
    const msPerMessage = (ses.heraldSeconds.median / ses.messages) * 1000;
    lines.push(
      `- **SES API path (measured).** The handler spent ${msPerMessage.toFixed(2)} ms per message against the local ` +
        `emulator (client CPU, the emulator answering at once): about ${((1000 / msPerMessage) * vcpu).toFixed(0)} ` +
        `emails/s per ${SENDER_MEMORY_MB} MB instance before waiting on SES itself.`,
    );
  }
  lines.push(
    "- **Latency.** Each instance has 4 sends in flight (`DEFAULT_SEND_CONCURRENCY`) over a pool of up to 5 " +
      `SMTP connections: ${perInstanceRate}/s per instance holds while one message takes under ` +
      `${Math.floor((4 / perInstanceRate) * 1000)} ms end to end (4 round trips on SMTP, one HTTPS call on the SES API), ` +
      "far more than SES needs in-region. " +
      `The fleet keeps up to ${maxConcurrency * 5} SMTP connections open to SES.`,
    "",
    "Quotas to check or request:",
    "",
    `| quota | needed | default | action |`,
    `|---|---|---|---|`,
    `| SES maximum send rate | ${maxSendRate}/s (plus headroom for other senders) | 1/s in the sandbox, then per account (often 14/s) | request ~${Math.ceil((maxSendRate * 1.1) / 10) * 10}/s |`,
    `| SES daily sending quota | ${(TARGET_PER_HOUR * 24).toLocaleString("en")}/day at this rate around the clock (or the real daily volume) | 200/day in the sandbox, then per account | request it; leave the sandbox first |`,
    `| Lambda concurrent executions | ${maxConcurrency} (plus the other functions) | 1,000 per Region | none |`,
    `| SQS | ~${perSecond.toFixed(0)} messages/s in and out | standard queues: nearly unlimited | none |`,
    `| EventBridge PutEvents | ${perSecond.toFixed(0)} events/s (fewer calls with up to 10 entries each) | 400 to 10,000/s depending on the Region | check the Region's quota |`,
    `| DynamoDB (on demand) | ~${Math.round(perSecond * 2)} writes/s (claim and completion per email) | 40,000 write units/s per table | none |`,
    `| KMS (queue encryption) | a data key per 5 minutes per consumer (SQS reuses it) | 5,500 to 100,000 requests/s | none |`,
    "",
    `Lambda: about ${Math.round((perSecond / BATCH_SIZE) * 3600).toLocaleString("en")} invocations an hour, each ` +
      `about ${(BATCH_SIZE / perInstanceRate).toFixed(1)} s (mostly waiting on the instance's rate limit), about ` +
      `${Math.round(perSecond * 3600 * (1 / perInstanceRate) * (SENDER_MEMORY_MB / 1024)).toLocaleString("en")} ` +
      `GB-seconds an hour at ${SENDER_MEMORY_MB} MB. The measured CPU leaves room for a higher per-instance rate ` +
      "(fewer instances, fewer connections to SES) if SENDS_PER_INSTANCE is raised.",
  );
  return lines.join("\n");
}
