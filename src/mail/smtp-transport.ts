import { PassThrough, type Readable } from "node:stream";
import type MailMessage from "nodemailer/lib/mailer/mail-message";
import MimeNode from "nodemailer/lib/mime-node";
import SMTPPool from "nodemailer/lib/smtp-pool";
import type { HeraldSettings } from "../settings/model.ts";
import { classifySmtpError, type SmtpErrorLike } from "../smtp/classify.ts";
import { checkBeforeConnecting } from "../smtp/preflight.ts";
import { redactSecrets } from "../smtp/redact.ts";
import {
  SMTP_POOL_CONNECTIONS,
  SMTP_STAGES_PER_MESSAGE,
  smtpConnectionOptions,
  smtpSendBoundMs,
  stageTimeoutMs,
} from "../smtp/options.ts";
import type { OutgoingMessage } from "./message.ts";
import { tagValue } from "../ses/message-tags.ts";
import { remainingMs, type MailTransport, type SendOptions, type SendOutcome } from "./transport.ts";

export interface SmtpTransportOptions {
  settings: HeraldSettings;
  /**
   * Connections kept open and used in parallel.
   * @default SMTP_POOL_CONNECTIONS (5)
   */
  maxConnections?: number;
  /**
   * Messages per connection before it is replaced (servers limit a session's messages).
   * @default 100
   */
  maxMessages?: number;
  /**
   * Stages one message may take until it is transmitted: a fresh connection's setup, the
   * envelope and the data each within SMTPServerTimeout. nodemailer's own timeouts only
   * notice silence, so this overall bound is what stops a server that trickles its replies.
   * It never stops a transmitted message: the reply after the final dot is awaited within
   * one more stage (nodemailer's socket timeout), so a send's whole bound is one stage more.
   * @default 3
   */
  stagesPerMessage?: number;
  /**
   * Sending through Amazon SES's SMTP interface: the configuration set and the message's tags
   * travel as the X-SES-CONFIGURATION-SET and X-SES-MESSAGE-TAGS headers (SES reads and
   * removes them), so bounce and complaint events name the notification as over the API.
   * @default none (any other SMTP server)
   */
  sesHeaders?: { configurationSet?: string };
}

interface SmtpSentInfo {
  accepted?: Array<string | { address: string }>;
  rejected?: Array<string | { address: string }>;
  rejectedErrors?: Array<SmtpErrorLike & { recipient?: string }>;
  response?: string;
}

interface EnvelopeError extends SmtpErrorLike {
  rejectedErrors?: SmtpErrorLike[];
}

/**
 * The pooled SMTP adapter of the mail transport port: nodemailer's pool with the probe
 * session's connection options (the same TLS, STARTTLS and timeout rules), reused across
 * warm invocations. Credentials are used only when EnableSMTPAuth is on; the settings must
 * have passed validation (the callers check before building a transport).
 */
