// The SMTP credentials custom resource against mocked IAM and SSM (no local server exists for
// either): Create, Update with and without rotation, Delete, rollback, and no secret anywhere.
import {
  CreateAccessKeyCommand,
  DeleteAccessKeyCommand,
  IAMClient,
  LimitExceededException,
  ListAccessKeysCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import {
  DeleteParametersCommand,
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { Logger } from "@aws-lambda-powertools/logger";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { handleSmtpCredentials, SmtpCredentialsError } from "../../../src/operations/smtp-credentials.ts";
import { sesSmtpPassword } from "../../../src/ses/smtp-password.ts";
import { captureStdout } from "../../helpers/capture-stdout.ts";

const SECRET = "dhSgJJyAs+2z19oLOVkwBrE6GkdNQD5fL5Dou5Tb";
const PASSWORD = "BK0hyoUp3vjB+NdwhSiUpkA9oA84fNaqhEKrXZ5PkcX2"; // SECRET in eu-central-1
const SECRET_2 = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const KEY_1 = "AKIAIOSFODNN7EXAMPLE";
const KEY_2 = "AKIAI44QH8DHBEXAMPLE";
const KMS_KEY = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const iamMock = mockClient(IAMClient);
const ssmMock = mockClient(SSMClient);

const properties = {
  ServiceToken: "arn:aws:lambda:eu-central-1:123456789012:function:provider",
  UserName: "herald-smtp",
  ParameterPrefix: "/herald",
  KmsKeyId: KMS_KEY,
  Region: "eu-central-1",
  Serial: "1",
};

const common = {
  ServiceToken: properties.ServiceToken,
  ResponseURL: "https://example.invalid/response",
  StackId: "arn:aws:cloudformation:eu-central-1:123456789012:stack/Herald/guid",
  RequestId: "req-1",
  LogicalResourceId: "SmtpCredentials",
  ResourceType: "Custom::HeraldSmtpCredentials",
};

const create = (props = properties): CloudFormationCustomResourceEvent => ({
  ...common,
  RequestType: "Create",
  ResourceProperties: props,
});
const update = (
  physicalId: string,
  props: typeof properties,
  old = properties,
): CloudFormationCustomResourceEvent => ({
  ...common,
  RequestType: "Update",
  PhysicalResourceId: physicalId,
  ResourceProperties: props,
  OldResourceProperties: old,
});
const remove = (physicalId: string, props = properties): CloudFormationCustomResourceEvent => ({
  ...common,
  RequestType: "Delete",
  PhysicalResourceId: physicalId,
  ResourceProperties: props,
});

/** Runs the handler with a real Powertools logger; returns what it returned, threw and logged. */
async function run(event: CloudFormationCustomResourceEvent) {
  const logger = new Logger({ serviceName: "herald-smtp-credentials", logLevel: "DEBUG" });
  const deps = {
    iam: new IAMClient({ region: "eu-central-1" }),
    ssm: new SSMClient({ region: "eu-central-1" }),
    logger,
  };
  const { result, output } = await captureStdout(async () => {
    try {
      return { response: await handleSmtpCredentials(event, deps) };
    } catch (error) {
      return { error: error as Error };
    }
  });
  const visible =
    JSON.stringify({
      ...result,
      error: result.error && {
        ...result.error,
        message: result.error.message,
        stack: result.error.stack,
        cause: String(result.error.cause),
      },
    }) + output;
  return { ...result, output, visible };
}

function expectNoSecret(visible: string) {
  for (const secret of [
    SECRET,
    SECRET_2,
    PASSWORD,
    sesSmtpPassword(SECRET_2, "eu-central-1"),
    sesSmtpPassword(SECRET, "eu-west-1"),
  ]) {
    expect(visible).not.toContain(secret);
  }
}

function puts() {
  return ssmMock.commandCalls(PutParameterCommand).map((c) => c.args[0].input);
}

beforeEach(() => {
  iamMock.reset();
  ssmMock.reset();
});
afterEach(() => {
  iamMock.reset();
  ssmMock.reset();
});

describe("Create", () => {
  it("creates a key and stores the username and the derived password; returns only names and the key id", async () => {
    iamMock.on(CreateAccessKeyCommand).resolves({
      AccessKey: { UserName: "herald-smtp", AccessKeyId: KEY_1, SecretAccessKey: SECRET, Status: "Active" },
    });
    ssmMock.on(PutParameterCommand).resolves({ Version: 1 });
    const { response, error, output, visible } = await run(create());
    expect(error).toBeUndefined();
    expect(response).toEqual({
      PhysicalResourceId: KEY_1,
      Data: {
        AccessKeyId: KEY_1,
        UsernameParameterName: "/herald/EmailSettings/SMTPUsername",
        PasswordParameterName: "/herald/EmailSettings/SMTPPassword",
      },
    });
    expect(iamMock.commandCalls(CreateAccessKeyCommand)[0]!.args[0].input).toEqual({
      UserName: "herald-smtp",
    });
    expect(puts()).toEqual([
      expect.objectContaining({
        Name: "/herald/EmailSettings/SMTPPassword",
        Value: PASSWORD,
        Type: "SecureString",
        KeyId: KMS_KEY,
        Overwrite: true,
      }),
      expect.objectContaining({
        Name: "/herald/EmailSettings/SMTPUsername",
        Value: KEY_1,
        Type: "String",
        Overwrite: true,
      }),
    ]);
    expect(output).toContain('"event":"smtp-credentials.created"');
    expectNoSecret(visible);
  });

  it("deletes the new key when the password cannot be stored, and the error holds no secret", async () => {
    iamMock.on(CreateAccessKeyCommand).resolves({
      AccessKey: { UserName: "u", AccessKeyId: KEY_1, SecretAccessKey: SECRET, Status: "Active" },
    });
    iamMock.on(DeleteAccessKeyCommand).resolves({});
    ssmMock
      .on(PutParameterCommand, { Type: "String" })
      .resolves({ Version: 1 })
      .on(PutParameterCommand, { Type: "SecureString" })
      // What an AWS validation error looks like: it quotes the value it refused.
      .rejects(
        Object.assign(new Error(`1 validation error detected: Value '${PASSWORD}' at 'value' failed`), {
          name: "ValidationException",
        }),
      );
    const { error, visible } = await run(create());
    expect(error).toBeInstanceOf(SmtpCredentialsError);
    expect(error!.message).toBe(
      "PutParameter /herald/EmailSettings/SMTPPassword (SecureString) failed (ValidationException)",
    );
    expect(error!.cause).toBeUndefined();
    expect(iamMock.commandCalls(DeleteAccessKeyCommand)[0]!.args[0].input).toEqual({
      UserName: "herald-smtp",
      AccessKeyId: KEY_1,
    });
    expectNoSecret(visible);
  });

  it("names the IAM limit when the user already has two keys", async () => {
    iamMock.on(CreateAccessKeyCommand).rejects(
      new LimitExceededException({
        message: "Cannot exceed quota for AccessKeysPerUser: 2",
        $metadata: {},
      }),
    );
    const { error } = await run(create());
    expect(error).toMatchObject({
      code: "ECREATEKEY",
      hint: expect.stringMatching(/at most two access keys/),
    });
    expect(error!.message).toMatch(/herald-smtp.*AccessKeysPerUser/);
    expect(ssmMock.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  it.each([
    [{ ...properties, ParameterPrefix: "herald" }, /ParameterPrefix: must start with \//],
    [{ ...properties, UserName: "" }, /UserName/],
  ])("refuses bad properties %#", async (props, message) => {
    const { error } = await run(create(props));
    expect(error).toMatchObject({ code: "EPROPERTIES" });
    expect(error!.message).toMatch(message);
    expect(iamMock.calls()).toHaveLength(0);
  });
});

describe("Update", () => {
  it("keeps the key when nothing changed", async () => {
    const { response } = await run(update(KEY_1, properties));
    expect(response?.PhysicalResourceId).toBe(KEY_1);
    expect(response?.Data?.AccessKeyId).toBe(KEY_1);
    expect(iamMock.calls()).toHaveLength(0);
    expect(ssmMock.calls()).toHaveLength(0);
  });

  it("rotates on a new serial: a new key first, the parameters overwritten, a new physical id", async () => {
    iamMock.on(CreateAccessKeyCommand).resolves({
      AccessKey: { UserName: "u", AccessKeyId: KEY_2, SecretAccessKey: SECRET_2, Status: "Active" },
    });
    ssmMock.on(PutParameterCommand).resolves({ Version: 2 });
    const { response, visible } = await run(update(KEY_1, { ...properties, Serial: "2" }));
    expect(response?.PhysicalResourceId).toBe(KEY_2);
    expect(iamMock.commandCalls(DeleteAccessKeyCommand)).toHaveLength(0); // the old key goes in the Delete that follows
    expect(puts().map((p) => p.Value)).toEqual([sesSmtpPassword(SECRET_2, "eu-central-1"), KEY_2]);
    expectNoSecret(visible);
  });

  it("then deletes the old key but keeps the parameters, which hold the new one", async () => {
    iamMock.on(DeleteAccessKeyCommand).resolves({});
    ssmMock
      .on(GetParameterCommand)
      .resolves({ Parameter: { Name: "/herald/EmailSettings/SMTPUsername", Value: KEY_2 } });
    const { response, output } = await run(remove(KEY_1, { ...properties, Serial: "2" }));
    expect(response).toEqual({ PhysicalResourceId: KEY_1 });
    expect(iamMock.commandCalls(DeleteAccessKeyCommand)[0]!.args[0].input).toEqual({
      UserName: "herald-smtp",
      AccessKeyId: KEY_1,
    });
    expect(ssmMock.commandCalls(DeleteParametersCommand)).toHaveLength(0);
    expect(output).toContain("smtp-credentials.parameters-kept");
  });

  it("leaves both parameters on the old key when the new password cannot be stored", async () => {
    // The password goes first: a username written before a failed password write would pair
    // the new (then deleted) key id with the old password, and every send would fail to log in.
    iamMock.on(CreateAccessKeyCommand).resolves({
      AccessKey: { UserName: "u", AccessKeyId: KEY_2, SecretAccessKey: SECRET_2, Status: "Active" },
    });
    iamMock.on(DeleteAccessKeyCommand).resolves({});
    ssmMock
      .on(PutParameterCommand, { Type: "String" })
      .resolves({ Version: 2 })
      .on(PutParameterCommand, { Type: "SecureString" })
      .rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    const { error, visible } = await run(update(KEY_1, { ...properties, Serial: "2" }));
    expect(error).toMatchObject({ code: "EPUTPARAMETER" });
    expect(puts().map((p) => p.Name)).toEqual(["/herald/EmailSettings/SMTPPassword"]);
    expect(iamMock.commandCalls(DeleteAccessKeyCommand)[0]!.args[0].input.AccessKeyId).toBe(KEY_2);
    expectNoSecret(visible);
  });

  it("rolls back a rotation within IAM's two keys: the key no parameter holds goes before a new one", async () => {
    // A rotation (KEY_1 -> KEY_2) succeeded here, then another resource failed: CloudFormation
    // sends an Update back to the old serial for KEY_2 while KEY_1 still exists (its Delete only
    // comes after a successful update). A third key would exceed the limit: UPDATE_ROLLBACK_FAILED.
    const KEY_3 = "AKIAJ55QH8DHBEXAMPLE";
    iamMock.on(ListAccessKeysCommand).resolves({
      AccessKeyMetadata: [
        { UserName: "herald-smtp", AccessKeyId: KEY_1, Status: "Active" },
        { UserName: "herald-smtp", AccessKeyId: KEY_2, Status: "Active" },
      ],
    });
    iamMock.on(DeleteAccessKeyCommand).resolves({});
    // As IAM does: a third key is refused.
    iamMock.on(CreateAccessKeyCommand).callsFake(() => {
      if (iamMock.commandCalls(DeleteAccessKeyCommand).length === 0) {
        throw new LimitExceededException({
          message: "Cannot exceed quota for AccessKeysPerUser: 2",
          $metadata: {},
        });
      }
      return { AccessKey: { UserName: "u", AccessKeyId: KEY_3, SecretAccessKey: SECRET, Status: "Active" } };
    });
    ssmMock.on(PutParameterCommand).resolves({ Version: 3 });
    const { response, error, visible } = await run(update(KEY_2, properties, { ...properties, Serial: "2" }));
    expect(error).toBeUndefined();
    expect(response?.PhysicalResourceId).toBe(KEY_3);
    expect(iamMock.commandCalls(ListAccessKeysCommand)[0]!.args[0].input).toEqual({
      UserName: "herald-smtp",
    });
    expect(iamMock.commandCalls(DeleteAccessKeyCommand).map((c) => c.args[0].input)).toEqual([
      { UserName: "herald-smtp", AccessKeyId: KEY_1 },
    ]);
    const order = iamMock.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf("DeleteAccessKeyCommand")).toBeLessThan(order.indexOf("CreateAccessKeyCommand"));
    expectNoSecret(visible);
  });

  it("rotates into the new prefix when the prefix changes", async () => {
    iamMock.on(CreateAccessKeyCommand).resolves({
      AccessKey: { UserName: "u", AccessKeyId: KEY_2, SecretAccessKey: SECRET_2, Status: "Active" },
    });
    ssmMock.on(PutParameterCommand).resolves({ Version: 1 });
    const { response } = await run(update(KEY_1, { ...properties, ParameterPrefix: "/acme/mail" }));
    expect(response?.Data?.PasswordParameterName).toBe("/acme/mail/EmailSettings/SMTPPassword");
    expect(puts().map((p) => p.Name)).toEqual([
      "/acme/mail/EmailSettings/SMTPPassword",
      "/acme/mail/EmailSettings/SMTPUsername",
    ]);
  });
});

describe("Delete", () => {
  it("deletes the key and the parameters that hold it", async () => {
    iamMock.on(DeleteAccessKeyCommand).resolves({});
    ssmMock
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: KEY_1 } })
      .on(DeleteParametersCommand)
      .resolves({});
    const { response } = await run(remove(KEY_1));
    expect(response).toEqual({ PhysicalResourceId: KEY_1 });
    expect(ssmMock.commandCalls(DeleteParametersCommand)[0]!.args[0].input).toEqual({
      Names: ["/herald/EmailSettings/SMTPUsername", "/herald/EmailSettings/SMTPPassword"],
    });
  });

  it("succeeds when the key and the parameters are already gone", async () => {
    iamMock
      .on(DeleteAccessKeyCommand)
      .rejects(new NoSuchEntityException({ message: "not found", $metadata: {} }));
    ssmMock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: "", $metadata: {} }));
    const { response, error } = await run(remove(KEY_1));
    expect(error).toBeUndefined();
    expect(response).toEqual({ PhysicalResourceId: KEY_1 });
  });

  it("does nothing after a failed Create (the physical id is not a key)", async () => {
    const { response } = await run(remove("req-1"));
    expect(response).toEqual({ PhysicalResourceId: "req-1" });
    expect(iamMock.calls()).toHaveLength(0);
    expect(ssmMock.calls()).toHaveLength(0);
  });

  it("fails with the IAM error when the key cannot be deleted", async () => {
    iamMock
      .on(DeleteAccessKeyCommand)
      .rejects(Object.assign(new Error("User is not authorized"), { name: "AccessDenied" }));
    const { error } = await run(remove(KEY_1));
    expect(error).toMatchObject({ code: "EDELETEKEY" });
    expect(error!.message).toContain("AccessDenied: User is not authorized");
  });
});
