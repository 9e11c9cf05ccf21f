/**
 * The notification event contract (DESIGN.md section 6): one zod schema, the single source
 * of the rules. The JSON Schema in examples/notification-event.schema.json is generated
 * from it (`npx node src/notifications/json-schema.ts`) and a test keeps the two in sync.
 */
import * as z from "../zod.ts";
import { NOTIFICATION_DETAIL_TYPE } from "../constants.ts";
import { isValidEmailAddress } from "../net/hosts.ts";

/** The limits of one notification; SES's own limits where it has them. */
export const NOTIFICATION_LIMITS = {
  /** To, Cc and Bcc together (SES SendEmail allows 50 recipients per message) */
  recipients: 50,
  /** RFC 5322 line limit */
  subjectChars: 998,
  /** the whole rendered message (SES v2 SendEmail limit) */
  messageBytes: 10 * 1024 * 1024,
  idChars: 256,
  threadIdChars: 200,
  /** an SES message tag value holds at most 256 characters */
  categoryChars: 256,
  /** List-Unsubscribe must fit on one header line: counted percent-encoded, as it is sent */
  unsubscribeUrlChars: 900,
} as const;

/** No C0 or C1 control character (CR and LF included): none may reach a header or a log line. */
export const NO_CONTROL_CHARACTERS = /^\P{Cc}*$/u;
/** RFC 5322 dot-atom-text: what may stand left of the "@" in a Message-ID. */
export const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const VISIBLE_CHARACTER = /[^\s\p{Cc}]/u;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const TAG_VALUE = /^[A-Za-z0-9_-]+$/;

// Herald's one address rule; JSON Schema's "idn-email" says internationalized domains are welcome.
/** "required: ..." when the field is absent, "must be a string: ..." when it has another type. */
function requiredString(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `required: ${what}` : `must be a string: ${what}`;
}

const address = z
  .string({ error: "must be a plain email address such as someone@example.com" })
  .check(
    z.refine(isValidEmailAddress, { error: "must be a plain email address such as someone@example.com" }),
    z.meta({ format: "idn-email" }),
  );

function addressList(field: string, min: number) {
  return z.array(address, { error: `${field} must be an array of email addresses` }).check(
    z.minLength(min, { error: `at least ${min} recipient is required` }),
    z.maxLength(NOTIFICATION_LIMITS.recipients, {
      error: `at most ${NOTIFICATION_LIMITS.recipients} recipients`,
    }),
  );
}

/** A string field that may be absent: "must be a string" otherwise. */
const optionalString = (...checks: Parameters<z.ZodMiniString["check"]>) =>
  z.optional(z.string({ error: "must be a string" }).check(...checks));

