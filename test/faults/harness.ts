/**
 * The local backends of a fault or load run and the workers' environment: dynalite in a
 * process of its own behind a TCP proxy (a test can hang it with SIGSTOP or take the proxy
 * down), the sandbox's dead-letter queue behind one too, and smtp-server with fault hooks.
 * Also reads back what the servers accepted and what was dead-lettered, per recipient.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { startDeadLetterQueue, type LocalDeadLetterQueue } from "../../sandbox/servers/dead-letter-queue.ts";
import { LOOPBACK } from "../../sandbox/servers/listen.ts";
import { startSmtpServer, type SmtpServerOptions } from "../../sandbox/servers/smtp.ts";
import type { UnknownOutcomePolicy } from "../../src/constants.ts";
import { smtpEnv } from "../lambdas/send-notification.fixtures.ts";
import { startTcpProxy, type TcpProxy } from "./proxies.ts";
import { pairKey } from "./tally.ts";

export interface Backends {
  dynaliteProcess: ChildProcess;
  table: TcpProxy;
  dlq: LocalDeadLetterQueue;
  dlqProxy: TcpProxy;
  smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  /** the send-notification workers' environment */
  env(options: {
    stageSeconds: number;
    policy: UnknownOutcomePolicy;
    extra?: NodeJS.ProcessEnv;
  }): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

async function startDynaliteProcess(): Promise<{ process: ChildProcess; env: Record<string, string> }> {
  const child = spawn(process.execPath, [new URL("./dynalite-process.ts", import.meta.url).pathname], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    return { process: child, env: (JSON.parse(line) as { env: Record<string, string> }).env };
  }
  throw new Error("dynalite did not start");
}

export async function startBackends(smtpOptions: Partial<SmtpServerOptions>): Promise<Backends> {
  const dynalite = await startDynaliteProcess();
  const table = await startTcpProxy(Number(new URL(dynalite.env.AWS_ENDPOINT_URL_DYNAMODB!).port));
  const dlq = await startDeadLetterQueue();
  const dlqProxy = await startTcpProxy(dlq.port);
  const smtp = await startSmtpServer({ starttls: false, ...smtpOptions });
  return {
    dynaliteProcess: dynalite.process,
    table,
    dlq,
    dlqProxy,
    smtp,
    env: ({ stageSeconds, policy, extra }) => ({
      PATH: process.env.PATH,
      ...smtpEnv(smtp.port, { MM_EMAILSETTINGS_SMTPSERVERTIMEOUT: String(stageSeconds) }),
      ...dynalite.env,
      AWS_ENDPOINT_URL_DYNAMODB: `http://${LOOPBACK}:${table.port}`,
      AWS_ENDPOINT_URL_SQS: `http://${LOOPBACK}:${dlqProxy.port}`,
      HERALD_DEAD_LETTER_QUEUE_URL: dlq.queueUrl.replace(`:${dlq.port}/`, `:${dlqProxy.port}/`),
      HERALD_UNKNOWN_OUTCOME: policy,
      POWERTOOLS_LOG_LEVEL: "WARN",
      POWERTOOLS_METRICS_DISABLED: "true",
      ...extra,
    }),
    async close() {
      dynalite.process.kill("SIGCONT");
      dynalite.process.kill("SIGKILL");
      table.down = false;
      dlqProxy.down = false;
      await Promise.all([table.close(), dlqProxy.close(), dlq.close(), smtp.close()]);
    },
  };
}

/** Adds the SMTP server's accepted copies to `received`, per (id, recipient); the id is the subject's last word. */
export function countSmtpAccepted(
  messages: ReadonlyArray<{ raw: string; to: string[] }>,
  received: Map<string, number>,
): void {
  for (const message of messages) {
    const id = /^Subject: .* (\S+)\r?$/im.exec(message.raw)?.[1] ?? "?";
    for (const to of message.to) received.set(pairKey(id, to), (received.get(pairKey(id, to)) ?? 0) + 1);
  }
}

/** The (id, recipient) pairs on the dead-letter queue: the `Recipients` attribute, else the event's. */
export function deadLetteredPairs(dlq: LocalDeadLetterQueue): Set<string> {
  const pairs = new Set<string>();
  for (const letter of dlq.letters) {
    const event = JSON.parse(letter.body) as { id: string; to: string[] };
    const who = letter.attributes.Recipients?.split(", ") ?? event.to;
    for (const to of who) pairs.add(pairKey(event.id, to));
  }
  return pairs;
}
