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

/** "to: expected string, received number" for each bad field of an event. */
export function describeEventIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "event"}: ${issue.message}`).join("; ");
}

/** Console test events may be empty, null or a bare `{}`. */
export function eventObject(event: unknown): unknown {
  return event === null || event === undefined || event === "" ? {} : event;
}