export function createSmtpTransport(options: SmtpTransportOptions): MailTransport {
  const { settings } = options;
  const email = settings.EmailSettings;
  const stageMs = stageTimeoutMs(settings);
  const stagesPerMessage = options.stagesPerMessage ?? SMTP_STAGES_PER_MESSAGE;
  const perMessageMs = stageMs * stagesPerMessage;
  const poolOptions: SMTPPool.Options = {
    ...smtpConnectionOptions(settings),
    pool: true,
    maxConnections: options.maxConnections ?? SMTP_POOL_CONNECTIONS,
    maxMessages: options.maxMessages ?? 100,
    // A closed or failed connection is torn down at once rather than waited on for 5 s.
    socketCloseTimeout: 0,
    ...(email.EnableSMTPAuth ? { auth: { user: email.SMTPUsername, pass: email.SMTPPassword } } : {}),
  };
  // Created on first use and again after close(), so a warm container can close it at the
  // end of an invocation and still send in the next one.
  let pool: SMTPPool | undefined;
  // nodemailer's address rules for the envelope (IDN domains to A-labels, as sendMail does)
  const envelopeNode = new MimeNode();
  // The same rules as the probe and test-send: never a connection the settings forbid, never
  // credentials in clear text.
  const refusal = checkBeforeConnecting(settings, email.EnableSMTPAuth);
  const secrets = [email.SMTPPassword];

  const send = async (message: OutgoingMessage, sendOptions: SendOptions = {}): Promise<SendOutcome> => {
    if (refusal) return failure(message, refusal, "connect");
    const untilDeadline = remainingMs(sendOptions.deadline);
    const limitMs = Math.min(perMessageMs, untilDeadline);
    // The message goes through streams of ours: once nodemailer has read all of one, the
    // final dot follows and the server may commit it whatever happens to the connection.
    let transmitted = false;
    const bytes = options.sesHeaders ? withSesHeaders(message, options.sesHeaders) : Buffer.from(message.raw);
    // A new stream each time the pool asks: closing a connection destroys the stream it was
    // given, and the pool requeues a message none of which was read for another connection.
    const streams: PassThrough[] = [];
    const body = (): Readable => {
      const stream = new PassThrough();
      stream.once("end", () => {
        transmitted = true;
      });
      stream.end(bytes);
      streams.push(stream);
      return stream;
    };
    // Stops a send that is not transmitted within its bound; never one that is (its reply is
    // awaited within nodemailer's socket timeout, one stage).
    const stop = new AbortController();
    const timer = setTimeout(() => {
      if (!transmitted) stop.abort();
    }, limitMs);
    try {
      pool ??= new SMTPPool(poolOptions);
      const envelope = envelopeNode.setEnvelope({ from: message.from, to: message.to }).getEnvelope();
      const info = await poolSend(pool, renderedMail(envelope, message.messageId, body, stop.signal));
      const accepted = addresses(info.accepted);
      const refusals = info.rejectedErrors ?? [];
      const deferredErrors = refusals.filter((e) => isTemporary(e.responseCode));
      const deferred = deferredErrors.flatMap((e) => (e.recipient ? [e.recipient] : []));
      const rejected = addresses(info.rejected).filter((address) => !deferred.includes(address));
      return {
        ok: accepted.length > 0,
        messageId: message.messageId,
        ...(info.response ? { providerMessageId: info.response } : {}),
        accepted,
        rejected,
        ...(deferred.length > 0
          ? { deferred, deferredReason: deferredErrors[0]?.response ?? deferredErrors[0]?.message }
          : {}),
      };
    } catch (error) {
      if (stop.signal.aborted) {
        // The pool closed that connection; the others keep going.
        const stopped =
          untilDeadline < perMessageMs ? deadlineError(untilDeadline) : timeoutError(perMessageMs);
        return failure(message, stopped, "data");
      }
      const outcome = failure(message, error, "connect");
      // No reply after the final dot (a reset, a close, a timeout): the server may have it.
      if (transmitted && (error as SmtpErrorLike)?.responseCode === undefined) outcome.unknown = true;
      return outcome;
    } finally {
      clearTimeout(timer);
      for (const stream of streams) stream.destroy();
    }
  };

  // Sends under way: close() lets them finish (each is bounded by its deadline) before it
  // closes their connections, so once it resolves no socket of this transport is open.
  const inFlight = new Set<Promise<unknown>>();

  return {
    kind: "smtp",
    sendBoundMs: smtpSendBoundMs(settings, stagesPerMessage),
    // Nothing puts the password in an outcome on purpose; a server's echo of it is masked.
    async send(message, sendOptions) {
      const sending = send(message, sendOptions);
      inFlight.add(sending);
      try {
        return redactSecrets(await sending, secrets);
      } finally {
        inFlight.delete(sending);
      }
    },
    async close(): Promise<void> {
      // A send may start while close() waits: it uses the same pool and is waited for too.
      while (inFlight.size > 0) await Promise.allSettled(inFlight);
      const closing = pool;
      pool = undefined;
      closing?.close();
    },
  };
}

/**
 * The message as nodemailer's pool reads it (the `mail` its Mailer hands a transport): the
 * envelope, the Message-ID and a new stream of the rendered bytes each time it asks. The
 * message is rendered already, so it skips the Mailer's compile step, which parses a raw message into a MIME node
 * again and cost as much CPU per message as the whole SMTP conversation.
 */
