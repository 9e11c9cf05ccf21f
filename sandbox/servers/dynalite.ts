/**
 * A loopback DynamoDB (dynalite, in memory) for the sandbox and integration tests, with Herald's shared
 * table: partition key `id` (String), no sort key, as deployed (dynalite does not emulate TTL).
 *
 *   const dynamo = await startDynalite();
 *   const table = await dynamo.createTable();        // a fresh table per test, if wanted
 *   env: dynamo.env(table)                            // endpoint, region, dummy keys
 *   await dynamo.close();
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { listenOnLoopback } from "./listen.ts";

type DynaliteFactory = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

const dynalite = createRequire(import.meta.url)("dynalite") as DynaliteFactory;

export const DYNALITE_REGION = "us-east-1";

export interface TestDynamo {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL_DYNAMODB or a client's `endpoint` */
  endpoint: string;
  /** a client for this server (destroyed by close) */
  client: DynamoDBClient;
  /** create a table shaped like Herald's shared table; returns its name (random by default) */
  createTable(name?: string): Promise<string>;
  /** the environment a runtime or a child process needs to reach this server */
  env(tableName?: string): Record<string, string>;
  close(): Promise<void>;
}

export interface DynaliteOptions {
  /** 127.0.0.1 port; 0 picks a free one. @default 0 */
  port?: number;
}

export async function startDynalite(options: DynaliteOptions = {}): Promise<TestDynamo> {
  // Tables become ACTIVE after createTableMs; the default 500 ms only slows tests down.
  const server = dynalite({ createTableMs: 5, deleteTableMs: 5, updateTableMs: 5 });
  const port = await listenOnLoopback(server, options.port ?? 0);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: DYNALITE_REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  let closing: Promise<void> | undefined;

  return {
    endpoint,
    client,
    async createTable(name = `herald-${randomUUID()}`) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
      // The SDK's waiter polls once a second at best; the table is ACTIVE within milliseconds.
      for (let attempt = 0; attempt < 500; attempt++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
        if (Table?.TableStatus === "ACTIVE") return name;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`dynalite table ${name} did not become ACTIVE`);
    },
    env(tableName) {
      return {
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
        AWS_REGION: DYNALITE_REGION,
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        ...(tableName ? { HERALD_TABLE_NAME: tableName } : {}),
      };
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        client.destroy();
        // dynalite's close waits for open keep-alive connections: end them first.
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
