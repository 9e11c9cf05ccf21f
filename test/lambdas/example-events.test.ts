import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  notificationStatusEventSchema,
  testSendEventSchema,
  validateSettingsEventSchema,
} from "../../src/lambda/events.ts";
import { projectRoot } from "../helpers/run-herald.ts";

const eventsDir = join(projectRoot, "examples/events");
const schemas = {
  "test-send": testSendEventSchema,
  "validate-settings": validateSettingsEventSchema,
  "notification-status": notificationStatusEventSchema,
};

describe("examples/events", async () => {
  const files = (await readdir(eventsDir)).filter((f) => f.endsWith(".json"));

  it("has console test events for both Lambdas", () => {
    expect(files.some((f) => f.startsWith("test-send"))).toBe(true);
    expect(files.some((f) => f.startsWith("validate-settings"))).toBe(true);
  });

  it.each(files)("%s is a valid event for its Lambda", async (file) => {
    const lambda = Object.keys(schemas).find((name) => file.startsWith(name)) as keyof typeof schemas;
    const event = JSON.parse(await readFile(join(eventsDir, file), "utf8"));
    expect(schemas[lambda].safeParse(event).success).toBe(true);
  });
});
