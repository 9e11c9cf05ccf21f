// The non-secret email settings as SSM String parameters under the prefix, one per setting,
// named after the config.json path (`<prefix>/EmailSettings/SMTPServer`), plus the KMS key
// that encrypts the secret ones (SMTPPassword). Operators may edit the parameters later;
// warm Lambdas see a change within their settings cache time. A Mattermost container on ECS
// is bound to the same settings with `bindToMattermost`.
import { ArnFormat, Aws, Stack } from "aws-cdk-lib";
import { Secret, type ContainerDefinition } from "aws-cdk-lib/aws-ecs";
import { Grant, type IGrantable } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { StringParameter, type IParameter } from "aws-cdk-lib/aws-ssm";
import { Construct, type IConstruct } from "constructs";
import {
  DEFAULT_PARAMETER_PREFIX,
  envVarName,
  normalizePrefixPath,
  parameterName,
} from "../src/constants.ts";
import {
  MAX_SMTP_TIMEOUT_SECONDS,
  SETTINGS_BY_ANY_PATH,
  type ConnectionSecurity,
} from "../src/settings/model.ts";
import { SMTP_PASSWORD_SETTING, SMTP_USERNAME_SETTING } from "../src/ses/smtp-credentials-contract.ts";
import { acknowledgeWildcard } from "./private/nag.ts";
import { createKey } from "./private/key.ts";
import { check, isEmailAddress, isHttpUrl, prefixProblem } from "./private/validate.ts";

/** ConnectionSecurity values (Mattermost's): "" is clear text and is not written (the default). */
export type { ConnectionSecurity };

/** Where the settings live and how to read them: what every Herald function needs. */
export interface IEmailSettings {
  /** The SSM path, normalized: one leading slash, no trailing slash (`/herald`). */
  readonly parameterPrefix: string;
  /** The key of the SecureString settings; absent: the AWS managed key `aws/ssm`. */
  readonly encryptionKey?: IKey;
  /**
   * ssm:GetParametersByPath on the prefix and kms:Decrypt (through SSM) on the key: what
   * any reader of all the settings needs (a Herald function, an EKS external-secrets
   * operator's role, an EC2 instance role running `herald export`).
   */
  grantRead(grantee: IGrantable): Grant;
}

export interface MattermostBindingOptions {
  /**
   * Hand the container SMTPUsername and SMTPPassword (as ECS secrets read from SSM when the
   * task starts). They must exist under the prefix by then: SmtpCredentials writes them, or
   * the operator does (SMTPPassword a SecureString encrypted with the settings' key).
   * @default - true when the settings enable SMTP AUTH (`smtp` given and its `auth` true)
   */
  readonly smtpCredentials?: boolean;
}

/** The SMTP server part of the settings. */
export interface SmtpServerSettings {
  /** SMTPServer: host name or IP */
  readonly server: string;
  /** SMTPPort, 1..65535 */
  readonly port: number;
  /** ConnectionSecurity */
  readonly connectionSecurity: ConnectionSecurity;
  /**
   * EnableSMTPAuth.
   * @default true unless connectionSecurity is ""
   */
  readonly auth?: boolean;
  /**
   * SMTPServerTimeout: seconds for each SMTP stage, 1 to 3600.
   * @default - not written: the settings' default (10 s)
   */
  readonly timeoutSeconds?: number;
}

