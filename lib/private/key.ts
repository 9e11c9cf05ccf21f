// Every key Herald creates: customer-managed, rotated yearly, and scheduled for deletion
// (after KMS's 30-day waiting period) with the stack, like the data it encrypts.
import { RemovalPolicy } from "aws-cdk-lib";
import { Key } from "aws-cdk-lib/aws-kms";
import type { Construct } from "constructs";

export function createKey(scope: Construct, id: string, description: string): Key {
  return new Key(scope, id, {
    description: `Herald: ${description}`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
