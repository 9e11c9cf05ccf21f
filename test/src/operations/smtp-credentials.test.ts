// The SMTP credentials custom resource and its scheduled tasks against stateful fakes of IAM and
// SSM (test/helpers/iam-ssm-fakes.ts: IAM has no local server) and a loopback SMTP server that
// stands in for the region's SES SMTP endpoint: it accepts a login only with the pair of a live
// key of the user (and refuses the ones a test says have not propagated yet). After every step
// the state is checked: the two parameters name a live key with its own password (or are both
// absent), at most two keys, and no secret in what was returned, thrown or logged.
import { CreateAccessKeyCommand, IAMClient } from "@aws-sdk/client-iam";
import { SSMClient } from "@aws-sdk/client-ssm";
import { Logger } from "@aws-lambda-powertools/logger";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  handleSmtpCredentials,
  handleSmtpCredentialsTask,
  SmtpCredentialsError,
  type ServiceToRestart,
  type SmtpCredentialsDeps,
} from "../../../src/operations/smtp-credentials.ts";
import { sesSmtpPassword } from "../../../src/ses/smtp-password.ts";
import { captureStdout } from "../../helpers/capture-stdout.ts";
import { awsError, FakeIam, FakeSsm } from "../../helpers/iam-ssm-fakes.ts";
import { startSmtpServer, type TestSmtpServer } from "../../helpers/smtp-servers.ts";

const USER = "herald-smtp";
const REGION = "eu-central-1";
const KMS_KEY = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const USERNAME = "/herald/EmailSettings/SMTPUsername";
const PASSWORD = "/herald/EmailSettings/SMTPPassword";
const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

const properties = {
  ServiceToken: "arn:aws:lambda:eu-central-1:123456789012:function:provider",
  UserName: USER,
  ParameterPrefix: "/herald",
  KmsKeyId: KMS_KEY,
  Region: REGION,
  Serial: "1",
  GracePeriodSeconds: "0",
};
type Props = Record<string, unknown>;

const common = {
  ServiceToken: properties.ServiceToken,
  ResponseURL: "https://example.invalid/response",
  StackId: "arn:aws:cloudformation:eu-central-1:123456789012:stack/Herald/guid",
  RequestId: "req-1",
  LogicalResourceId: "SmtpCredentials",
  ResourceType: "Custom::HeraldSmtpCredentials",
};
const create = (props: Props = properties): CloudFormationCustomResourceEvent =>
  ({ ...common, RequestType: "Create", ResourceProperties: props }) as CloudFormationCustomResourceEvent;
const update = (
  physicalId: string,
  props: Props,
  old: Props = properties,
): CloudFormationCustomResourceEvent =>
  ({
    ...common,
    RequestType: "Update",
    PhysicalResourceId: physicalId,
    ResourceProperties: props,
    OldResourceProperties: old,
  }) as CloudFormationCustomResourceEvent;
const remove = (physicalId: string, props: Props = properties): CloudFormationCustomResourceEvent =>
  ({
    ...common,
    RequestType: "Delete",
    PhysicalResourceId: physicalId,
    ResourceProperties: props,
  }) as CloudFormationCustomResourceEvent;

let clock = START;
let iam: FakeIam;
let ssm: FakeSsm;
let mocks: { restore(): void }[] = [];
let server: TestSmtpServer;
/** logins the stand-in refuses per key before accepting it (IAM's propagation delay) */
const unpropagated = new Map<string, number>();
/** keys the stand-in never accepts */
const neverAccepted = new Set<string>();
const logins: string[] = [];
const restarted: ServiceToRestart[] = [];
let restartFails = false;

beforeAll(async () => {
  server = await startSmtpServer({
    secure: true,
    authorize(username, password) {
      logins.push(username);
      if (neverAccepted.has(username)) return false;
      const left = unpropagated.get(username) ?? 0;
      if (left > 0) {
        unpropagated.set(username, left - 1);
        return false;
      }
      return iam.accepts(USER, username, password, REGION);
    },
  });
});
afterAll(() => server.close());

beforeEach(() => {
  clock = START;
  iam = new FakeIam(() => clock);
  iam.addUser(USER);
  ssm = new FakeSsm();
  mocks = [iam.install(), ssm.install()];
  unpropagated.clear();
  neverAccepted.clear();
  logins.length = 0;
  restarted.length = 0;
  restartFails = false;
});
afterEach(() => mocks.forEach((mock) => mock.restore()));

