// The claim protocol, the same for both stores: exactly one claimer per pair, a crashed
// claim taken over after its lease, a "sent" record final.
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbStateStore } from "../../../src/security/dynamodb-store.ts";
import { ClaimLostError, StateFileError } from "../../../src/security/errors.ts";
import { FileStateStore } from "../../../src/security/file-store.ts";
import type { Lease, SecurityStateStore } from "../../../src/security/state-store.ts";
import { startDynalite, type TestDynamo } from "../../../sandbox/servers/dynalite.ts";

let dynamo: TestDynamo;
let dir: string;
beforeAll(async () => {
  dynamo = await startDynalite();
  dir = await mkdtemp(join(tmpdir(), "herald-state-"));
});
afterAll(async () => {
  await dynamo.close();
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
const stores: Array<[string, () => Promise<SecurityStateStore>]> = [
  ["DynamoDB", async () => new DynamoDbStateStore(dynamo.client, await dynamo.createTable())],
  ["file", async () => new FileStateStore(join(dir, `state-${++counter}.json`))],
];

const NOW = 1_800_000_000_000;
const lease = (owner: string, now = NOW, ms = 60_000): Lease => ({ owner, now, leaseUntil: now + ms });
const pair = { bulletinId: "MMSA-1", admin: "ops@example.com" };

describe.each(stores)("%s state store", (_name, open) => {
  it("claims a new pair once; the claim then makes others wait; sent is final", async () => {
    const store = await open();
    expect(await store.wasSent(pair)).toBe(false);
    const first = await store.claim(pair, lease("run-a"));
    expect(first.status).toBe("claimed");
    expect(await store.claim(pair, lease("run-b"))).toEqual({ status: "busy", leaseUntil: NOW + 60_000 });
    if (first.status !== "claimed") return;
    await store.markSent(first.claim, { messageId: "<m1@example.com>", at: NOW });
    expect(await store.wasSent(pair)).toBe(true);
    expect(await store.claim(pair, lease("run-b", NOW + 10 * 60_000))).toEqual({ status: "sent" });
  });

  it("keeps pairs apart: other bulletins and other administrators are claimed independently", async () => {
    const store = await open();
    const results = await Promise.all([
      store.claim(pair, lease("a")),
      store.claim({ ...pair, admin: "sec@example.com" }, lease("a")),
      store.claim({ ...pair, bulletinId: "MMSA-2" }, lease("a")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["claimed", "claimed", "claimed"]);
  });

  it("treats administrator addresses case-insensitively", async () => {
    const store = await open();
    expect((await store.claim(pair, lease("a"))).status).toBe("claimed");
    expect((await store.claim({ ...pair, admin: "OPS@Example.com" }, lease("b"))).status).toBe("busy");
  });

  it("gives a pair to exactly one of many concurrent claimers", async () => {
    const store = await open();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => store.claim(pair, lease(`run-${i}`))),
    );
    expect(results.filter((r) => r.status === "claimed")).toHaveLength(1);
    expect(results.filter((r) => r.status === "busy")).toHaveLength(11);
  });

  it("lets a released pair be claimed again", async () => {
    const store = await open();
    const first = await store.claim(pair, lease("a"));
    if (first.status !== "claimed") throw new Error("not claimed");
    await store.release(first.claim);
    expect(await store.wasSent(pair)).toBe(false);
    expect((await store.claim(pair, lease("b"))).status).toBe("claimed");
  });

  it("takes over a crashed run's claim after its lease, once; the crashed run cannot record it later", async () => {
    const store = await open();
    const crashed = await store.claim(pair, lease("crashed", NOW, 1000));
    if (crashed.status !== "claimed") throw new Error("not claimed");
    expect((await store.claim(pair, lease("early", NOW + 500))).status).toBe("busy");
    const later = await Promise.all([
      store.claim(pair, lease("later-1", NOW + 2000)),
      store.claim(pair, lease("later-2", NOW + 2000)),
    ]);
    expect(later.filter((r) => r.status === "claimed")).toHaveLength(1);
    await expect(
      store.markSent(crashed.claim, { messageId: "<x@y>", at: NOW + 3000 }),
    ).rejects.toBeInstanceOf(ClaimLostError);
    // The late release of the old claim must not free the new one.
    await store.release(crashed.claim);
    expect((await store.claim(pair, lease("third", NOW + 2500))).status).toBe("busy");
  });

  it("creates one installation id that concurrent runs agree on and later runs reuse", async () => {
    const store = await open();
    const ids = await Promise.all(Array.from({ length: 8 }, () => store.installationId()));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(await store.installationId()).toBe(ids[0]);
  });
});

describe("DynamoDB records", () => {
  it("uses the documented item ids and never sets the table's TTL attribute", async () => {
    const table = await dynamo.createTable();
    const store = new DynamoDbStateStore(dynamo.client, table);
    const claimed = await store.claim(pair, lease("a"));
    if (claimed.status !== "claimed") throw new Error("not claimed");
    await store.markSent(claimed.claim, { messageId: "<m@example.com>", at: NOW });
    const id = await store.installationId();
    const { Item: record } = await dynamo.client.send(
      new GetItemCommand({ TableName: table, Key: { id: { S: "bulletin#MMSA-1#ops@example.com" } } }),
    );
    expect(record).toMatchObject({ state: { S: "sent" }, messageId: { S: "<m@example.com>" } });
    expect(record).not.toHaveProperty("expiration");
    expect(record).not.toHaveProperty("leaseUntil");
    const { Item: installation } = await dynamo.client.send(
      new GetItemCommand({ TableName: table, Key: { id: { S: "installation" } } }),
    );
    expect(installation?.installationId?.S).toBe(id);
  });
});

describe("file state", () => {
  it("keeps the installation id in FILE and one file per step beside it", async () => {
    const path = join(dir, "layout.json");
    const store = new FileStateStore(path);
    const id = await store.installationId();
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ installationId: id });
    const claimed = await store.claim(pair, lease("a"));
    if (claimed.status !== "claimed") throw new Error("not claimed");
    await store.markSent(claimed.claim, { messageId: "<m@example.com>", at: NOW });
    const [pairDir] = await readdir(`${path}.d`);
    const steps = await readdir(join(`${path}.d`, pairDir!));
    expect(steps).toEqual(["000001.json", "000002.json"]);
    const sent = JSON.parse(await readFile(join(`${path}.d`, pairDir!, "000002.json"), "utf8"));
    expect(sent).toMatchObject({ state: "sent", bulletinId: "MMSA-1", admin: "ops@example.com" });
  });

  it("refuses a FILE that is not Herald's, rather than overwrite it", async () => {
    const path = join(dir, "foreign.json");
    await writeFile(path, '{"something":"else"}');
    await expect(new FileStateStore(path).installationId()).rejects.toBeInstanceOf(StateFileError);
    await writeFile(path, "not json");
    await expect(new FileStateStore(path).installationId()).rejects.toThrow(/is not JSON/);
    expect(await readFile(path, "utf8")).toBe("not json");
  });
});
