import * as z from "zod";

const settingsOverride = z
  .record(z.string(), z.unknown())
  .describe('settings in config.json shape, e.g. { "EmailSettings": { "SMTPServer": "..." } }');

export const testSendEventSchema = z.object({
  to: z.string().describe("the recipient address").optional(),
  settings: settingsOverride.optional(),
});

export const validateSettingsEventSchema = z.object({
  settings: settingsOverride.optional(),
  connect: z.boolean().describe("true to also connect to the server").optional(),
});

export const notificationStatusEventSchema = z.object({
  id: z
    .string({ error: 'required: the notification\'s id as a string, e.g. { "id": "post.abc123" }' })
    .min(1, { error: "must not be empty" })
    .describe("the notification id to look up"),
});

/** "to: expected string, received number" for each bad field of an event. */
export function describeEventIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "event"}: ${issue.message}`).join("; ");
}

/** Console test events may be empty, null or a bare `{}`. */
export function eventObject(event: unknown): unknown {
  return event === null || event === undefined || event === "" ? {} : event;
}
