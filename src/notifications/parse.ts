import type * as z from "../zod.ts";
import {
  eventBridgeEnvelopeSchema,
  NO_CONTROL_CHARACTERS,
  NOTIFICATION_LIMITS,
  notificationSchema,
  type Notification,
} from "./schema.ts";

/** One broken rule of an event: which field (`to[2]`, `detail.subject`) and what the rule is. */
export interface EventProblem {
  field: string;
  rule: string;
}

export type ParsedEvent =
  | { ok: true; notification: Notification }
  | {
      ok: false;
      problems: EventProblem[];
      /** the event's id when it had a usable one, for logs and the dead-letter queue */
      id?: string;
    };

/** "to[2]", "detail.subject", "event" for the whole body. */
function fieldName(path: readonly PropertyKey[]): string {
  let name = "";
  for (const part of path) {
    if (typeof part === "number") name += `[${part}]`;
    else name += name === "" ? String(part) : `.${String(part)}`;
  }
  return name || "event";
}

function problemsOf(error: z.core.$ZodError, prefix: readonly PropertyKey[] = []): EventProblem[] {
  return error.issues.map((issue) => {
    const unknownKeys = issue.code === "unrecognized_keys" ? issue.keys : undefined;
    return {
      field: fieldName([...prefix, ...issue.path]),
      rule: unknownKeys ? `unknown field(s) ${unknownKeys.map((k) => `"${k}"`).join(", ")}` : issue.message,
    };
  });
}

function idOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const id = (value as { id?: unknown }).id;
  // only a printable id goes to logs and message attributes
  return typeof id === "string" &&
    id.length > 0 &&
    id.length <= NOTIFICATION_LIMITS.idChars &&
    NO_CONTROL_CHARACTERS.test(id)
    ? id
    : undefined;
}

function isEnvelope(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "detail-type" in value;
}

/**
 * Read one event: an EventBridge event (detail-type "Notification") or a bare detail, as a
 * JSON string (an SQS body) or an already parsed value (a CLI file). Never throws: a
 * broken event yields every problem, each naming the field and the rule.
 */
export function parseNotificationEvent(body: unknown): ParsedEvent {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body) as unknown;
    } catch (error) {
      // V8's message quotes the body around the error: only its position goes to logs
      const position = /at position (\d+)/.exec(error instanceof Error ? error.message : "")?.[1];
      const where = position === undefined ? "" : ` at position ${position}`;
      return { ok: false, problems: [{ field: "event", rule: `must be JSON (syntax error${where})` }] };
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      ok: false,
      problems: [{ field: "event", rule: "must be a JSON object: an EventBridge event or its detail" }],
    };
  }
  if (isEnvelope(value)) {
    const envelope = eventBridgeEnvelopeSchema.safeParse(value);
    if (!envelope.success) return { ok: false, problems: problemsOf(envelope.error) };
    return parseDetail(envelope.data.detail, ["detail"]);
  }
  return parseDetail(value, []);
}

/**
 * Each recipient once (compared without case, as the record's digests do): a later repeat in
 * to, cc or bcc is dropped, so nobody gets two copies from one event (SES and many SMTP
 * servers deliver an envelope's repeated recipient twice).
 */
function withoutRepeatedRecipients(notification: Notification): Notification {
  const seen = new Set<string>();
  const firstTime = (address: string) => {
    const key = address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const to = notification.to.filter(firstTime);
  const cc = notification.cc?.filter(firstTime);
  const bcc = notification.bcc?.filter(firstTime);
  return { ...notification, to, ...(cc ? { cc } : {}), ...(bcc ? { bcc } : {}) };
}

function parseDetail(detail: unknown, prefix: readonly PropertyKey[]): ParsedEvent {
  const parsed = notificationSchema.safeParse(detail);
  if (parsed.success) return { ok: true, notification: withoutRepeatedRecipients(parsed.data) };
  const id = idOf(detail);
  const problems = problemsOf(parsed.error, prefix);
  return id === undefined ? { ok: false, problems } : { ok: false, problems, id };
}

/** "to[1]: must be a plain email address ...; subject: must not be empty" */
export function describeProblems(problems: readonly EventProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.rule}`).join("; ");
}