function deps(overrides: Partial<SmtpCredentialsDeps> = {}): SmtpCredentialsDeps {
  return {
    iam: new IAMClient({ region: REGION }),
    ssm: new SSMClient({ region: REGION }),
    logger: new Logger({ serviceName: "herald-smtp-credentials", logLevel: "DEBUG" }),
    deadline: Date.now() + 60_000,
    now: () => clock,
    smtpEndpoint: () => ({
      host: server.host,
      port: server.port,
      security: "TLS",
      skipCertificateVerification: true,
    }),
    proofRetryDelayMs: 5,
    restartService: async (service) => {
      if (restartFails) throw awsError("ServiceNotFoundException", "Service not found.");
      restarted.push(service);
    },
    ...overrides,
  };
}

/** Runs the handler (or a task) with a real Powertools logger; what it returned, threw and logged. */
async function run(
  event: CloudFormationCustomResourceEvent | { task: unknown },
  overrides: Partial<SmtpCredentialsDeps> = {},
) {
  const stderr: string[] = [];
  // Powertools writes warnings and errors to stderr: they are checked for secrets too.
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
  const captured = await captureStdout(async () => {
    try {
      const response =
        "task" in event
          ? await handleSmtpCredentialsTask(event.task, deps(overrides))
          : await handleSmtpCredentials(event, deps(overrides));
      return {
        response: response as Record<string, unknown> & {
          PhysicalResourceId?: string;
          Data?: Record<string, string>;
        },
      };
    } catch (error) {
      return { error: error as SmtpCredentialsError };
    }
  }).finally(() => spy.mockRestore());
  const { result } = captured;
  const output = captured.output + stderr.join("");
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
  expectNoSecret(visible);
  return { ...result, output };
}

/** No secret access key, nor any password derived from one, in what was returned, thrown or logged. */
function expectNoSecret(visible: string) {
  expect(iam.created.length + 1).toBeGreaterThan(0);
  for (const key of iam.created) {
    expect(visible).not.toContain(key.secretAccessKey);
    expect(visible).not.toContain(sesSmtpPassword(key.secretAccessKey, REGION));
  }
}

/** The parameters name a live key with its own password, or are both absent. */
function expectWorkingPair(prefix = "/herald") {
  const username = ssm.value(`${prefix}/EmailSettings/SMTPUsername`);
  const password = ssm.value(`${prefix}/EmailSettings/SMTPPassword`);
  expect(username, "SMTPUsername").toBeDefined();
  expect(iam.accepts(USER, username!, password!, REGION), "the stored pair logs in").toBe(true);
  expect(ssm.parameters.get(`${prefix}/EmailSettings/SMTPPassword`)).toMatchObject({
    type: "SecureString",
    keyId: KMS_KEY,
  });
  expect(iam.keys(USER).length).toBeLessThanOrEqual(2);
  return username!;
}

const inUse = () => ssm.value(USERNAME);
const putFault = (name: string, times = 1, afterApplying = false) =>
  ssm.faults.add({
    command: "PutParameter",
    match: (input) => input.Name === name,
    error: () => awsError("ThrottlingException", "Rate exceeded"),
    times,
    afterApplying,
  });

