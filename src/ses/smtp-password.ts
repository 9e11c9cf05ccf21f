import { createHmac } from "node:crypto";

/** The version byte SES puts in front of an SMTP password derived with Signature Version 4. */
const VERSION = 0x04;

/** The fixed inputs of the derivation, in order after the region (DESIGN.md section 3). */
const DATE = "11111111";
const SERVICE = "ses";
const TERMINAL = "aws4_request";
const MESSAGE = "SendRawEmail";

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/**
 * The Amazon SES SMTP password for an IAM secret access key in one region (the "version 4"
 * derivation): the username is the access key id. The password works only in `region`.
 */
export function sesSmtpPassword(secretAccessKey: string, region: string): string {
  if (secretAccessKey === "") throw new RangeError("the secret access key is empty");
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new RangeError(`${JSON.stringify(region)} is not an AWS region name such as eu-west-1`);
  }
  let key = hmac(`AWS4${secretAccessKey}`, DATE);
  for (const part of [region, SERVICE, TERMINAL, MESSAGE]) key = hmac(key, part);
  return Buffer.concat([Buffer.from([VERSION]), key]).toString("base64");
}
