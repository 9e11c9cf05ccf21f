// The AWS calls a Lambda handler's code makes, read from the source: every project file the
// handler's bundle includes (esbuild's metafile, packages left external) is scanned for
// `new XxxCommand(` of an AWS SDK v3 client and for the Powertools utilities that call AWS
// themselves. An SDK call added anywhere in src/ shows up here without anyone listing it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { PROJECT_ROOT } from "../../lib/private/bundling.ts";

/** IAM service prefix of each SDK v3 client package. */
const SERVICE_OF_PACKAGE: Record<string, string> = {
  "client-sesv2": "ses",
  "client-sqs": "sqs",
  "client-ssm": "ssm",
  "client-dynamodb": "dynamodb",
  "client-eventbridge": "events",
  "client-iam": "iam",
  "client-ecs": "ecs",
};

/** @aws-sdk/lib-dynamodb's document commands, and the DynamoDB action each one calls. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  Get: "GetItem",
  Put: "PutItem",
  Update: "UpdateItem",
  Delete: "DeleteItem",
  Query: "Query",
  Scan: "Scan",
  BatchGet: "BatchGetItem",
  BatchWrite: "BatchWriteItem",
  TransactGet: "TransactGetItems",
  TransactWrite: "TransactWriteItems",
};

/** Powertools utilities that make AWS calls of their own, and the actions they need. */
const LIBRARY_CALLS: Record<string, string[]> = {
  // @aws-lambda-powertools/idempotency/dynamodb: get, conditional put, update, delete of one item.
  DynamoDBPersistenceLayer: [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
  ],
  // @aws-lambda-powertools/parameters/ssm, used with getMultiple(prefix, { recursive, decrypt }).
  SSMProvider: ["ssm:GetParametersByPath"],
};

/** Project files (relative to the root) that the handler `entry` bundles. */
export async function sourceFiles(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, entry)],
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
    absWorkingDir: PROJECT_ROOT,
  });
  return Object.keys(result.metafile.inputs).filter((file) => !file.includes("node_modules"));
}

/** The IAM actions of the SDK commands and library calls in one source text. */
export function callsInSource(source: string): string[] {
  const calls = new Set<string>();
  const serviceOfName = new Map<string, string>();
  const documentNames = new Set<string>();
  for (const m of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"@aws-sdk\/([a-z0-9-]+)"/g)) {
    if (m[2] === "lib-dynamodb") {
      for (const name of (m[1] ?? "").split(",")) documentNames.add(name.trim().replace(/^type\s+/, ""));
      continue;
    }
    const service = SERVICE_OF_PACKAGE[m[2] ?? ""];
    if (!service) continue;
    for (const name of (m[1] ?? "").split(","))
      serviceOfName.set(name.trim().replace(/^type\s+/, ""), service);
  }
  // A client imported with `import()` (loaded on first use): its commands are destructured
  // from the promise, so they belong to the one client package the file imports that way.
  const dynamic = new Set<string>();
  for (const m of source.matchAll(/import\(\s*"@aws-sdk\/([a-z0-9-]+)"\s*\)/g)) {
    const service = SERVICE_OF_PACKAGE[m[1] ?? ""];
    if (service) dynamic.add(service);
  }
  for (const m of source.matchAll(/new\s+([A-Z][A-Za-z0-9]*)Command\s*\(/g)) {
    if (documentNames.has(`${m[1]}Command`)) {
      const action = DOCUMENT_COMMANDS[m[1] ?? ""];
      if (!action) throw new Error(`new ${m[1]}Command: not in DOCUMENT_COMMANDS (@aws-sdk/lib-dynamodb)`);
      calls.add(`dynamodb:${action}`);
      continue;
    }
    const service = serviceOfName.get(`${m[1]}Command`) ?? (dynamic.size === 1 ? [...dynamic][0] : undefined);
    if (!service) throw new Error(`new ${m[1]}Command: its client package is not in SERVICE_OF_PACKAGE`);
    calls.add(`${service}:${m[1]}`);
  }
  for (const [name, actions] of Object.entries(LIBRARY_CALLS)) {
    if (new RegExp(`new\\s+${name}\\s*\\(`).test(source)) for (const a of actions) calls.add(a);
  }
  return [...calls];
}

/** Every AWS call the handler `entry` can make, sorted. */
export async function awsCallsOf(entry: string): Promise<string[]> {
  const files = await sourceFiles(entry);
  const calls = files.flatMap((file) => callsInSource(readFileSync(join(PROJECT_ROOT, file), "utf8")));
  return [...new Set(calls)].sort();
}