describe("Create", () => {
  it("creates a key, proves it logs in (AUTH only), stores the pair and returns names and the key id", async () => {
    const { response, error, output } = await run(create());
    expect(error).toBeUndefined();
    const key = expectWorkingPair();
    expect(response).toEqual({
      PhysicalResourceId: USER,
      Data: { AccessKeyId: key, UsernameParameterName: USERNAME, PasswordParameterName: PASSWORD },
    });
    expect(logins).toEqual([key]);
    expect(server.messages).toEqual([]);
    expect(output).toContain('"event":"smtp-credentials.proven"');
  });

  it.each([
    ["the password", PASSWORD],
    ["the username", USERNAME],
  ])("leaves no parameter and no key when %s cannot be stored", async (_what, name) => {
    putFault(name);
    const { error } = await run(create());
    expect(error).toMatchObject({ code: "EPUTPARAMETER", restored: true });
    expect(error!.message).toContain(name);
    expect(ssm.parameters.size).toBe(0);
    expect(iam.keys(USER)).toEqual([]);
  });

  it("keeps the password's SSM validation message (which may quote it) out of the error", async () => {
    ssm.faults.add({
      command: "PutParameter",
      match: (input) => input.Type === "SecureString",
      error: () =>
        awsError(
          "ValidationException",
          `Value '${sesSmtpPassword(iam.created.at(-1)!.secretAccessKey, REGION)}' failed`,
        ),
    });
    const { error } = await run(create()); // run() checks that no secret is visible
    expect(error!.message).toBe(
      `PutParameter ${PASSWORD} (SecureString) failed (ValidationException); the previous SMTPUsername and SMTPPassword were restored`,
    );
    expect(error!.cause).toBeUndefined();
  });

  it.each([
    [{ ...properties, ParameterPrefix: "herald" }, /ParameterPrefix: must start with \//],
    [{ ...properties, UserName: "" }, /UserName/],
    [{ ...properties, GracePeriodSeconds: "-1" }, /GracePeriodSeconds/],
  ])("refuses bad properties %#", async (props, message) => {
    const { error } = await run(create(props));
    expect(error).toMatchObject({ code: "EPROPERTIES" });
    expect(error!.message).toMatch(message);
    expect(iam.created).toEqual([]);
  });
});

describe("Update: rotation (grace period 0)", () => {
  const rotated = { ...properties, Serial: "2" };

  it("proves the new key before the old one goes, then deletes the old one", async () => {
    await run(create());
    const old = inUse()!;
    const { response, error } = await run(update(USER, rotated));
    expect(error).toBeUndefined();
    const key = expectWorkingPair();
    expect(key).not.toBe(old);
    expect(response?.PhysicalResourceId).toBe(USER);
    expect(iam.keys(USER)).toEqual([key]);
    expect(logins.at(-1)).toBe(key);
  });

  it("tries the login again while IAM propagates the new key", async () => {
    await run(create());
    const old = inUse()!;
    // The next key's id is not known yet: refuse whatever logs in first, twice.
    const { output } = await run(update(USER, rotated), {
      smtpEndpoint: () => {
        const key = iam.created.at(-1)!.accessKeyId;
        if (key !== old && !unpropagated.has(key)) unpropagated.set(key, 2);
        return { host: server.host, port: server.port, security: "TLS", skipCertificateVerification: true };
      },
    });
    const key = expectWorkingPair();
    expect(logins.filter((login) => login === key)).toHaveLength(3);
    expect(output).toMatch(/"event":"smtp-credentials.proven".*"attempts":3/);
  });

  it("keeps the old key and parameters when the new one never logs in, and fails with the reason", async () => {
    await run(create());
    const old = inUse()!;
    const oldPassword = ssm.value(PASSWORD);
    const { error } = await run(update(USER, rotated), {
      // 20 s are kept for the writes: this leaves the proof three seconds.
      deadline: Date.now() + 23_000,
      proofRetryDelayMs: 1000,
      smtpEndpoint: () => {
        neverAccepted.add(iam.created.at(-1)!.accessKeyId);
        return { host: server.host, port: server.port, security: "TLS", skipCertificateVerification: true };
      },
    });
    expect(error).toMatchObject({ code: "EPROOF" });
    expect(error!.message).toMatch(
      new RegExp(`did not log in to 127\\.0\\.0\\.1:${server.port} in \\d+ attempt`),
    );
    expect(error!.message).toMatch(/535/);
    expect(error!.message).toContain("the previous credentials stay in use");
    expect(inUse()).toBe(old);
    expect(ssm.value(PASSWORD)).toBe(oldPassword);
    expect(iam.keys(USER)).toEqual([old]);
    expectWorkingPair();
  });

  it.each([
    ["the password write fails", PASSWORD, false],
    ["the username write fails after the password write", USERNAME, false],
    ["the username write is applied but its reply is lost", USERNAME, true],
  ])("restores the previous pair when %s, and deletes the new key", async (_what, name, afterApplying) => {
    await run(create());
    const old = inUse()!;
    const oldPassword = ssm.value(PASSWORD);
    putFault(name, 1, afterApplying);
    const { error } = await run(update(USER, rotated));
    expect(error).toMatchObject({ code: "EPUTPARAMETER", restored: true });
    expect(inUse()).toBe(old);
    expect(ssm.value(PASSWORD)).toBe(oldPassword);
    expect(iam.keys(USER)).toEqual([old]);
    expectWorkingPair();
  });

  it("when the restore fails too: keeps both keys, says so, and a rollback (retried after its own failure) writes a matching pair", async () => {
    await run(create());
    const old = inUse()!;
    putFault(USERNAME); // the rotation's username write
    let passwordPuts = 0;
    ssm.faults.add({
      command: "PutParameter",
      // every restore of the password (the first put is the rotation's own, which succeeds)
      match: (input) => input.Name === PASSWORD && ++passwordPuts > 1,
      error: () => awsError("ThrottlingException", "Rate exceeded"),
      times: 3,
    });
    const first = await run(update(USER, rotated));
    expect(first.error).toMatchObject({ code: "EPAIRMISMATCH", restored: false });
    expect(first.error!.message).toContain(`restoring the previous values failed too (${PASSWORD})`);
    expect(first.error!.hint).toMatch(/deploy again \(or let CloudFormation roll back\)/);
    const keys = iam.keys(USER);
    expect(keys).toHaveLength(2);
    expect(keys).toContain(old);
    expect(iam.accepts(USER, inUse()!, ssm.value(PASSWORD)!, REGION)).toBe(false);

    // CloudFormation rolls back to the old serial; that Update fails once more (restored),
    // and "continue update rollback" sends it again.
    putFault(USERNAME);
    const rollback = await run(update(USER, properties, rotated));
    expect(rollback.error).toMatchObject({ code: "EPUTPARAMETER", restored: true });
    expect(iam.keys(USER)).toEqual([old]); // the unnamed key made room for the attempt
    const retried = await run(update(USER, properties, rotated));
    expect(retried.error).toBeUndefined();
    const key = expectWorkingPair();
    expect(iam.keys(USER)).toEqual([key]);
  });

  it("keeps the key and parameters when nothing that needs a new key changed", async () => {
    await run(create());
    const key = inUse()!;
    const { response } = await run(update(USER, { ...properties, GracePeriodSeconds: "3600" }));
    expect(response).toEqual({
      PhysicalResourceId: USER,
      Data: { AccessKeyId: key, UsernameParameterName: USERNAME, PasswordParameterName: PASSWORD },
    });
    expect(iam.created).toHaveLength(1);
  });
});

describe("grace period", () => {
  const graced = { ...properties, GracePeriodSeconds: String(DAY / 1000) };
  const cleanupTask = (props: Props = graced) => ({
    task: { heraldSmtpCredentialsTask: "cleanup", properties: props },
  });
  const rotateTask = (props: Props = graced) => ({
    task: { heraldSmtpCredentialsTask: "rotate", properties: props },
  });

  it("keeps the previous key active for the period; the cleanup deletes it after the period and not before", async () => {
    await run(create(graced));
    const old = inUse()!;
    clock += 1000;
    const { output } = await run(update(USER, { ...graced, Serial: "2" }, graced));
    const key = expectWorkingPair();
    expect(iam.keys(USER)).toEqual([old, key]);
    expect(output).toContain(`"until":"${new Date(clock + DAY).toISOString()}"`);
    // Both pairs log in during the period: a consumer that read the old one keeps working.
    const oldSecret = iam.secretOf(old)!;
    expect(iam.accepts(USER, old, sesSmtpPassword(oldSecret, REGION), REGION)).toBe(true);

    clock += DAY - 1;
    expect((await run(cleanupTask())).response).toEqual({ task: "cleanup", deletedAccessKeyIds: [] });
    expect(iam.keys(USER)).toEqual([old, key]);
    clock += 1;
    expect((await run(cleanupTask())).response).toEqual({ task: "cleanup", deletedAccessKeyIds: [old] });
    expect(iam.keys(USER)).toEqual([key]);
    expectWorkingPair();
  });

  it("a rotation during the period deletes the key in its grace period first: never LimitExceeded, always a working pair", async () => {
    await run(create(graced));
    const first = inUse()!;
    await run(rotateTask());
    const second = inUse()!;
    expect(iam.keys(USER)).toEqual([first, second]);
    const { error, output } = await run(update(USER, { ...graced, Serial: "2" }, graced));
    expect(error).toBeUndefined();
    const third = expectWorkingPair();
    // The key in use before the rotation is the one kept for the period.
    expect(iam.keys(USER)).toEqual([second, third]);
    expect(output).toContain('"event":"smtp-credentials.grace-cut-short"');
    expect(output).toContain(`"accessKeyId":"${first}"`);
  });

  it("a failed proof during the period keeps the pair in use (only the key in its grace period made room)", async () => {
    await run(create(graced));
    await run(rotateTask());
    const current = inUse()!;
    const { error } = await run(rotateTask(), {
      deadline: Date.now() + 21_000,
      proofRetryDelayMs: 1000,
      smtpEndpoint: () => {
        neverAccepted.add(iam.created.at(-1)!.accessKeyId);
        return { host: server.host, port: server.port, security: "TLS", skipCertificateVerification: true };
      },
    });
    expect(error).toMatchObject({ code: "EPROOF" });
    expect(iam.keys(USER)).toEqual([current]);
    expect(expectWorkingPair()).toBe(current);
  });

  it("the cleanup never deletes a key newer than the one in use (a rotation still proving it)", async () => {
    await run(create(graced));
    const current = inUse()!;
    clock += 2 * DAY;
    // What a rotation has made but not yet stored when the hourly cleanup runs.
    await new IAMClient({ region: REGION }).send(new CreateAccessKeyCommand({ UserName: USER }));
    const { response } = await run(cleanupTask());
    expect(response).toEqual({ task: "cleanup", deletedAccessKeyIds: [] });
    expect(iam.keys(USER)).toHaveLength(2);
    expect(iam.keys(USER)[0]).toBe(current);
  });

  it("the cleanup deletes nothing while the parameters name no key of the user", async () => {
    await run(create(graced));
    await run(rotateTask());
    ssm.parameters.set(USERNAME, { value: "edited-by-hand", type: "String" });
    clock += 2 * DAY;
    const { response, output } = await run(cleanupTask());
    expect(response).toEqual({ task: "cleanup", deletedAccessKeyIds: [] });
    expect(iam.keys(USER)).toHaveLength(2);
    expect(output).toContain("smtp-credentials.cleanup-skipped");
  });
});

describe("scheduled rotation", () => {
  const withServices = {
    ...properties,
    RestartServices: [
      "arn:aws:ecs:eu-central-1:123456789012:cluster/chat|arn:aws:ecs:eu-central-1:123456789012:service/chat/mattermost",
    ],
  };
  const rotateTask = (props: Props) => ({ task: { heraldSmtpCredentialsTask: "rotate", properties: props } });

  it("runs the deployment's steps (prove, store, retire) and restarts the services given", async () => {
    await run(create(withServices));
    const old = inUse()!;
    expect(restarted).toEqual([]); // a Create has nothing running on an older pair
    const { response } = await run(rotateTask(withServices));
    const key = expectWorkingPair();
    expect(response).toEqual({ task: "rotate", accessKeyId: key });
    expect(iam.keys(USER)).toEqual([key]);
    expect(key).not.toBe(old);
    expect(restarted).toEqual([
      {
        cluster: "arn:aws:ecs:eu-central-1:123456789012:cluster/chat",
        service: "arn:aws:ecs:eu-central-1:123456789012:service/chat/mattermost",
      },
    ]);
  });

  it("a service that cannot be restarted is a warning: the rotation stands", async () => {
    await run(create(withServices));
    restartFails = true;
    const { response, error, output } = await run(rotateTask(withServices));
    expect(error).toBeUndefined();
    expect(response).toMatchObject({ task: "rotate" });
    expect(output).toMatch(/"level":"WARN".*smtp-credentials.restart-failed.*ServiceNotFoundException/);
    expectWorkingPair();
  });

  it("refuses an event that is not a task", async () => {
    const { error } = await run({ task: { heraldSmtpCredentialsTask: "explode", properties } });
    expect(error).toMatchObject({ code: "EEVENT" });
    expect(error!.message).toContain("must be one of rotate, cleanup");
  });
});

describe("parameterPrefix change", () => {
  const moved = { ...properties, ParameterPrefix: "/acme/mail" };

  it("is refused before anything changes when the function may not remove the old parameters, with the fix", async () => {
    await run(create());
    const key = inUse()!;
    const before = new Map(ssm.parameters);
    ssm.denied.add("/herald"); // the role now covers only the new prefix
    const { error } = await run(update(USER, moved));
    expect(error).toMatchObject({ code: "EPREFIXCHANGE" });
    expect(error!.message).toBe(
      `parameterPrefix changed from /herald to /acme/mail, and this function may not remove ${USERNAME} and ${PASSWORD}; nothing was changed`,
    );
    expect(error!.hint).toContain("-c previousParameterPrefix=/herald");
    expect(iam.keys(USER)).toEqual([key]);
    expect(ssm.parameters).toEqual(before);
  });

  it("moves the pair: a new proven key under the new prefix, the old parameters removed", async () => {
    await run(create());
    const old = inUse()!;
    const { response, error } = await run(update(USER, moved));
    expect(error).toBeUndefined();
    const key = expectWorkingPair("/acme/mail");
    expect(key).not.toBe(old);
    expect(response?.Data?.UsernameParameterName).toBe("/acme/mail/EmailSettings/SMTPUsername");
    expect([...ssm.parameters.keys()].sort()).toEqual([
      "/acme/mail/EmailSettings/SMTPPassword",
      "/acme/mail/EmailSettings/SMTPUsername",
    ]);
    expect(iam.keys(USER)).toEqual([key]);
    // and back, as a rollback would
    const back = await run(update(USER, properties, moved));
    expect(back.error).toBeUndefined();
    expectWorkingPair();
    expect([...ssm.parameters.keys()].sort()).toEqual([PASSWORD, USERNAME]);
  });
});

describe("Delete", () => {
  it("removes every key of the user, whichever rotation made it, and the parameters", async () => {
    const graced = { ...properties, GracePeriodSeconds: "86400" };
    await run(create(graced));
    await run({ task: { heraldSmtpCredentialsTask: "rotate", properties: graced } });
    expect(iam.keys(USER)).toHaveLength(2);
    const { response, error } = await run(remove(USER, graced));
    expect(error).toBeUndefined();
    expect(response).toEqual({ PhysicalResourceId: USER });
    expect(iam.keys(USER)).toEqual([]);
    expect(ssm.parameters.size).toBe(0);
  });

  it("after a failed Create (the physical id is the request id) removes what is left", async () => {
    putFault(USERNAME);
    ssm.faults.add({ command: "DeleteParameters", error: () => awsError("InternalServerError"), times: 3 });
    await run(create()); // the restore failed: the key is kept
    expect(iam.keys(USER)).toHaveLength(1);
    const { error } = await run(remove("req-1"));
    expect(error).toBeUndefined();
    expect(iam.keys(USER)).toEqual([]);
  });

  it("succeeds when the user, its keys and the parameters are already gone", async () => {
    iam.users.delete(USER);
    const { response, error } = await run(remove(USER));
    expect(error).toBeUndefined();
    expect(response).toEqual({ PhysicalResourceId: USER });
  });

  it("keeps the parameters when they name another user's key (the user was replaced)", async () => {
    await run(create());
    iam.addUser("herald-smtp-old");
    const { error } = await run(remove("herald-smtp-old", { ...properties, UserName: "herald-smtp-old" }));
    expect(error).toBeUndefined();
    expectWorkingPair();
  });

  it("for a key-id physical id from before: leaves everything to the Update that rotated", async () => {
    await run(create());
    const key = inUse()!;
    const { error } = await run(remove("AKIAIOSFODNN7EXAMPLE"));
    expect(error).toBeUndefined();
    expect(iam.keys(USER)).toEqual([key]);
    expectWorkingPair();
  });

  it("fails with the IAM error when a key cannot be deleted", async () => {
    await run(create());
    iam.faults.add({
      command: "DeleteAccessKey",
      error: () => awsError("AccessDenied", "User is not authorized"),
    });
    const { error } = await run(remove(USER));
    expect(error).toMatchObject({ code: "EDELETEKEY" });
    expect(error!.message).toContain("AccessDenied: User is not authorized");
  });
});

describe("CloudFormation sequences", () => {
  // Each step is what CloudFormation sends; after each, the pair in SSM logs in.
  it.each([
    ["create, rotate, rollback of the rotation, delete", "0"],
    ["the same with a grace period", "86400"],
  ])("%s", async (_name, grace) => {
    const v1 = { ...properties, GracePeriodSeconds: grace };
    const v2 = { ...v1, Serial: "2" };
    const created = await run(create(v1));
    expect(created.error).toBeUndefined();
    expectWorkingPair();
    for (const [event, check] of [
      [update(USER, v2, v1), true],
      // another resource failed: the rollback Update goes back to serial 1
      [update(USER, v1, v2), true],
      [update(USER, v2, v1), true],
      [remove(USER, v2), false],
    ] as const) {
      clock += 60_000;
      const { error } = await run(event);
      expect(error).toBeUndefined();
      if (check) expectWorkingPair();
      expect(iam.keys(USER).length).toBeLessThanOrEqual(2);
    }
    expect(iam.keys(USER)).toEqual([]);
    expect(ssm.parameters.size).toBe(0);
  });
});