export interface EmailSettingsParametersProps {
  /**
   * The SSM path the settings are stored under. A missing leading slash is added.
   * @default "/herald"
   */
  readonly parameterPrefix?: string;
  /** FeedbackEmail: the sender address (From). */
  readonly senderAddress: string;
  /**
   * FeedbackName: the sender's display name.
   * @default - none (not written; Mattermost's default is "")
   */
  readonly senderName?: string;
  /**
   * ReplyToAddress.
   * @default - the sender address
   */
  readonly replyToAddress?: string;
  /**
   * ServiceSettings.SiteURL: its host is the EHLO name and the Message-ID domain.
   * @default - none (not written)
   */
  readonly siteUrl?: string;
  /**
   * TeamSettings.SiteName: the subject prefix `[SiteName]`.
   * @default - none (not written: the runtime's default applies)
   */
  readonly siteName?: string;
  /**
   * The SMTP server, port, security and auth (SMTPServer, SMTPPort, ConnectionSecurity,
   * EnableSMTPAuth). The username and password are not set here: SmtpCredentials writes them
   * for SES, or the operator does (SecureString, with `encryptionKey`).
   * @default - none written (the `ses-api` transport needs none)
   */
  readonly smtp?: SmtpServerSettings;
  /**
   * EmailSettings.SendEmailNotifications.
   * @default true
   */
  readonly sendEmailNotifications?: boolean;
  /**
   * EmailSettings.EnableSecurityFixAlert: the scheduled security-alert check emails bulletins.
   * @default true
   */
  readonly enableSecurityFixAlert?: boolean;
  /**
   * The key that encrypts SecureString settings (SMTPPassword).
   * @default - a new customer-managed key with yearly rotation
   */
  readonly encryptionKey?: IKey;
}

/**
 * Reading the settings: one recursive GetParametersByPath on the prefix, and decrypting the
 * SecureString ones through SSM. Shared by this construct and imported settings.
 */