function renderedMail(
  envelope: MimeNode.Envelope,
  messageId: string,
  /** a new stream of the rendered bytes on each call, as MimeNode's own */
  body: () => Readable,
  signal: AbortSignal,
): MailMessage<SMTPPool.SentMessageInfo> {
  const message: Pick<MimeNode, "getEnvelope" | "messageId" | "getHeader" | "createReadStream"> = {
    getEnvelope: () => envelope,
    messageId: () => messageId,
    getHeader: (name) => (name.toLowerCase() === "message-id" ? messageId : ""),
    createReadStream: body,
  };
  return { data: { signal }, message } as unknown as MailMessage<SMTPPool.SentMessageInfo>;
}

function poolSend(pool: SMTPPool, mail: MailMessage<SMTPPool.SentMessageInfo>): Promise<SmtpSentInfo> {
  return new Promise((resolve, reject) => {
    pool.send(mail, (error, info) => (error ? reject(error) : resolve(info as SmtpSentInfo)));
  });
}

function addresses(list: SmtpSentInfo["accepted"]): string[] {
  return (list ?? []).map((entry) => (typeof entry === "string" ? entry : entry.address));
}

function isTemporary(code: number | undefined): boolean {
  return code !== undefined && code >= 400 && code < 500;
}

function deadlineError(ms: number): SmtpErrorLike {
  return {
    name: "DeadlineError",
    code: "EDEADLINE",
    message: `stopped after ${Math.round(ms)} ms, before the invocation's time ran out`,
  };
}

function timeoutError(ms: number): SmtpErrorLike {
  return {
    name: "TimeoutError",
    code: "ETIMEDOUT",
    message: `the message was not delivered within ${ms / 1000} s (SMTPServerTimeout for each of its stages)`,
  };
}

/**
 * A failed send as an outcome. When every recipient was refused, the most hopeful refusal
 * decides: a 4xx for anyone means the message can be retried (nobody has it yet).
 */
function failure(message: OutgoingMessage, error: unknown, fallbackStage: "connect" | "data"): SendOutcome {
  const envelopeError = error as EnvelopeError;
  const rejected = (envelopeError?.rejectedErrors ?? []) as Array<SmtpErrorLike & { recipient?: string }>;
  const decisive =
    rejected.find((e) => (e.responseCode ?? 0) >= 400 && (e.responseCode ?? 0) < 500) ?? rejected[0] ?? error;
  const { stage, error: info, hint } = classifySmtpError(decisive, fallbackStage);
  const outcome: SendOutcome = {
    ok: false,
    messageId: message.messageId,
    accepted: [],
    rejected: rejected.length > 0 ? message.to : [],
    stage,
    error: info,
    ...(hint ? { hint } : {}),
  };
  // Every recipient refused, some for now and some for good: the caller settles the 5xx ones
  // and retries only the 4xx ones.
  const temporary = rejected.filter((e) => isTemporary(e.responseCode));
  const deferred = temporary.flatMap((e) => (e.recipient ? [e.recipient] : []));
  if (deferred.length > 0 && deferred.length < rejected.length) {
    outcome.rejected = message.to.filter((address) => !deferred.includes(address));
    outcome.deferred = deferred;
    const reason = temporary[0]?.response ?? temporary[0]?.message;
    if (reason !== undefined) outcome.deferredReason = reason;
  }
  return outcome;
}

/** The SES SMTP interface's headers, before the rendered ones (header order is free). */
function withSesHeaders(message: OutgoingMessage, ses: { configurationSet?: string }): Buffer {
  const lines: string[] = [];
  if (ses.configurationSet) lines.push(`X-SES-CONFIGURATION-SET: ${tagValue(ses.configurationSet)}`);
  const tags = Object.entries(message.tags ?? {}).map(
    ([name, value]) => `${tagValue(name)}=${tagValue(value)}`,
  );
  // A long notification id spans several tags: the line is folded to stay within 998 characters.
  const line = `X-SES-MESSAGE-TAGS: ${tags.join(", ")}`;
  if (tags.length > 0) lines.push(line.length <= 998 ? line : `X-SES-MESSAGE-TAGS: ${tags.join(",\r\n ")}`);
  const head = lines.length > 0 ? `${lines.join("\r\n")}\r\n` : "";
  return Buffer.concat([Buffer.from(head), Buffer.from(message.raw)]);
}
