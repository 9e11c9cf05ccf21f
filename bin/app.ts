// The CDK app: `npx cdk synth` / `npx cdk deploy`, run by Node 24 directly (cdk.json "app").
// Synthesis needs no AWS credentials and no network: the stack is environment-agnostic.
import { App, Validations } from "aws-cdk-lib";
import cdkNag from "cdk-nag";
import { readHeraldContext } from "../lib/herald-config.ts";
import { HeraldStack } from "../lib/herald-stack.ts";

const app = new App();

new HeraldStack(app, "Herald", readHeraldContext(app.node));

// cdk-nag v3 is a policy-validation plugin: an unacknowledged finding fails the synthesis.
Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app));
