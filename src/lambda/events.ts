import * as z from "../zod.ts";

const settingsOverride = z
  .record(z.string(), z.unknown())
  .check(z.describe('settings in config.json shape, e.g. { "EmailSettings": { "SMTPServer": "..." } }'));

export const testSendEventSchema = z.object({
  to: z.optional(z.string().check(z.describe("the recipient address"))),
  settings: z.optional(settingsOverride),
});

export const validateSettingsEventSchema = z.object({
  settings: z.optional(settingsOverride),
  connect: z.optional(z.boolean().check(z.describe("true to also connect to the server"))),
});

export const notificationStatusEventSchema = z.object({
  id: z
    .string({ error: 'required: the notification\'s id as a string, e.g. { "id": "post.abc123" }' })
    .check(z.minLength(1, { error: "must not be empty" }), z.describe("the notification id to look up")),
});

/** "to: expected string, received number" for each bad field of an event. */
export function describeEventIssues(error: z.core.$ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "event"}: ${issue.message}`).join("; ");
}

/** Console test events may be empty, null or a bare `{}`. */
export function eventObject(event: unknown): unknown {
  return event === null || event === undefined || event === "" ? {} : event;
}
