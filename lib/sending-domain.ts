// The SES sending domain: the domain identity with Easy DKIM (RSA 2048) and a custom MAIL FROM
// domain, its DNS records (DKIM CNAMEs, MAIL FROM MX and SPF, DMARC) in a Route 53 zone or as
// outputs, and a configuration set (reputation metrics, TLS required, bounces and complaints
// suppressed) whose bounce, complaint, reject, delay and delivery events reach the feedback
// Lambda, which publishes them as NotificationFeedback events. An identity, configuration set or
// DMARC record that already exists is used as it is (Route 53 and SES refuse to create them twice).
import { Duration, Stack, Token, Validations } from "aws-cdk-lib";
import { EventBus, Rule, type IEventBus } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { Grant, type IGrantable } from "aws-cdk-lib/aws-iam";
import type { IHostedZone } from "aws-cdk-lib/aws-route53";
import {
  ConfigurationSet,
  ConfigurationSetEventDestination,
  ConfigurationSetTlsPolicy,
  DkimIdentity,
  EasyDkimSigningKeyLength,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  type IConfigurationSet,
  type IEmailIdentity,
  MailFromBehaviorOnMxFailure,
  SuppressionReasons,
} from "aws-cdk-lib/aws-ses";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { EVENT_BUS_NAME_ENV, SERVICE_NAMES } from "../src/constants.ts";
import { createRecords, outputRecords, type DnsRecord } from "./private/dns-records.ts";
import { acknowledgeWildcard } from "./private/nag.ts";
import { HeraldFunction, type HeraldFunctionOptions } from "./private/herald-function.ts";
import { check, isDnsLabel, isDomainName, isEmailAddress, isWithinDomain } from "./private/validate.ts";

export const DMARC_POLICIES = ["none", "quarantine", "reject"] as const;

/**
 * The SES events Herald uses: send and rendering failure feed the status records only; bounce,
 * complaint, reject, delay and delivery are counted and published as NotificationFeedback.
 * Each routed event costs a feedback invocation (and, but for send and rendering failure, a
 * PutEvents): delivery events, one per delivered email, are most of them.
 */
export const FEEDBACK_EVENTS = [
  EmailSendingEvent.SEND,
  EmailSendingEvent.RENDERING_FAILURE,
  EmailSendingEvent.BOUNCE,
  EmailSendingEvent.COMPLAINT,
  EmailSendingEvent.REJECT,
  EmailSendingEvent.DELIVERY_DELAY,
  EmailSendingEvent.DELIVERY,
] as const;
export type DmarcPolicy = (typeof DMARC_POLICIES)[number];

/** What sending through SES needs to know about a domain; SendingDomain implements it. */
export interface ISendingIdentity {
  readonly domain: string;
  /** The SES identity's name: the domain, or a parent of it when an existing identity is used. */
  readonly emailIdentityName: string;
  readonly emailIdentityArn: string;
  readonly configurationSetName: string;
  readonly configurationSetArn: string;
  /**
   * ses:SendEmail and ses:SendRawEmail on the identity and the configuration set (and, for the
   * SES sandbox, on verified recipient identities, from the domain's addresses only).
   */
  grantSend(grantee: IGrantable): Grant;
}

export interface SendingDomainProps extends HeraldFunctionOptions {
  /** The sending domain (the SES identity), e.g. `example.com`. */
  readonly domain: string;
  /**
   * The public Route 53 zone the records go into; the domain must be the zone's name or in it.
   * @default - no zone: every record is a stack output, to create at any DNS provider
   */
  readonly hostedZone?: IHostedZone;
  /**
   * The custom MAIL FROM domain is `<mailFromSubdomain>.<domain>` (bounces go there; SPF aligns).
   * @default "bounce"
   */
  readonly mailFromSubdomain?: string;
  /**
   * The `_dmarc` record's policy (`p=`).
   * @default "none"
   */
  readonly dmarcPolicy?: DmarcPolicy;
  /**
   * Where aggregate DMARC reports go (`rua=mailto:`).
   * @default - no reports
   */
  readonly dmarcReportEmail?: string;
  /**
   * An SES identity that already exists in the region, e.g.
   * `EmailIdentity.fromEmailIdentityName(this, "Identity", "example.com")`: the domain or a parent
   * domain of it. Herald creates no identity and no DKIM or MAIL FROM record (the identity's
   * owner keeps them).
   * @default - a new domain identity with Easy DKIM (RSA 2048) and a custom MAIL FROM domain
   */
  readonly identity?: IEmailIdentity;
  /**
   * A configuration set that already exists, e.g.
   * `ConfigurationSet.fromConfigurationSetName(this, "Set", "mail")`: Herald adds its feedback
   * event destination to it; every send names it.
   * @default - a new configuration set (reputation metrics, TLS required, bounces and complaints suppressed)
   */
  readonly configurationSet?: IConfigurationSet;
  /**
   * `_dmarc.<domain>` already exists and is kept: Herald neither creates nor outputs a DMARC
   * record (`dmarcPolicy` and `dmarcReportEmail` are then refused).
   * @default false
   */
  readonly existingDmarc?: boolean;
  /**
   * The SES events routed to the feedback function. Fewer events cost less (a delivery event is
   * an invocation and a PutEvents per delivered email) but leave the status records and
   * NotificationFeedback without them.
   * @default FEEDBACK_EVENTS - every event Herald uses
   */
  readonly feedbackEvents?: readonly EmailSendingEvent[];
  /**
   * The bus NotificationFeedback events are published on.
   * @default - the account's default event bus
   */
  readonly feedbackEventBus?: IEventBus;
}

