/**
 * Every server of the sandbox, on 127.0.0.1: the SMTP server (STARTTLS required, AUTH, the
 * scenario's per-recipient faults), the mail page, the SES v2 emulator, dynalite with the
 * shared table, the dead-letter queue and the security feed. Started together; when one
 * cannot listen, the others are closed again and the caller learns which one and why.
 */
import { randomBytes } from "node:crypto";
import { HeraldError } from "../src/errors.ts";
import { generateTestCertificate, type TestCertificate } from "./certificate.ts";
import { startMailPage, type CapturedMail, type MailPage } from "./mail-page.ts";
import { NotificationOutcomes } from "./mail-page/outcomes.ts";
import type { SandboxPorts, SandboxServer } from "./ports.ts";
import { BULLETIN_BODIES, BULLETINS, RECIPIENT_FAULTS, SMTP_USERNAME, TABLE_NAME } from "./scenario.ts";
import { startDeadLetterQueue, type LocalDeadLetterQueue } from "./servers/dead-letter-queue.ts";
import { startDynalite, type TestDynamo } from "./servers/dynalite.ts";
import { startFeedServer, type TestFeedServer } from "./servers/feed.ts";
import { ListenError } from "./servers/listen.ts";
import { startLocalSes, type LocalSes } from "./servers/ses.ts";
import { startSmtpServer, type ReceivedMessage, type TestSmtpServer } from "./servers/smtp.ts";

export interface SandboxServers {
  smtp: TestSmtpServer;
  mailPage: MailPage;
  ses: LocalSes;
  dynamo: TestDynamo;
  deadLetters: LocalDeadLetterQueue;
  feed: TestFeedServer;
  /** the SMTP server's certificate (self-signed, made at start) */
  certificate: TestCertificate;
  /** the SMTP login, made at start; written only to the settings file */
  smtpPassword: string;
  /** messages the SMTP server accepted, as the mail page shows them */
  caught: CapturedMail[];
  /** what became of each notification event, as the flow observed it (shown by the mail page) */
  outcomes: NotificationOutcomes;
  /** where the mail page reads a notification's delivery status: set once the flow has a status store */
  statusSource?: (notificationId: string) => Promise<object | undefined>;
  close(): Promise<void>;
}

/** A server that could not listen: which one, on which port, and the socket error's code. */
export class SandboxPortError extends HeraldError {
  override name = "SandboxPortError";
  readonly server: SandboxServer;
  readonly port: number;
  readonly code: string;
  constructor(server: SandboxServer, cause: ListenError) {
    super(cause.message, { cause });
    this.server = server;
    this.port = cause.port;
    this.code = cause.code;
  }
}

export interface StartOptions {
  /** called with each message the SMTP server accepted */
  onMessage?: (mail: CapturedMail) => void;
}

