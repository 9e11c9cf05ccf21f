import { App } from "aws-cdk-lib";
import { readHeraldContext } from "./lib/herald-config.ts";
import { HeraldStack } from "./lib/herald-stack.ts";
const cases: Record<string,string>[] = JSON.parse(process.argv[2]!);
for (const extra of cases) {
  const app = new App({ context: { domain: "example.com", adminEmails: "ops@example.com", "aws:cdk:bundling-stacks": [], ...extra } });
  try {
    const cfg = readHeraldContext(app.node, "eu-west-1");
    new HeraldStack(app, "Herald", { ...cfg, env: { region: "eu-west-1" } });
    app.synth();
    console.log("OK", JSON.stringify(extra));
  } catch (e) { console.log("ERR", JSON.stringify(extra), String((e as Error).message).slice(0, 400)); }
}
