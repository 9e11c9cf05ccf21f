/**
 * The contract between the SmtpCredentials construct (lib/) and its handler
 * (lambdas/smtp-credentials.ts): the custom resource's property names and the attributes it
 * returns, and the events of the scheduled tasks (rotation, grace cleanup), which carry the
 * same properties. Import-free, so the CDK side can use it without pulling in runtime code.
 */

/** ResourceProperties of the custom resource; CloudFormation passes every value as a string. */
export const SMTP_CREDENTIALS_PROPERTY = {
  /** the IAM user that owns the access key */
  userName: "UserName",
  /** the SSM path of the settings: SMTPUsername and SMTPPassword go under `<prefix>/EmailSettings/` */
  parameterPrefix: "ParameterPrefix",
  /** the KMS key (id or ARN) that encrypts the SMTPPassword SecureString */
  kmsKeyId: "KmsKeyId",
  /** the region the SMTP password is derived for (the stack's region) */
  region: "Region",
  /** change it to rotate: a new access key is created, proven, stored, then the old one retired */
  serial: "Serial",
  /** seconds the previous key stays active after a rotation (0: deleted at once) */
  gracePeriodSeconds: "GracePeriodSeconds",
  /** ECS services restarted after a rotation, each "<cluster ARN>|<service ARN>" */
  restartServices: "RestartServices",
} as const;

/** Fn::GetAtt attributes of the custom resource (none of them secret). */
export const SMTP_CREDENTIALS_ATTRIBUTE = {
  accessKeyId: "AccessKeyId",
  usernameParameterName: "UsernameParameterName",
  passwordParameterName: "PasswordParameterName",
} as const;

/** The scheduled tasks: the event is `{ [SMTP_CREDENTIALS_TASK_FIELD]: task, properties }`. */
export const SMTP_CREDENTIALS_TASK_FIELD = "heraldSmtpCredentialsTask";
export const SMTP_CREDENTIALS_TASKS = ["rotate", "cleanup"] as const;
export type SmtpCredentialsTask = (typeof SMTP_CREDENTIALS_TASKS)[number];

/** The settings the custom resource writes, as config paths. */
export const SMTP_USERNAME_SETTING = "EmailSettings.SMTPUsername";
export const SMTP_PASSWORD_SETTING = "EmailSettings.SMTPPassword";