function grantReadSettings(
  scope: IConstruct,
  grantee: IGrantable,
  prefix: string,
  key: IKey | undefined,
): Grant {
  const stack = Stack.of(scope);
  const prefixArn = stack.formatArn({
    service: "ssm",
    resource: "parameter",
    resourceName: prefix.slice(1),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  const principal = grantee.grantPrincipal;
  // IAM checks the path itself; `/*` covers what is below it.
  const read = Grant.addToPrincipal({
    grantee,
    actions: ["ssm:GetParametersByPath"],
    resourceArns: [prefixArn, `${prefixArn}/*`],
  });
  const viaSsm = { "kms:ViaService": `ssm.${Aws.REGION}.amazonaws.com` };
  // The AWS managed key aws/ssm has no ARN known at synthesis: then any key, but only through
  // SSM and only for parameters under the prefix (SSM passes the parameter ARN as context).
  const anyKey = stack.formatArn({ service: "kms", resource: "key", resourceName: "*" });
  const decrypt = Grant.addToPrincipal({
    grantee,
    actions: ["kms:Decrypt"],
    resourceArns: [key ? key.keyArn : anyKey],
    conditions: key
      ? { StringEquals: viaSsm }
      : { StringEquals: viaSsm, StringLike: { "kms:EncryptionContext:PARAMETER_ARN": `${prefixArn}/*` } },
  });
  const grant = read.combine(decrypt);
  if (!(principal instanceof Construct)) return grant;
  acknowledgeWildcard(
    principal,
    `${prefixArn}/*`,
    `The settings are one SSM parameter each under ${prefix}; the function reads exactly that subtree.`,
  );
  if (!key) {
    acknowledgeWildcard(
      principal,
      anyKey,
      "SecureString settings use the AWS managed key aws/ssm, whose id is unknown at synthesis; kms:Decrypt " +
        `is limited to calls through SSM for parameters under ${prefix}.`,
    );
  }
  return grant;
}

/** The prefix as SSM and IAM want it (`herald/` becomes `/herald`); refuses names SSM would reject. */
export function normalizeParameterPrefix(value: string, construct = "EmailSettingsParameters"): string {
  const prefix = normalizePrefixPath(value);
  const problem = prefixProblem(prefix);
  check(construct, "parameterPrefix", value, problem === undefined, problem ?? "");
  return prefix;
}

export class EmailSettingsParameters extends Construct implements IEmailSettings {
  /** Settings that already live under a prefix (written by hand or by another stack). */
  static fromParameterPrefix(
    scope: Construct,
    id: string,
    parameterPrefix: string,
    encryptionKey?: IKey,
  ): IEmailSettings {
    const prefix = normalizeParameterPrefix(parameterPrefix);
    class Import extends Construct implements IEmailSettings {
      readonly parameterPrefix = prefix;
      readonly encryptionKey = encryptionKey;
      grantRead(grantee: IGrantable): Grant {
        return grantReadSettings(this, grantee, prefix, encryptionKey);
      }
    }
    return new Import(scope, id);
  }

  readonly parameterPrefix: string;
  readonly encryptionKey: IKey;
  /** Every parameter written, by setting path (`EmailSettings.SMTPServer`). */
  readonly parameters: ReadonlyMap<string, StringParameter>;
  /** The value of each parameter written, by setting path. */
  private readonly values: ReadonlyMap<string, string>;
  /** Whether the settings turn SMTP AUTH on (then a binding hands over the credentials). */
  private readonly smtpAuth: boolean;

  constructor(scope: Construct, id: string, props: EmailSettingsParametersProps) {
    super(scope, id);
    const name = "EmailSettingsParameters";
    this.parameterPrefix = normalizeParameterPrefix(props.parameterPrefix ?? DEFAULT_PARAMETER_PREFIX, name);
    check(
      name,
      "senderAddress",
      props.senderAddress,
      isEmailAddress(props.senderAddress),
      "is not an email address, e.g. notifications@example.com",
    );
    if (props.replyToAddress !== undefined) {
      check(
        name,
        "replyToAddress",
        props.replyToAddress,
        isEmailAddress(props.replyToAddress),
        "is not an email address",
      );
    }
    if (props.senderName !== undefined) {
      check(
        name,
        "senderName",
        props.senderName,
        !/[\r\n]/.test(props.senderName),
        "must not contain line breaks (it goes into the From header)",
      );
    }
    if (props.siteUrl !== undefined) {
      check(
        name,
        "siteUrl",
        props.siteUrl,
        isHttpUrl(props.siteUrl),
        "is not an http(s) URL, e.g. https://chat.example.com",
      );
    }
    if (props.smtp) {
      const { port, server } = props.smtp;
      check(
        name,
        "smtp.server",
        server,
        server.trim() !== "" && !/\s/.test(server),
        "is not a host name or IP address",
      );
      check(
        name,
        "smtp.port",
        port,
        Number.isInteger(port) && port >= 1 && port <= 65535,
        "is not a port number (an integer from 1 to 65535)",
      );
      const timeout = props.smtp.timeoutSeconds;
      if (timeout !== undefined) {
        check(
          name,
          "smtp.timeoutSeconds",
          timeout,
          Number.isInteger(timeout) && timeout >= 1 && timeout <= MAX_SMTP_TIMEOUT_SECONDS,
          `is not a whole number of seconds from 1 to ${MAX_SMTP_TIMEOUT_SECONDS}`,
        );
      }
    }

    this.encryptionKey =
      props.encryptionKey ??
      createKey(this, "Key", `encrypts the SecureString settings under ${this.parameterPrefix}`);

    const values = new Map<string, string>();
    const set = (path: string, value: string | undefined) => {
      if (value !== undefined && value !== "") values.set(path, value);
    };
    set("EmailSettings.SendEmailNotifications", String(props.sendEmailNotifications ?? true));
    set("EmailSettings.FeedbackEmail", props.senderAddress);
    set("EmailSettings.ReplyToAddress", props.replyToAddress ?? props.senderAddress);
    set("EmailSettings.FeedbackName", props.senderName);
    set("EmailSettings.EnableSecurityFixAlert", String(props.enableSecurityFixAlert ?? true));
    if (props.smtp) {
      set("EmailSettings.SMTPServer", props.smtp.server);
      set("EmailSettings.SMTPPort", String(props.smtp.port));
      set("EmailSettings.ConnectionSecurity", props.smtp.connectionSecurity);
      set("EmailSettings.EnableSMTPAuth", String(props.smtp.auth ?? props.smtp.connectionSecurity !== ""));
      set("EmailSettings.SMTPServerTimeout", props.smtp.timeoutSeconds?.toString());
    }
    this.smtpAuth = values.get("EmailSettings.EnableSMTPAuth") === "true";
    set("ServiceSettings.SiteURL", props.siteUrl);
    set("TeamSettings.SiteName", props.siteName);

    const parameters = new Map<string, StringParameter>();
    for (const [path, value] of values) {
      parameters.set(
        path,
        new StringParameter(this, path.replace(".", ""), {
          parameterName: parameterName(this.parameterPrefix, path),
          stringValue: value,
          description: `Herald ${path} (deployed default; edit it here, redeploying with a new value overwrites it)`,
        }),
      );
    }
    this.parameters = parameters;
    this.values = values;
  }

  /** The names of the parameters this construct wrote. */
  get parameterNames(): string[] {
    return [...this.parameters.keys()].map((path) => parameterName(this.parameterPrefix, path));
  }

  /**
   * Read access to every setting under the prefix, for any principal: what a Mattermost host
   * that is not an ECS task needs to fetch the settings itself.
   *
   * @example
   * // EKS: the role an external-secrets operator assumes (IRSA) syncs the prefix into a
   * // Kubernetes Secret the Mattermost pod takes as its MM_* environment.
   * settings.grantRead(externalSecretsRole);
   * // EC2: the instance role runs `herald export --ssm-prefix /herald --format env
   * // --include-password --output /etc/mattermost/herald.env` before mattermost.service starts.
   * settings.grantRead(instanceRole);
   */
  grantRead(grantee: IGrantable): Grant {
    return grantReadSettings(this, grantee, this.parameterPrefix, this.encryptionKey);
  }

  /**
   * Point a Mattermost container (ECS) at these settings: each setting this construct wrote
   * as the environment variable Mattermost reads (`MM_EMAILSETTINGS_SMTPSERVER`, ...), and
   * SMTPUsername and SMTPPassword as secrets ECS reads from SSM when the task starts, so no
   * credential enters the template. The task's execution role may read exactly those two
   * parameters and decrypt with the settings' key. After a credentials rotation, restart the
   * service (a new deployment) so its tasks read the new pair.
   *
   * @returns the execution role's grant on the credential parameters (dropped when none)
   */
  bindToMattermost(container: ContainerDefinition, options: MattermostBindingOptions = {}): Grant {
    for (const [path, value] of this.values) container.addEnvironment(mattermostVariable(path), value);
    const executionRole = container.taskDefinition.obtainExecutionRole();
    if (!(options.smtpCredentials ?? this.smtpAuth)) {
      return Grant.drop(executionRole, "the settings do not use SMTP AUTH: no credentials to hand over");
    }
    const id = `${container.node.id}Mattermost`;
    const credentials: Array<[string, IParameter]> = [
      [
        SMTP_USERNAME_SETTING,
        StringParameter.fromStringParameterName(
          container,
          `${id}SmtpUsername`,
          parameterName(this.parameterPrefix, SMTP_USERNAME_SETTING),
        ),
      ],
      [
        SMTP_PASSWORD_SETTING,
        StringParameter.fromSecureStringParameterAttributes(container, `${id}SmtpPassword`, {
          parameterName: parameterName(this.parameterPrefix, SMTP_PASSWORD_SETTING),
          encryptionKey: this.encryptionKey,
        }),
      ],
    ];
    const grants: Grant[] = [];
    for (const [path, parameter] of credentials) {
      const secret = Secret.fromSsmParameter(parameter);
      // addSecret grants the execution role read on the parameter (and decrypt on its key);
      // the grant is kept to be returned.
      container.addSecret(mattermostVariable(path), {
        arn: secret.arn,
        grantRead: (grantee) => {
          const grant = secret.grantRead(grantee);
          grants.push(grant);
          return grant;
        },
      });
    }
    return grants.reduce((all, grant) => all.combine(grant));
  }
}

/** The variable the Mattermost server reads a setting from (its server path, from the registry). */
function mattermostVariable(path: string): string {
  const setting = SETTINGS_BY_ANY_PATH.get(path);
  if (!setting) throw new Error(`${path} is not a setting in src/settings/model.ts`);
  return envVarName(setting.serverPath);
}