export class SendingDomain extends Construct implements ISendingIdentity {
  readonly domain: string;
  /** The custom MAIL FROM domain; undefined with an existing identity (its owner set it up). */
  readonly mailFromDomain?: string;
  readonly identity: IEmailIdentity;
  readonly configurationSet: IConfigurationSet;
  readonly emailIdentityName: string;
  readonly emailIdentityArn: string;
  readonly configurationSetName: string;
  readonly configurationSetArn: string;
  /** Every DNS record the domain needs (created in the zone, or output). */
  readonly dnsRecords: readonly DnsRecord[];
  /** The feedback Lambda (SES events -> logs, metrics, NotificationFeedback). */
  readonly feedback: HeraldFunction;
  /** Feedback events that could not be delivered or processed. */
  readonly feedbackDeadLetterQueue: Queue;
  /** The rule on the default bus that sends this configuration set's SES events to the feedback Lambda. */
  readonly feedbackRule: Rule;

  constructor(scope: Construct, id: string, props: SendingDomainProps) {
    super(scope, id);
    const name = "SendingDomain";
    const domain = props.domain.trim().toLowerCase().replace(/\.$/, "");
    check(name, "domain", props.domain, isDomainName(domain), "is not a domain name, e.g. example.com");
    const sub = props.mailFromSubdomain ?? "bounce";
    check(
      name,
      "mailFromSubdomain",
      sub,
      isDnsLabel(sub),
      'is not a DNS label (letters, digits, inner "-"), e.g. bounce',
    );
    const policy = props.dmarcPolicy ?? "none";
    check(
      name,
      "dmarcPolicy",
      policy,
      DMARC_POLICIES.includes(policy),
      `is not one of ${DMARC_POLICIES.join(", ")}`,
    );
    for (const key of ["dmarcPolicy", "dmarcReportEmail"] as const) {
      if (props.existingDmarc && props[key] !== undefined)
        check(name, key, props[key], false, "is not used with existingDmarc (the existing record is kept)");
    }
    const feedbackEvents = props.feedbackEvents ?? FEEDBACK_EVENTS;
    check(name, "feedbackEvents", feedbackEvents, feedbackEvents.length > 0, "holds no event");
    const identityName = props.identity?.emailIdentityName;
    if (identityName !== undefined && !Token.isUnresolved(identityName)) {
      check(
        name,
        "identity",
        identityName,
        isWithinDomain(domain, identityName.toLowerCase()),
        `is not the domain ${domain} or a parent of it`,
      );
    }
    if (props.dmarcReportEmail !== undefined) {
      check(
        name,
        "dmarcReportEmail",
        props.dmarcReportEmail,
        isEmailAddress(props.dmarcReportEmail),
        "is not an email address",
      );
    }
    if (props.hostedZone) {
      const zoneName = props.hostedZone.zoneName;
      check(
        name,
        "hostedZone",
        zoneName,
        isWithinDomain(domain, zoneName),
        `does not contain the domain ${domain}: use the domain's own zone or a parent zone`,
      );
    }
    this.domain = domain;
    const stack = Stack.of(this);

    this.configurationSet =
      props.configurationSet ??
      new ConfigurationSet(this, "ConfigurationSet", {
        reputationMetrics: true,
        tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
        suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        sendingEnabled: true,
      });
    this.configurationSetName = this.configurationSet.configurationSetName;
    this.configurationSetArn = stack.formatArn({
      service: "ses",
      resource: "configuration-set",
      resourceName: this.configurationSetName,
    });

    const records: DnsRecord[] = [];
    if (props.identity) {
      this.identity = props.identity;
    } else {
      this.mailFromDomain = `${sub}.${domain}`;
      const identity = new EmailIdentity(this, "Identity", {
        identity: Identity.domain(domain),
        configurationSet: this.configurationSet, // the default for every message from the domain
        dkimSigning: true,
        dkimIdentity: DkimIdentity.easyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT),
        mailFromDomain: this.mailFromDomain,
        mailFromBehaviorOnMxFailure: MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
      });
      this.identity = identity;
      records.push(...identityRecords(identity, this.mailFromDomain, stack.region));
    }
    this.emailIdentityArn = this.identity.emailIdentityArn;
    this.emailIdentityName = this.identity.emailIdentityName;

