/**
 * Stateful in-memory fakes of the IAM and SSM calls the SMTP credentials handler makes, behind
 * aws-sdk-client-mock (IAM has no local server): access keys per user with IAM's limit of two
 * and their creation time from an injected clock; parameters with SecureString values returned
 * encrypted unless decryption is asked for. Faults are injected per call (an error for the
 * next n matching calls, or AccessDenied on a prefix), so a test can drive every sequence of
 * Create / Update / Delete / rollback and check the state after each.
 */
import { randomBytes } from "node:crypto";
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
  GetParametersCommand,
  ParameterAlreadyExists,
  PutParameterCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { sesSmtpPassword } from "../../src/ses/smtp-password.ts";

export interface Fault {
  /** the SDK command's name without "Command", e.g. "PutParameter" */
  command: string;
  /** only calls whose input matches (e.g. a parameter name) */
  match?: (input: Record<string, unknown>) => boolean;
  error: () => Error;
  /** how many matching calls fail. @default 1 */
  times?: number;
  /** apply the call, then fail (a reply lost after the write). @default false */
  afterApplying?: boolean;
}

export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

class Faults {
  private readonly list: (Fault & { left: number })[] = [];
  add(fault: Fault): void {
    this.list.push({ ...fault, left: fault.times ?? 1 });
  }
  take(command: string, input: Record<string, unknown>): (Fault & { left: number }) | undefined {
    const fault = this.list.find((f) => f.left > 0 && f.command === command && (f.match?.(input) ?? true));
    if (fault) fault.left -= 1;
    return fault;
  }
}

interface FakeKey {
  accessKeyId: string;
  secretAccessKey: string;
  created: number;
}

let keyCounter = 0;
function newKeyId(): string {
  keyCounter += 1;
  return `AKIAFAKE${String(keyCounter).padStart(12, "0")}`;
}

export class FakeIam {
  readonly users = new Map<string, FakeKey[]>();
  readonly faults = new Faults();
  /** every key ever created (the secret of a deleted one too, for the secret checks) */
  readonly created: FakeKey[] = [];
  private readonly now: () => number;
  constructor(now: () => number) {
    this.now = now;
  }

  addUser(name: string): void {
    this.users.set(name, []);
  }
  keys(user: string): string[] {
    return (this.users.get(user) ?? []).map((k) => k.accessKeyId);
  }
  secretOf(accessKeyId: string): string | undefined {
    return this.created.find((k) => k.accessKeyId === accessKeyId)?.secretAccessKey;
  }
  /** whether the pair logs in: a live key of the user and the password derived from its secret */
  accepts(user: string, username: string, password: string, region: string): boolean {
    const key = this.users.get(user)?.find((k) => k.accessKeyId === username);
    return key !== undefined && sesSmtpPassword(key.secretAccessKey, region) === password;
  }

  private user(name: unknown): FakeKey[] {
    const keys = this.users.get(String(name));
    if (!keys)
      throw new NoSuchEntityException({
        message: `The user with name ${String(name)} cannot be found.`,
        $metadata: {},
      });
    return keys;
  }

  run(command: string, input: Record<string, unknown>, apply: () => unknown): unknown {
    const fault = this.faults.take(command, input);
    if (fault && !fault.afterApplying) throw fault.error();
    const result = apply();
    if (fault) throw fault.error();
    return result;
  }

