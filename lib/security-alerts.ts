// The scheduled security-alert check (Mattermost's security update check): an EventBridge
// Scheduler schedule runs lambdas/security-alert-check.ts, which emails each applicable
// bulletin from the feed to every administrator once (records in the shared table).
import { Aws, Duration, Stack } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Schedule, ScheduleExpression } from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import { Construct } from "constructs";
import semver from "semver";
import {
  ADMIN_EMAILS_ENV,
  DEFAULT_SECURITY_FEED_TIMEOUT_SECONDS,
  DEFAULT_SECURITY_FEED_URL,
  DEFAULT_TRANSPORT,
  INSTALLATION_ID_ENV,
  PARAMETER_PREFIX_ENV,
  PRODUCT_VERSION_ENV,
  SECURITY_FEED_TIMEOUT_ENV,
  SECURITY_FEED_URL_ENV,
  SERVICE_NAMES,
  TABLE_NAME_ENV,
  type Transport,
  TRANSPORT_ENV,
  TRANSPORTS,
} from "../src/constants.ts";
import type { IEmailSettings } from "./email-settings-parameters.ts";
import { HeraldFunction, type HeraldFunctionOptions } from "./private/herald-function.ts";
import { wireSending } from "./private/sending.ts";
import { acknowledgeInvokeVersions } from "./private/nag.ts";
import { createHeraldTable, grantItemCalls } from "./private/table.ts";
import {
  check,
  checkAdminEmails,
  checkTransport,
  isHttpUrl,
  isScheduleExpression,
} from "./private/validate.ts";
import type { ISendingIdentity } from "./sending-domain.ts";

/** Daily, as Mattermost acts on the feed at most once per 24 hours. */
export const DEFAULT_SECURITY_CHECK_SCHEDULE = "rate(1 day)";

export interface SecurityAlertsProps extends HeraldFunctionOptions {
  /** The settings the check reads (EnableSecurityFixAlert, the sender, the transport's settings). */
  readonly settings: IEmailSettings;
  /** Who gets the bulletins (HERALD_ADMIN_EMAILS). */
  readonly adminEmails: readonly string[];
  /**
   * The version bulletins are matched against (HERALD_PRODUCT_VERSION), e.g. `9.11.2`.
   * @default - none: the schedule is created disabled until a version is given
   */
  readonly productVersion?: string;
  /**
   * The bulletin feed's base URL.
   * @default "https://securityupdatecheck.mattermost.com"
   */
  readonly securityFeedUrl?: string;
  /**
   * Time allowed for each feed request.
   * @default Duration.seconds(10)
   */
  readonly feedTimeout?: Duration;
  /**
   * Sent to the feed as `id`.
   * @default - a stable id the check generates and stores in the table
   */
  readonly installationId?: string;
  /**
   * When the check runs: an EventBridge Scheduler `rate(...)` or `cron(...)` expression.
   * @default "rate(1 day)"
   */
  readonly schedule?: string;
  /**
   * Where sent bulletins are recorded (shared with the notification pipeline).
   * @default - a new table (on-demand, TTL, point-in-time recovery)
   */
  readonly table?: ITable;
  /**
   * Deletion protection of the table this construct creates.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * How mail leaves (HERALD_TRANSPORT).
   * @default "ses-smtp"
   */
  readonly transport?: Transport;
  /**
   * The SES identity and configuration set, for `ses-api`.
   * @default - none (required for `ses-api`)
   */
  readonly sendingIdentity?: ISendingIdentity;
  /**
   * The send function's timeout (from SMTPServerTimeout): the check gets at least as long, so
   * one SMTP send to the administrators fits it as a notification's does.
   * @default - 60 s, or 3 x the feed timeout and 30 s when longer
   */
  readonly sendTimeout?: Duration;
}

export class SecurityAlerts extends Construct {
  readonly check: HeraldFunction;
  readonly schedule: Schedule;
  /** The role EventBridge Scheduler assumes to invoke the check. */
  readonly schedulerRole: Role;
  readonly table: ITable;

