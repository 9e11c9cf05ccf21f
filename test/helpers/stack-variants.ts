// The deployments every infrastructure proof runs against: HeraldStack as bin/app.ts builds it
// from the context, in both DNS modes, with transport ses-api and with existing SES resources,
// synthesized offline (unbundled).
import { Template } from "aws-cdk-lib/assertions";
import { readHeraldContext } from "../../lib/herald-config.ts";
import { HeraldStack } from "../../lib/herald-stack.ts";
import { newApp } from "./cdk.ts";

export const REGION = "eu-west-1";
const REQUIRED = { domain: "example.com", adminEmails: "ops@example.com" };
export const ZONE = { hostedZoneId: "Z0123456789ABCDEFGHIJ", hostedZoneName: "example.com" };

/** The variants by name, with the context each adds. */
export const VARIANTS = {
  "hosted zone": { ...REQUIRED, ...ZONE },
  "manual DNS": { ...REQUIRED },
  "ses-api": { ...REQUIRED, transport: "ses-api" },
  "existing SES resources": {
    ...REQUIRED,
    ...ZONE,
    existingIdentity: "example.com",
    existingConfigurationSet: "mail",
    existingDmarc: "true",
  },
} as const satisfies Record<string, Record<string, string>>;
export type VariantName = keyof typeof VARIANTS;

export interface SynthesizedVariant {
  readonly stack: HeraldStack;
  readonly template: Template;
  /** The template as `cdk synth` writes it (cdk.out/Herald.template.json). */
  readonly templateFile: string;
}

/** Synthesizes one variant (plus `extra` context) in its own app, bound to {@link REGION}. */
export function synthVariant(name: VariantName, extra: Record<string, string> = {}): SynthesizedVariant {
  const app = newApp({ ...VARIANTS[name], ...extra });
  const stack = new HeraldStack(app, "Herald", {
    ...readHeraldContext(app.node, REGION),
    env: { region: REGION },
  });
  const assembly = app.synth();
  return {
    stack,
    template: Template.fromStack(stack),
    templateFile: assembly.getStackArtifact(stack.artifactId).templateFullPath,
  };
}