  install(): { restore(): void } {
    const mock = mockClient(IAMClient);
    mock.on(CreateAccessKeyCommand).callsFake((input) =>
      this.run("CreateAccessKey", input, () => {
        const keys = this.user(input.UserName);
        if (keys.length >= 2) {
          throw new LimitExceededException({
            message: "Cannot exceed quota for AccessKeysPerUser: 2",
            $metadata: {},
          });
        }
        const key = {
          accessKeyId: newKeyId(),
          secretAccessKey: randomBytes(30).toString("base64"),
          created: this.now(),
        };
        keys.push(key);
        this.created.push(key);
        return {
          AccessKey: {
            UserName: input.UserName,
            AccessKeyId: key.accessKeyId,
            SecretAccessKey: key.secretAccessKey,
            Status: "Active",
            CreateDate: new Date(key.created),
          },
        };
      }),
    );
    mock.on(DeleteAccessKeyCommand).callsFake((input) =>
      this.run("DeleteAccessKey", input, () => {
        const keys = this.user(input.UserName);
        const index = keys.findIndex((k) => k.accessKeyId === input.AccessKeyId);
        if (index < 0)
          throw new NoSuchEntityException({
            message: `The Access Key with id ${input.AccessKeyId} cannot be found.`,
            $metadata: {},
          });
        keys.splice(index, 1);
        return {};
      }),
    );
    mock.on(ListAccessKeysCommand).callsFake((input) =>
      this.run("ListAccessKeys", input, () => ({
        AccessKeyMetadata: this.user(input.UserName).map((k) => ({
          UserName: input.UserName,
          AccessKeyId: k.accessKeyId,
          Status: "Active",
          CreateDate: new Date(k.created),
        })),
      })),
    );
    return mock;
  }
}

interface FakeParameter {
  value: string;
  type: string;
  keyId?: string;
}

export class FakeSsm {
  readonly parameters = new Map<string, FakeParameter>();
  readonly faults = new Faults();
  /** prefixes the caller may not read, write or delete (AccessDeniedException) */
  readonly denied = new Set<string>();

  value(name: string): string | undefined {
    return this.parameters.get(name)?.value;
  }

  private check(name: string): void {
    for (const prefix of this.denied) {
      if (name.startsWith(`${prefix}/`)) {
        throw awsError(
          "AccessDeniedException",
          `User: arn:aws:sts::123456789012:assumed-role/handler is not authorized to perform this action on resource: parameter${name}`,
        );
      }
    }
  }

  run(command: string, input: Record<string, unknown>, apply: () => unknown): unknown {
    const fault = this.faults.take(command, input);
    if (fault && !fault.afterApplying) throw fault.error();
    const result = apply();
    if (fault) throw fault.error();
    return result;
  }

  install(): { restore(): void } {
    const mock = mockClient(SSMClient);
    mock.on(PutParameterCommand).callsFake((input) =>
      this.run("PutParameter", input, () => {
        const name = String(input.Name);
        this.check(name);
        if (this.parameters.has(name) && !input.Overwrite) {
          throw new ParameterAlreadyExists({ message: "The parameter already exists.", $metadata: {} });
        }
        this.parameters.set(name, {
          value: String(input.Value),
          type: String(input.Type ?? "String"),
          keyId: input.KeyId,
        });
        return { Version: 1 };
      }),
    );
    mock.on(GetParametersCommand).callsFake((input) =>
      this.run("GetParameters", input, () => {
        const names = (input.Names ?? []) as string[];
        names.forEach((name) => this.check(name));
        const found = names.filter((name) => this.parameters.has(name));
        return {
          Parameters: found.map((name) => {
            const p = this.parameters.get(name)!;
            const encrypted = p.type === "SecureString" && !input.WithDecryption;
            return {
              Name: name,
              Type: p.type,
              Value: encrypted ? `AQICAH${Buffer.from(p.value).toString("hex")}` : p.value,
            };
          }),
          InvalidParameters: names.filter((name) => !this.parameters.has(name)),
        };
      }),
    );
    mock.on(DeleteParametersCommand).callsFake((input) =>
      this.run("DeleteParameters", input, () => {
        const names = (input.Names ?? []) as string[];
        names.forEach((name) => this.check(name));
        const deleted = names.filter((name) => this.parameters.delete(name));
        return { DeletedParameters: deleted, InvalidParameters: names.filter((n) => !deleted.includes(n)) };
      }),
    );
    return mock;
  }
}
