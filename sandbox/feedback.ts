/**
 * SES feedback in the sandbox: the SES emulator emits no events, so the sandbox builds the ones
 * SES would (sandbox/ses-events.ts) for the messages it sent and runs them through the real
 * feedback operation, which updates each notification's status record in dynalite. There is no
 * local EventBridge: the client's PutEvents is answered in-process, and the entries collected.
 */
import { EventBridgeClient, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { handleSesFeedback, type SesFeedbackSummary } from "../src/operations/ses-feedback.ts";
import type { Runtime } from "../src/runtime.ts";
import { openStatusStore } from "../src/status/open.ts";
import type { StatusStore } from "../src/status/store.ts";
import type { NotificationStatus } from "../src/status/record.ts";
import { sesEvent, type SesEventKind } from "./ses-events.ts";

export interface SandboxFeedback {
  store: StatusStore;
  /** NotificationFeedback entries the feedback operation published */
  published: PutEventsRequestEntry[];
  /** one SES event of `kind` for a notification the pipeline sent, `afterMs` after its send */
  feed(kind: SesEventKind, status: NotificationStatus, afterMs: number): Promise<SesFeedbackSummary>;
}

/** A bus that accepts every entry: PutEvents answered before any request is made. */
function collectingEventBridge(published: PutEventsRequestEntry[]): EventBridgeClient {
  const client = new EventBridgeClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  client.middlewareStack.add(
    () => async (args) => {
      const entries = (args.input as { Entries?: PutEventsRequestEntry[] }).Entries ?? [];
      published.push(...entries);
      return {
        output: {
          FailedEntryCount: 0,
          Entries: entries.map((_, i) => ({ EventId: `sandbox-${published.length + i}` })),
          $metadata: {},
        },
        response: {},
      } as never;
    },
    { step: "initialize", name: "sandboxBus" },
  );
  return client;
}

export function sandboxFeedback(runtime: Runtime): SandboxFeedback {
  const store = openStatusStore(runtime);
  if (!store) throw new Error("the sandbox's SES runtime has no HERALD_TABLE_NAME");
  const published: PutEventsRequestEntry[] = [];
  const eventBridge = collectingEventBridge(published);
  return {
    store,
    published,
    feed(kind, status, afterMs) {
      const sentAt = status.sentAt ?? new Date().toISOString();
      const event = sesEvent(kind, {
        id: status.id,
        sesMessageId: status.providerMessageId ?? `sandbox-${status.id}`,
        sentAt,
        destination: status.recipients.map((r) => r.address),
        at: new Date(Date.parse(sentAt) + afterMs).toISOString(),
      });
      return handleSesFeedback(event, {
        eventBridge,
        logger: runtime.logger,
        metrics: runtime.metrics,
        status: store,
      });
    },
  };
}
