// The deploy guide (docs/deploy.md) stays true: the context keys' table as the registry renders
// it (each key, what it accepts, its default, and no other key), every output.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, describe, expect, it } from "vitest";
import { CONTEXT_KEYS, contextKeysTable, readHeraldContext } from "../../lib/herald-config.ts";
import { HeraldStack } from "../../lib/herald-stack.ts";
import { PROJECT_ROOT } from "../../lib/private/bundling.ts";
import { newApp, removeOutdirs, SYNTH_TIMEOUT_MS } from "../helpers/cdk.ts";

afterAll(removeOutdirs);

const deploy = readFileSync(join(PROJECT_ROOT, "docs", "deploy.md"), "utf8");

describe("docs/deploy.md, the deploy guide", () => {
  it("holds the table of context keys rendered from the registry: every key, no other, each rule and default", () => {
    const start = deploy.indexOf("| key | meaning | accepts | default |");
    const table = deploy.slice(start, deploy.indexOf("\n\n", start));
    expect(table.split("\n")).toEqual(contextKeysTable().split("\n"));
    expect(table.split("\n")).toHaveLength(Object.keys(CONTEXT_KEYS).length + 2);
  });

  it(
    "names every stack output",
    () => {
      const app = newApp({ domain: "example.com", adminEmails: "ops@example.com" });
      const stack = new HeraldStack(app, "Herald", readHeraldContext(app.node));
      const outputs = Object.keys(Template.fromStack(stack).toJSON().Outputs);
      for (const name of outputs) {
        expect(deploy).toContain(/^DomainDkimRecord\d$/.test(name) ? "DomainDkimRecord1..3" : `\`${name}\``);
      }
      // ... and names no output that does not exist.
      const paragraph = deploy.slice(
        deploy.indexOf("Outputs: "),
        deploy.indexOf("\n\n", deploy.indexOf("Outputs: ")),
      );
      const named = [...paragraph.matchAll(/`([A-Za-z]+)(\.\.3)?`/g)].map((m) => (m[2] ? `${m[1]}1` : m[1]!));
      expect(named.length).toBeGreaterThan(15);
      expect(named.filter((name) => !outputs.includes(name))).toEqual([]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it("has each part of the guide", () => {
    for (const heading of [
      "## Bootstrap and deploy",
      "## Context keys",
      "## DNS and DKIM verification",
      "## Leaving the SES sandbox",
      "## Testing from the console",
      "## Rotating the SMTP credentials",
      "## Teardown",
      "## Using the constructs in another CDK app",
    ]) {
      expect(deploy).toContain(heading);
    }
  });
});