const notificationFields = z.strictObject({
  id: z.string({ error: requiredString("a string that identifies this notification") }).check(
    z.minLength(1, { error: "must not be empty" }),
    z.maxLength(NOTIFICATION_LIMITS.idChars, {
      error: `at most ${NOTIFICATION_LIMITS.idChars} characters`,
    }),
    z.regex(NO_CONTROL_CHARACTERS, { error: "must not contain control characters (CR, LF, ...)" }),
    z.describe(
      "Idempotency key: an event with an id that was already sent is skipped. A dot-atom id (letters, digits, !#$%&'*+-/=?^_`{|}~ and inner dots, at most 200 characters, and not spelled like a digest: n. and 32 base64url characters) is also the Message-ID's left part, so later events can thread under it with threadId; any other id gets a digest.",
    ),
  ),
  to: addressList("to", 1).check(z.describe("recipients; 1 to 50 in all with cc and bcc")),
  cc: z.optional(addressList("cc", 0)),
  bcc: z
    .optional(addressList("bcc", 0))
    .check(z.describe("blind copies: in the envelope, never in a header")),
  subject: z.string({ error: requiredString("the subject line") }).check(
    z.minLength(1, { error: "must not be empty", abort: true }),
    z.maxLength(NOTIFICATION_LIMITS.subjectChars, {
      error: `at most ${NOTIFICATION_LIMITS.subjectChars} characters`,
    }),
    z.regex(VISIBLE_CHARACTER, { error: "must contain a visible character" }),
    z.describe("control characters (CR, LF, tabs) are rendered as spaces"),
  ),
  text: optionalString().check(z.describe("the text/plain body")),
  html: optionalString().check(
    z.describe("the HTML body; the text/plain part is derived from it when text is absent"),
  ),
  category: optionalString(
    z.minLength(1, { error: "must not be empty" }),
    z.maxLength(NOTIFICATION_LIMITS.categoryChars, {
      error: `at most ${NOTIFICATION_LIMITS.categoryChars} characters`,
    }),
    z.regex(TAG_VALUE, { error: "only letters, digits, _ and - (it becomes an SES message tag)" }),
  ).check(z.describe("e.g. mention, digest; sent as the SES message tag `category`")),
  replyTo: z.optional(address).check(z.describe("Reply-To; default EmailSettings.ReplyToAddress")),
  threadId: optionalString(
    z.maxLength(NOTIFICATION_LIMITS.threadIdChars, {
      error: `at most ${NOTIFICATION_LIMITS.threadIdChars} characters`,
    }),
    z.regex(DOT_ATOM, {
      error: "only letters, digits, !#$%&'*+-/=?^_`{|}~ and inner dots (it becomes a Message-ID)",
    }),
  ).check(z.describe("In-Reply-To and References: <threadId@SiteURL host>")),
  unsubscribeUrl: z
    .optional(
      z.url({ protocol: /^https$/, error: "must be an https:// URL" }).check(
        z.maxLength(NOTIFICATION_LIMITS.unsubscribeUrlChars, {
          error: `at most ${NOTIFICATION_LIMITS.unsubscribeUrlChars} characters`,
        }),
        z.regex(PRINTABLE_ASCII, {
          error: "must be printable ASCII without spaces (percent-encode the rest)",
        }),
        // the header carries the URL as URL() writes it: " < > { } | ^ ` become three characters each
        // (one URL() cannot parse is refused above; zod runs this rule anyway, so it must not throw)
        z.refine(
          (url) => !URL.canParse(url) || new URL(url).href.length <= NOTIFICATION_LIMITS.unsubscribeUrlChars,
          {
            error: `at most ${NOTIFICATION_LIMITS.unsubscribeUrlChars} characters once percent-encoded (characters such as " < > { } | count three each)`,
          },
        ),
      ),
    )
    .check(z.describe("one-click unsubscribe (RFC 8058): List-Unsubscribe and List-Unsubscribe-Post")),
});

/**
 * The `detail` of an EventBridge "Notification" event (or the bare body of an SQS message):
 * the whole contract. Rules a JSON Schema cannot say (recipients in all, a body) are checked
 * here too.
 */
export const notificationSchema = notificationFields.check(
  z.superRefine((event, ctx) => {
    const recipients = event.to.length + (event.cc?.length ?? 0) + (event.bcc?.length ?? 0);
    if (recipients > NOTIFICATION_LIMITS.recipients) {
      ctx.addIssue({
        code: "custom",
        path: ["to"],
        message: `at most ${NOTIFICATION_LIMITS.recipients} recipients in to, cc and bcc together (got ${recipients})`,
      });
    }
    if (event.text === undefined && event.html === undefined) {
      ctx.addIssue({ code: "custom", path: ["text"], message: "text or html is required" });
    }
  }),
  z.meta({
    title: "Herald notification event",
    description:
      'The detail of an EventBridge event with detail-type "Notification", or the bare body of an SQS message. To, cc and bcc together hold 1 to 50 recipients; text or html is required; the rendered message is at most 10 MB.',
  }),
);

export type Notification = z.infer<typeof notificationSchema>;

/** The EventBridge envelope around a notification; only the fields Herald reads are checked. */
export const eventBridgeEnvelopeSchema = z.looseObject({
  "detail-type": z.literal(NOTIFICATION_DETAIL_TYPE, {
    error: `must be "${NOTIFICATION_DETAIL_TYPE}"`,
  }),
  detail: z.nonoptional(z.unknown(), {
    error:
      'required: the notification (id, to, subject, text or html) in the event\'s "detail"; put the bare notification in the body instead if there is no envelope',
  }),
});

/** The contract as JSON Schema (draft 2020-12), as published in examples/. */
export function notificationJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(notificationSchema, { io: "input" }) as Record<string, unknown>;
}
