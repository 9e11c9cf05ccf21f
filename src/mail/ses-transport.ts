import { SendEmailCommand, type SendEmailCommandInput, type SESv2Client } from "@aws-sdk/client-sesv2";
import { describeError } from "../errors.ts";
import { punycodeHost } from "../net/hosts.ts";
import { classifySmtpError, type SmtpErrorLike } from "../smtp/classify.ts";
import type { ComposedMessage, OutgoingMessage } from "./message.ts";
import { simpleFromAddress, simpleHeaders } from "./ses-content.ts";
import { SES_ERRORS_AS_SMTP } from "./ses-errors.ts";
import { tagValue } from "../ses/message-tags.ts";
import {
  remainingMs,
  SES_SEND_TIMEOUT_MS,
  type MailTransport,
  type SendOptions,
  type SendOutcome,
} from "./transport.ts";

export interface SesTransportOptions {
  client: SESv2Client;
  /** SES configuration set for event publishing and suppression. @default none */
  configurationSetName?: string;
  /**
   * Bound on one SendEmail call (the runtime's client makes one attempt: a resend is the
   * pipeline's decision). @default 10_000
   */
  timeoutMs?: number;
  /**
   * Told when SES refused a Simple request as malformed (BadRequestException) and the message
   * went as Raw MIME instead: this transport sends Raw from then on. @default none
   */
  onSimpleRefused?: (reason: string) => void;
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** An SDK error in the shape the SMTP classifier reads. */
export function sesErrorAsSmtp(error: unknown): SmtpErrorLike {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkError;
  const name = e.name ?? "Error";
  const message = e.message ?? String(error);
  const reply = ([responseCode, text]: [number, string, unknown?]): SmtpErrorLike => ({
    name,
    code: name,
    command: "API",
    responseCode,
    response: `${responseCode} ${text}: ${message}`,
    message,
  });
  const mapped = SES_ERRORS_AS_SMTP[name];
  if (mapped) return reply(mapped);
  const status = e.$metadata?.httpStatusCode;
  // Throttling under a name not listed above (the HTTP status, or the SDK's own flag) is
  // still throttling: retried, never dead-lettered as the request's fault.
  if (status === 429 || (e.$retryable as { throttling?: boolean } | undefined)?.throttling) {
    return reply(SES_ERRORS_AS_SMTP.TooManyRequestsException!);
  }
  if (status !== undefined && status >= 500) return reply([451, "4.3.0 Service unavailable"]);
  if (name === "TimeoutError" || name === "AbortError") return { name, code: "ETIMEDOUT", message };
  // Other 4xx from the API are the request's fault; without a status it is the network.
  if (status !== undefined) return reply([554, "5.6.0 Request refused"]);
  const code = (error as { code?: string }).code;
  return { name, code: code ?? "ECONNECTION", message };
}

/**
 * An address as SES takes it: 7-bit ASCII, an internationalized domain as its A-label
 * (Punycode). The envelope keeps the event's spelling; the headers nodemailer wrote are encoded.
 */
function sesAddress(address: string): string {
  const at = address.lastIndexOf("@");
  const ascii = at < 0 ? undefined : punycodeHost(address.slice(at + 1));
  return ascii ? `${address.slice(0, at)}@${ascii}` : address;
}

/** A failed send's outcome from an error in the SMTP classifier's shape. */
function failed(message: Pick<OutgoingMessage, "messageId">, smtpLike: SmtpErrorLike): SendOutcome {
  // An API reply means the request arrived: a refusal of the message, not of a connection.
  const { stage, error, hint } = classifySmtpError(smtpLike, smtpLike.command === "API" ? "data" : "connect");
  return {
    ok: false,
    messageId: message.messageId,
    accepted: [],
    rejected: [],
    stage,
    error,
    ...(hint ? { hint } : {}),
  };
}

/**
 * Whether SES may have stored a message whose SendEmail failed: a 5xx reply or a timeout
 * (the request may have been taken before the reply was lost). A refusal with a 4xx status
 * or a connection that never opened is not.
 */
export function sesOutcomeUnknown(error: unknown): boolean {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkError & { code?: string };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  if (e.name === "TimeoutError" || e.name === "AbortError") return true;
  return e.code === "ECONNRESET" || e.code === "EPIPE" || /socket hang up/i.test(e.message ?? "");
}

/**
 * SES v2 Simple content from a composed message: SES builds the MIME (the text part, the HTML
 * alternative) and adds Herald's headers; To and Cc are the headers' recipients, Bcc only the
 * envelope's. SES sets Message-ID and Date itself (as it does on Raw content).
 */
export function simpleContent(
  message: ComposedMessage,
): Pick<SendEmailCommandInput, "FromEmailAddress" | "Destination" | "ReplyToAddresses" | "Content"> {
  const { parts } = message;
  return {
    FromEmailAddress: simpleFromAddress(parts),
    Destination: {
      ToAddresses: parts.to,
      ...(parts.cc.length ? { CcAddresses: parts.cc } : {}),
      ...(parts.bcc.length ? { BccAddresses: parts.bcc } : {}),
    },
    ...(parts.replyTo ? { ReplyToAddresses: [parts.replyTo] } : {}),
    Content: {
      Simple: {
        Subject: { Data: parts.subject, Charset: "UTF-8" },
        Body: {
          ...(parts.text ? { Text: { Data: parts.text, Charset: "UTF-8" } } : {}),
          ...(parts.html ? { Html: { Data: parts.html, Charset: "UTF-8" } } : {}),
        },
        Headers: simpleHeaders(parts),
      },
    },
  };
}

/**
 * The SES v2 adapter of the mail transport port: a rendered message as Raw content (the
 * envelope recipients as the destination: Bcc is not in the headers), a composed one as
 * Simple content (`sendComposed`, for the messages ses-content.ts admits); the message tags
 * for the event destination. Never throws.
 */
export function createSesTransport(options: SesTransportOptions): MailTransport {
  const timeoutMs = options.timeoutMs ?? SES_SEND_TIMEOUT_MS;
  /** One SendEmail call: its outcome, and the SDK's error when it failed. */
  const attempt = async (
    message: Pick<OutgoingMessage, "to" | "messageId" | "tags">,
    content: Pick<SendEmailCommandInput, "FromEmailAddress" | "Destination" | "ReplyToAddresses" | "Content">,
    sendOptions: SendOptions,
  ): Promise<{ outcome: SendOutcome; error?: unknown }> => {
    const tags = Object.entries(message.tags ?? {}).map(([Name, Value]) => ({
      Name: tagValue(Name),
      Value: tagValue(Value),
    }));
    try {
      const result = await options.client.send(
        new SendEmailCommand({
          ...content,
          ...(options.configurationSetName ? { ConfigurationSetName: options.configurationSetName } : {}),
          ...(tags.length > 0 ? { EmailTags: tags } : {}),
        }),
        { abortSignal: AbortSignal.timeout(Math.min(timeoutMs, remainingMs(sendOptions.deadline))) },
      );
      return {
        outcome: {
          ok: true,
          messageId: message.messageId,
          ...(result.MessageId ? { providerMessageId: result.MessageId } : {}),
          accepted: message.to,
          rejected: [],
        },
      };
    } catch (error) {
      const outcome = failed(message, sesErrorAsSmtp(error));
      return { outcome: sesOutcomeUnknown(error) ? { ...outcome, unknown: true } : outcome, error };
    }
  };
  const sendRaw = async (message: OutgoingMessage, sendOptions: SendOptions): Promise<SendOutcome> => {
    const content = {
      FromEmailAddress: sesAddress(message.from),
      Destination: { ToAddresses: message.to.map(sesAddress) },
      Content: { Raw: { Data: Buffer.from(message.raw) } },
    };
    return (await attempt(message, content, sendOptions)).outcome;
  };

  // SES's rules for Simple content are checked before a send (ses-content.ts), but no local
  // server enforces them: when SES refuses a Simple request as malformed, nothing was sent, so
  // the same message goes as Raw MIME; if SES takes that, every later one goes Raw too (a
  // request Raw is refused for as well was not refused for being Simple).
  let simpleRefused = false;
  const sendComposed = async (
    message: ComposedMessage,
    sendOptions: SendOptions = {},
  ): Promise<SendOutcome> => {
    if (simpleRefused) return sendAsRaw(message, sendOptions);
    const first = await attempt(message, simpleContent(message), sendOptions);
    if ((first.error as SdkError | undefined)?.name !== "BadRequestException") return first.outcome;
    const reason = describeError(first.error);
    // no room left for a whole second send: retried (Simple, then Raw) rather than cut short
    if (remainingMs(sendOptions.deadline) < timeoutMs) {
      return failed(message, {
        name: "SimpleContentRefused",
        code: "SimpleContentRefused",
        command: "API",
        responseCode: 451,
        response: `451 4.3.0 SES refused Simple content (${reason}); retried, as Raw MIME if it is refused again`,
        message: reason,
      });
    }
    const outcome = await sendAsRaw(message, sendOptions);
    if (outcome.ok) {
      simpleRefused = true;
      options.onSimpleRefused?.(reason);
    }
    return outcome;
  };
  const sendAsRaw = async (message: ComposedMessage, sendOptions: SendOptions): Promise<SendOutcome> => {
    const { renderMime } = await import("./compose.ts");
    return sendRaw({ ...(await renderMime(message)), to: message.to }, sendOptions);
  };
  return {
    kind: "ses-api",
    sendBoundMs: timeoutMs,
    send: (message, sendOptions = {}) => sendRaw(message, sendOptions),
    sendComposed,
    async close(): Promise<void> {
      // The SDK client belongs to the runtime, which destroys it.
    },
  };
}