  constructor(scope: Construct, id: string, props: SecurityAlertsProps) {
    super(scope, id);
    const name = "SecurityAlerts";
    checkAdminEmails(name, props.adminEmails);
    if (props.productVersion !== undefined) {
      check(
        name,
        "productVersion",
        props.productVersion,
        semver.valid(props.productVersion) !== null,
        "is not a semantic version (MAJOR.MINOR.PATCH, e.g. 9.11.2)",
      );
    }
    const feedUrl = props.securityFeedUrl ?? DEFAULT_SECURITY_FEED_URL;
    check(name, "securityFeedUrl", feedUrl, isHttpUrl(feedUrl), "is not an http(s) URL");
    const feedTimeout = props.feedTimeout ?? Duration.seconds(DEFAULT_SECURITY_FEED_TIMEOUT_SECONDS);
    const expression = props.schedule ?? DEFAULT_SECURITY_CHECK_SCHEDULE;
    check(
      name,
      "schedule",
      expression,
      isScheduleExpression(expression),
      'is not a schedule expression: use "rate(1 day)", "rate(4 hours)" or "cron(0 8 * * ? *)"',
    );
    const transport = props.transport ?? DEFAULT_TRANSPORT;
    checkTransport(name, transport, props.sendingIdentity, TRANSPORTS);
    if (props.installationId !== undefined) {
      check(
        name,
        "installationId",
        props.installationId,
        /^[\x21-\x7e]{1,128}$/.test(props.installationId),
        "is not 1 to 128 printable characters without spaces",
      );
    }

    this.table = props.table ?? createHeraldTable(this, "Table", props.deletionProtection ?? true);
    // Each feed request is bounded; the run as a whole gets time for the feed and the sends.
    const timeout = Duration.seconds(
      Math.max(60, feedTimeout.toSeconds() * 3 + 30, props.sendTimeout?.toSeconds() ?? 0),
    );
    this.check = new HeraldFunction(this, "Check", {
      entry: "lambdas/security-alert-check.ts",
      description: "Herald: security bulletins from the feed, emailed once to every administrator",
      serviceName: SERVICE_NAMES.securityAlertCheck,
      timeout,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      environment: {
        [TRANSPORT_ENV]: transport,
        [PARAMETER_PREFIX_ENV]: props.settings.parameterPrefix,
        [TABLE_NAME_ENV]: this.table.tableName,
        [SECURITY_FEED_URL_ENV]: feedUrl,
        [SECURITY_FEED_TIMEOUT_ENV]: String(feedTimeout.toSeconds()),
        [ADMIN_EMAILS_ENV]: props.adminEmails.join(","),
        ...(props.productVersion ? { [PRODUCT_VERSION_ENV]: props.productVersion } : {}),
        ...(props.installationId ? { [INSTALLATION_ID_ENV]: props.installationId } : {}),
      },
    });
    const role = this.check.role;
    props.settings.grantRead(role);
    grantItemCalls(this.table, role);
    wireSending(this.check, transport, props.sendingIdentity);

    const schedulerRole = (this.schedulerRole = new Role(this, "SchedulerRole", {
      // Only schedules of this account (the confused-deputy conditions).
      assumedBy: new ServicePrincipal("scheduler.amazonaws.com", {
        conditions: {
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
          ArnLike: {
            "aws:SourceArn": Stack.of(this).formatArn({
              service: "scheduler",
              resource: "schedule",
              resourceName: "*",
            }),
          },
        },
      }),
      description: "Herald: EventBridge Scheduler runs the security-alert check",
    }));
    this.schedule = new Schedule(this, "Schedule", {
      schedule: ScheduleExpression.expression(expression),
      target: new LambdaInvoke(this.check.function, {
        role: schedulerRole,
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      }),
      // Without a product version the check cannot match bulletins: it waits, deployed but off.
      enabled: props.productVersion !== undefined,
      description: props.productVersion
        ? `Herald security-alert check for version ${props.productVersion}`
        : "Herald security-alert check (disabled until productVersion is set)",
    });

    acknowledgeInvokeVersions(schedulerRole, this.check.function, "EventBridge Scheduler");
  }
}