export async function startSandboxServers(
  ports: SandboxPorts,
  options: StartOptions = {},
): Promise<SandboxServers> {
  const certificate = await generateTestCertificate();
  const smtpPassword = randomBytes(18).toString("base64url");
  const caught: CapturedMail[] = [];
  const sesCache = new Map<string, CapturedMail>();
  const outcomes = new NotificationOutcomes();
  // ids stay unique across a clear: a page still showing an old one never gets another message
  const counters = { smtp: 0, ses: 0 };
  let sesReading: Promise<unknown> = Promise.resolve();
  // the mail page reads from servers that start beside it
  const late: { ses?: LocalSes; deadLetters?: LocalDeadLetterQueue; servers?: SandboxServers } = {};

  const onMessage = (message: ReceivedMessage) => {
    const mail: CapturedMail = {
      id: `smtp-${++counters.smtp}`,
      via: "smtp",
      receivedAt: new Date(),
      envelopeFrom: message.from,
      envelopeTo: message.to,
      raw: message.raw,
    };
    caught.push(mail);
    options.onMessage?.(mail);
  };

  const starting: Record<SandboxServer, Promise<{ close(): Promise<void> }>> = {
    smtp: startSmtpServer({
      port: ports.smtp,
      name: "smtp.sandbox.herald.localhost",
      banner: "Herald sandbox",
      certificate,
      starttls: true,
      requireStarttls: true,
      authAfterStarttls: true,
      auth: { username: SMTP_USERNAME, password: smtpPassword },
      recipientFaults: RECIPIENT_FAULTS,
      onMessage,
    }),
    mail: startMailPage({
      port: ports.mail,
      messages: async () => {
        // one read at a time: two polls at once would give one stored message two ids
        const ses = late.ses;
        const reading = sesReading.then(() => (ses ? sesMessages(ses, sesCache, () => ++counters.ses) : []));
        sesReading = reading.catch(() => []);
        const fromSes = await reading;
        return [...caught, ...fromSes].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
      },
      deadLetters: () => late.deadLetters?.letters ?? [],
      outcomes: () => outcomes.entries,
      // the flow sets the source when its status store exists; before that, no status is known
      statusOf: async (id) =>
        // a status the store cannot read (the flow's runtime closed) is shown as not known
        (await late.servers?.statusSource?.(id)?.catch(() => undefined)) as
          Record<string, unknown> | undefined,
      clear: async () => {
        caught.length = 0;
        sesCache.clear();
        outcomes.clear();
        if (late.deadLetters) late.deadLetters.letters.length = 0;
        await late.ses?.clear();
      },
    }),
    ses: startLocalSes({ port: ports.ses }),
    dynamodb: startDynalite({ port: ports.dynamodb }),
    sqs: startDeadLetterQueue({ port: ports.sqs, queueName: "herald-sandbox-dead-letters" }),
    feed: startFeedServer({ port: ports.feed, bulletins: BULLETINS, bodies: BULLETIN_BODIES }),
  };
  const names = Object.keys(starting) as SandboxServer[];
  const settled = await Promise.allSettled(names.map((name) => starting[name]));
  const failure = settled.findIndex((result) => result.status === "rejected");
  if (failure >= 0) {
    await Promise.all(
      settled.map((result) => (result.status === "fulfilled" ? result.value.close() : undefined)),
    );
    const reason = (settled[failure] as PromiseRejectedResult).reason as unknown;
    throw reason instanceof ListenError
      ? new SandboxPortError(names[failure] as SandboxServer, reason)
      : reason;
  }
  const started = Object.fromEntries(
    names.map((name, i) => [name, (settled[i] as PromiseFulfilledResult<unknown>).value]),
  ) as {
    smtp: TestSmtpServer;
    mail: MailPage;
    ses: LocalSes;
    dynamodb: TestDynamo;
    sqs: LocalDeadLetterQueue;
    feed: TestFeedServer;
  };
  late.ses = started.ses;
  late.deadLetters = started.sqs;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= Promise.all(Object.values(started).map((server) => server.close())).then(() => undefined));
  try {
    await started.dynamodb.createTable(TABLE_NAME);
  } catch (error) {
    await close();
    throw error;
  }
  late.servers = {
    smtp: started.smtp,
    mailPage: started.mail,
    ses: started.ses,
    dynamo: started.dynamodb,
    deadLetters: started.sqs,
    feed: started.feed,
    certificate,
    smtpPassword,
    caught,
    outcomes,
    close,
  };
  return late.servers;
}

/** The SES emulator's messages as raw mail (its own .eml export), each fetched once. */
async function sesMessages(
  ses: LocalSes,
  cache: Map<string, CapturedMail>,
  nextId: () => number,
): Promise<CapturedMail[]> {
  for (const email of await ses.emails()) {
    if (cache.has(email.messageId)) continue;
    const response = await fetch(
      `${ses.endpoint}/get-emlContent?messageId=${encodeURIComponent(email.messageId)}`,
    );
    const eml = (await response.json()) as { body?: { data?: number[] } };
    cache.set(email.messageId, {
      id: `ses-${nextId()}`,
      via: "ses-api",
      receivedAt: new Date(email.at * 1000),
      envelopeFrom: email.from,
      envelopeTo: [...email.destination.to, ...email.destination.cc, ...email.destination.bcc],
      raw: Buffer.from(eml.body?.data ?? []).toString("utf8"),
    });
  }
  return [...cache.values()];
}