    if (!props.existingDmarc) {
      const dmarc = [
        `v=DMARC1; p=${policy}`,
        ...(props.dmarcReportEmail ? [`rua=mailto:${props.dmarcReportEmail}`] : []),
      ];
      records.push({
        id: "DmarcRecord",
        name: `_dmarc.${domain}`,
        type: "TXT",
        value: `"${dmarc.join("; ")}"`,
        purpose: "DMARC policy",
      });
    }
    this.dnsRecords = records;
    if (props.hostedZone) createRecords(this, props.hostedZone, this.dnsRecords);
    else outputRecords(this, id, this.dnsRecords);

    // Feedback: SES publishes to the default bus only; a rule picks this configuration set's events.
    this.feedbackDeadLetterQueue = new Queue(this, "FeedbackDeadLetterQueue", {
      encryption: QueueEncryption.SQS_MANAGED, // EventBridge can deliver to it without a key policy
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const bus = props.feedbackEventBus;
    const defaultBus = EventBus.fromEventBusArn(
      this,
      "DefaultBus",
      stack.formatArn({ service: "events", resource: "event-bus", resourceName: "default" }),
    );
    this.feedback = new HeraldFunction(this, "Feedback", {
      entry: "lambdas/feedback.ts",
      description:
        "Herald: SES bounces, complaints, rejects, delays and deliveries -> NotificationFeedback events",
      serviceName: SERVICE_NAMES.feedback,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      environment: bus ? { [EVENT_BUS_NAME_ENV]: bus.eventBusName } : {},
      deadLetterQueue: this.feedbackDeadLetterQueue,
      retryAttempts: 2,
    });
    (bus ?? defaultBus).grantPutEventsTo(this.feedback.role);

    const feedbackDestination = {
      destination: EventDestination.eventBus(defaultBus),
      events: [...feedbackEvents],
    };
    if (this.configurationSet instanceof ConfigurationSet)
      this.configurationSet.addEventDestination("Feedback", feedbackDestination);
    else {
      new ConfigurationSetEventDestination(this, "FeedbackDestination", {
        ...feedbackDestination,
        configurationSet: this.configurationSet,
      });
    }
    this.feedbackRule = new Rule(this, "FeedbackRule", {
      description: `Herald: SES events of configuration set ${this.configurationSetName} -> feedback Lambda`,
      eventPattern: {
        source: ["aws.ses"],
        detail: { mail: { tags: { "ses:configuration-set": [this.configurationSetName] } } },
      },
      targets: [
        new LambdaFunction(this.feedback.function, {
          deadLetterQueue: this.feedbackDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    Validations.of(this.feedbackDeadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This queue is itself the dead-letter queue of the feedback rule target and of the feedback function's asynchronous invocations.",
    });
  }

  grantSend(grantee: IGrantable): Grant {
    const actions = ["ses:SendEmail", "ses:SendRawEmail"];
    const throughDomain = Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [this.emailIdentityArn, this.configurationSetArn],
    });
    // In the SES sandbox, SES also authorizes the send on each recipient's verified identity;
    // only from an address of the domain.
    const anyIdentity = Stack.of(this).formatArn({ service: "ses", resource: "identity", resourceName: "*" });
    const toVerifiedRecipients = Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [anyIdentity],
      conditions: { StringLike: { "ses:FromAddress": `*@${this.domain}` } },
    });
    const principal = grantee.grantPrincipal;
    if (principal instanceof Construct) {
      acknowledgeWildcard(
        principal,
        anyIdentity,
        "In the SES sandbox, SES authorizes a send on every recipient's verified identity too; the " +
          `statement allows sending only from addresses of ${this.domain} (ses:FromAddress).`,
      );
    }
    return throughDomain.combine(toVerifiedRecipients);
  }
}

/** The DKIM CNAMEs and the MAIL FROM MX and SPF records of an identity Herald creates. */
function identityRecords(identity: EmailIdentity, mailFromDomain: string, region: string): DnsRecord[] {
  return [
    ...([1, 2, 3] as const).map((n) => ({
      id: `DkimRecord${n}`,
      name: identity[`dkimDnsTokenName${n}`],
      type: "CNAME" as const,
      value: identity[`dkimDnsTokenValue${n}`],
      purpose: `DKIM key ${n} of 3`,
    })),
    {
      id: "MailFromMxRecord",
      name: mailFromDomain,
      type: "MX",
      value: `10 feedback-smtp.${region}.amazonses.com`,
      purpose: "MAIL FROM domain: bounces reach SES",
    },
    {
      id: "MailFromSpfRecord",
      name: mailFromDomain,
      type: "TXT",
      value: '"v=spf1 include:amazonses.com ~all"',
      purpose: "SPF of the MAIL FROM domain",
    },
  ];
}
