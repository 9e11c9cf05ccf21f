// The CDK app: `npx cdk synth` / `npx cdk deploy`, run by Node 24 directly (cdk.json "app").
// Synthesis needs no AWS credentials and no network: no lookups (the hosted zone comes from its
// id and name). The stack is bound to CDK_DEFAULT_REGION, which the CDK CLI always sets: AWS_REGION,
// else the profile's region, else us-east-1. That choice is silent in the CLI, so the app names
// it on stderr at every synthesis (docs/deploy.md says so). Only `node bin/app.ts` run without
// it gives an environment-agnostic stack, whose region CloudFormation checks at deploy time.
import { App, Validations } from "aws-cdk-lib";
import cdkNag from "cdk-nag";
import { HeraldConfigError, readHeraldContext } from "../lib/herald-config.ts";
import { HeraldStack } from "../lib/herald-stack.ts";

const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
console.error(
  region
    ? `Herald: stack region ${region} (the CDK CLI's: AWS_REGION, else the profile's region, else us-east-1)`
    : "Herald: no region (CDK_DEFAULT_REGION unset): an environment-agnostic stack",
);

try {
  // Every context key is checked before anything is created.
  const config = readHeraldContext(app.node, region);
  new HeraldStack(app, "Herald", { ...config, env: { account, region } });
} catch (error) {
  if (!(error instanceof HeraldConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// cdk-nag v3 is a policy-validation plugin: an unacknowledged finding fails the synthesis.
Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app));
