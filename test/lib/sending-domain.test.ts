// SendingDomain alone in a fresh stack: the identity (Easy DKIM RSA 2048, custom MAIL FROM), its
// DNS records in a zone or as outputs, the configuration set and the feedback path.
import { Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { EventBus } from "aws-cdk-lib/aws-events";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { HostedZone } from "aws-cdk-lib/aws-route53";
import { ConfigurationSet, EmailIdentity, EmailSendingEvent } from "aws-cdk-lib/aws-ses";
import { afterAll, describe, expect, it } from "vitest";
import { SendingDomain } from "../../lib/sending-domain.ts";
import { EVENT_BUS_NAME_ENV } from "../../src/constants.ts";
import {
  allowedActions,
  flat,
  freshStack,
  logicalId,
  nagFindings,
  removeOutdirs,
  resources,
  statementsOf,
  warningsAndErrors,
} from "../helpers/cdk.ts";

afterAll(removeOutdirs);

function withZone() {
  const stack = freshStack({ region: "eu-west-1" });
  const zone = HostedZone.fromHostedZoneAttributes(stack, "Zone", {
    hostedZoneId: "Z0123456789ABCDEFGHIJ",
    zoneName: "example.com",
  });
  const bus = new EventBus(stack, "Bus");
  const domain = new SendingDomain(stack, "Domain", {
    domain: "mail.example.com",
    hostedZone: zone,
    dmarcPolicy: "quarantine",
    dmarcReportEmail: "dmarc@example.com",
    feedbackEventBus: bus,
  });
  return { stack, domain, bus, template: Template.fromStack(stack) };
}

function manual() {
  const stack = freshStack();
  const domain = new SendingDomain(stack, "Domain", { domain: "example.com" });
  return { stack, domain, template: Template.fromStack(stack) };
}

describe("SendingDomain", () => {
  const zoned = withZone();
  const plain = manual();

  it("verifies the domain with Easy DKIM (RSA 2048) and a custom MAIL FROM domain", () => {
    zoned.template.hasResourceProperties("AWS::SES::EmailIdentity", {
      EmailIdentity: "mail.example.com",
      DkimAttributes: { SigningEnabled: true },
      DkimSigningAttributes: { NextSigningKeyLength: "RSA_2048_BIT" },
      MailFromAttributes: {
        MailFromDomain: "bounce.mail.example.com",
        BehaviorOnMxFailure: "USE_DEFAULT_VALUE",
      },
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: logicalId(zoned.domain.configurationSet) } },
    });
  });

  it("creates the three DKIM CNAMEs, the MAIL FROM MX and SPF and the DMARC record in the zone", () => {
    const records = Object.values(zoned.template.findResources("AWS::Route53::RecordSet")).map((r) => ({
      name: flat(r.Properties.Name),
      type: r.Properties.Type,
      value: flat(r.Properties.ResourceRecords[0]),
      zone: r.Properties.HostedZoneId,
    }));
    const identity = logicalId(zoned.domain.identity);
    expect(records).toEqual([
      ...[1, 2, 3].map((n) => ({
        name: `\${${identity}.DkimDNSTokenName${n}}`,
        type: "CNAME",
        value: `\${${identity}.DkimDNSTokenValue${n}}`,
        zone: "Z0123456789ABCDEFGHIJ",
      })),
      {
        name: "bounce.mail.example.com",
        type: "MX",
        value: "10 feedback-smtp.eu-west-1.amazonses.com",
        zone: "Z0123456789ABCDEFGHIJ",
      },
      {
        name: "bounce.mail.example.com",
        type: "TXT",
        value: '"v=spf1 include:amazonses.com ~all"',
        zone: "Z0123456789ABCDEFGHIJ",
      },
      {
        name: "_dmarc.mail.example.com",
        type: "TXT",
        value: '"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"',
        zone: "Z0123456789ABCDEFGHIJ",
      },
    ]);
    expect(Object.keys(zoned.template.toJSON().Outputs ?? {})).toEqual([]);
  });

  it("without a zone, outputs every record ready to paste, and creates none", () => {
    plain.template.resourceCountIs("AWS::Route53::RecordSet", 0);
    const outputs = plain.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const identity = logicalId(plain.domain.identity);
    expect(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, flat(v.Value)]))).toEqual({
      DomainDkimRecord1: `\${${identity}.DkimDNSTokenName1} CNAME \${${identity}.DkimDNSTokenValue1}`,
      DomainDkimRecord2: `\${${identity}.DkimDNSTokenName2} CNAME \${${identity}.DkimDNSTokenValue2}`,
      DomainDkimRecord3: `\${${identity}.DkimDNSTokenName3} CNAME \${${identity}.DkimDNSTokenValue3}`,
      DomainMailFromMxRecord: "bounce.example.com MX 10 feedback-smtp.${AWS::Region}.amazonses.com",
      DomainMailFromSpfRecord: 'bounce.example.com TXT "v=spf1 include:amazonses.com ~all"',
      DomainDmarcRecord: '_dmarc.example.com TXT "v=DMARC1; p=none"',
    });
  });

  it("has a configuration set with reputation metrics, TLS required and bounces and complaints suppressed", () => {
    zoned.template.hasResourceProperties("AWS::SES::ConfigurationSet", {
      ReputationOptions: { ReputationMetricsEnabled: true },
      DeliveryOptions: { TlsPolicy: "REQUIRE" },
      SuppressionOptions: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
      SendingOptions: { SendingEnabled: true },
    });
  });

  it("publishes send, rendering failure, bounce, complaint, reject, delay and delivery events to the default bus", () => {
    zoned.template.hasResourceProperties("AWS::SES::ConfigurationSetEventDestination", {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: [
          "send",
          "renderingFailure",
          "bounce",
          "complaint",
          "reject",
          "deliveryDelay",
          "delivery",
        ],
        EventBridgeDestination: { EventBusArn: Match.anyValue() },
      },
    });
    const destination = Object.values(
      zoned.template.findResources("AWS::SES::ConfigurationSetEventDestination"),
    )[0]!;
    expect(flat(destination.Properties.EventDestination.EventBridgeDestination.EventBusArn)).toBe(
      "arn:aws:events:eu-west-1:${AWS::AccountId}:event-bus/default",
    );
  });

  it("routes only the feedback events it is given (delivery events cost an invocation and a PutEvents each)", () => {
    const stack = freshStack();
    new SendingDomain(stack, "Domain", {
      domain: "example.com",
      feedbackEvents: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    Template.fromStack(stack).hasResourceProperties("AWS::SES::ConfigurationSetEventDestination", {
      EventDestination: Match.objectLike({ MatchingEventTypes: ["bounce", "complaint"] }),
    });
    expect(() => new SendingDomain(freshStack(), "D", { domain: "example.com", feedbackEvents: [] })).toThrow(
      "SendingDomain: feedbackEvents [] holds no event",
    );
  });

  it("routes this configuration set's SES events to the feedback function, with a dead-letter queue", () => {
    const rule = Object.values(zoned.template.findResources("AWS::Events::Rule"))[0]!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ["aws.ses"],
      detail: {
        mail: { tags: { "ses:configuration-set": [{ Ref: logicalId(zoned.domain.configurationSet) }] } },
      },
    });
    expect(rule.Properties.EventBusName).toBeUndefined(); // the default bus
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { "Fn::GetAtt": [logicalId(zoned.domain.feedback.function), "Arn"] },
        DeadLetterConfig: { Arn: { "Fn::GetAtt": [logicalId(zoned.domain.feedbackDeadLetterQueue), "Arn"] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
      }),
    ]);
    zoned.template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
    });
  });

  it("lets the feedback function publish on the given bus, and nothing more", () => {
    const fn = zoned.template.toJSON().Resources[logicalId(zoned.domain.feedback.function)].Properties;
    expect(fn).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      DeadLetterConfig: {
        TargetArn: { "Fn::GetAtt": [logicalId(zoned.domain.feedbackDeadLetterQueue), "Arn"] },
      },
    });
    expect(fn.Environment.Variables).toMatchObject({
      [EVENT_BUS_NAME_ENV]: { Ref: logicalId(zoned.bus) },
      POWERTOOLS_SERVICE_NAME: "herald-feedback",
    });
    expect(allowedActions(zoned.template, zoned.domain.feedback.role)).toEqual([
      "events:PutEvents",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sqs:SendMessage",
    ]);
    const put = statementsOf(zoned.template, zoned.domain.feedback.role).find(
      (s) => s.Action === "events:PutEvents",
    )!;
    expect(put.Resource).toEqual({ "Fn::GetAtt": [logicalId(zoned.bus), "Arn"] });
  });

  it("without a bus, publishes feedback on the default bus", () => {
    const fn = plain.template.toJSON().Resources[logicalId(plain.domain.feedback.function)].Properties;
    expect(fn.Environment.Variables).not.toHaveProperty(EVENT_BUS_NAME_ENV);
    const put = statementsOf(plain.template, plain.domain.feedback.role).find(
      (s) => s.Action === "events:PutEvents",
    )!;
    expect(resources(put)).toEqual([
      "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default",
    ]);
  });

  it("grants sending through the identity and the configuration set", () => {
    const stack = freshStack();
    const domain = new SendingDomain(stack, "D", { domain: "example.com" });
    const sender = new Role(stack, "Sender", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
    const grant = domain.grantSend(sender);
    expect(grant.success).toBe(true);
    expect(grant.principalStatements.map((st) => st.toJSON().Action)).toEqual([
      ["ses:SendEmail", "ses:SendRawEmail"],
      ["ses:SendEmail", "ses:SendRawEmail"],
    ]);
    const [statement] = statementsOf(Template.fromStack(stack), sender).filter((st) => !st.Condition);
    expect(statement!.Action).toEqual(["ses:SendEmail", "ses:SendRawEmail"]);
    expect(resources(statement!).sort()).toEqual([
      `arn:\${AWS::Partition}:ses:\${AWS::Region}:\${AWS::AccountId}:configuration-set/\${${logicalId(domain.configurationSet)}}`,
      `arn:\${AWS::Partition}:ses:\${AWS::Region}:\${AWS::AccountId}:identity/\${${logicalId(domain.identity)}}`,
    ]);
  });

  it("lets the grantee send to verified recipients in the SES sandbox, only from the domain", () => {
    // The sandbox authorizes each recipient's identity too; ses-api sends would get AccessDenied.
    const stack = freshStack();
    const domain = new SendingDomain(stack, "D", { domain: "example.com" });
    const sender = new Role(stack, "Sender", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
    domain.grantSend(sender);
    const statements = statementsOf(Template.fromStack(stack), sender);
    const sandbox = statements.find((st) => resources(st).some((r) => r.endsWith(":identity/*")));
    expect(sandbox).toMatchObject({
      Action: ["ses:SendEmail", "ses:SendRawEmail"],
      Condition: { StringLike: { "ses:FromAddress": "*@example.com" } },
    });
    expect(nagFindings(stack)).toEqual([]);
  });

  it("passes cdk-nag and raises no CDK warning, in both modes", () => {
    expect(nagFindings(zoned.stack)).toEqual([]);
    expect(nagFindings(plain.stack)).toEqual([]);
    expect(warningsAndErrors(zoned.stack)).toEqual([]);
  });

  it.each([
    [{ domain: "localhost" }, 'SendingDomain: domain "localhost" is not a domain name'],
    [
      { domain: "example.com", mailFromSubdomain: "a.b" },
      'SendingDomain: mailFromSubdomain "a.b" is not a DNS label',
    ],
    [
      { domain: "example.com", dmarcPolicy: "strict" as never },
      'SendingDomain: dmarcPolicy "strict" is not one of',
    ],
    [
      { domain: "example.com", dmarcReportEmail: "x" },
      'SendingDomain: dmarcReportEmail "x" is not an email address',
    ],
  ])("refuses %j", (props, message) => {
    expect(() => new SendingDomain(new Stack(), "D", props)).toThrow(message);
  });

  describe("with existing SES resources and DMARC record (imported, as aws-cdk-lib's fromXxx do)", () => {
    const stack = freshStack({ region: "eu-west-1" });
    const zone = HostedZone.fromHostedZoneAttributes(stack, "Zone", {
      hostedZoneId: "Z0123456789ABCDEFGHIJ",
      zoneName: "example.com",
    });
    const identity = EmailIdentity.fromEmailIdentityName(stack, "Identity", "example.com");
    const configurationSet = ConfigurationSet.fromConfigurationSetName(stack, "Set", "mail");
    const domain = new SendingDomain(stack, "Domain", {
      domain: "mail.example.com",
      hostedZone: zone,
      identity,
      configurationSet,
      existingDmarc: true,
    });
    const sender = new Role(stack, "Sender", { assumedBy: new ServicePrincipal("lambda.amazonaws.com") });
    const grant = domain.grantSend(sender);
    const template = Template.fromStack(stack);

    it("creates no identity, no configuration set and no DNS record (the existing ones are kept)", () => {
      template.resourceCountIs("AWS::SES::EmailIdentity", 0);
      template.resourceCountIs("AWS::SES::ConfigurationSet", 0);
      template.resourceCountIs("AWS::Route53::RecordSet", 0);
      expect(domain.dnsRecords).toEqual([]);
      expect(domain.emailIdentityArn).toBe(identity.emailIdentityArn);
      expect(domain.configurationSetName).toBe("mail");
    });

    it("adds its feedback event destination to the existing configuration set, and routes its events", () => {
      template.hasResourceProperties("AWS::SES::ConfigurationSetEventDestination", {
        ConfigurationSetName: "mail",
        EventDestination: Match.objectLike({ Enabled: true }),
      });
      const rule = Object.values(template.findResources("AWS::Events::Rule"))[0]!;
      expect(rule.Properties.EventPattern.detail).toEqual({
        mail: { tags: { "ses:configuration-set": ["mail"] } },
      });
    });

    it("grants sending through the existing identity and configuration set", () => {
      expect(grant.success).toBe(true);
      const [statement] = statementsOf(template, sender).filter((st) => !st.Condition);
      expect(resources(statement!).sort()).toEqual([
        `arn:aws:ses:eu-west-1:\${AWS::AccountId}:configuration-set/mail`,
        `arn:aws:ses:eu-west-1:\${AWS::AccountId}:identity/example.com`,
      ]);
      expect(nagFindings(stack)).toEqual([]);
    });

    it("still creates the DMARC record when only the identity is existing", () => {
      const s = freshStack();
      const z = HostedZone.fromHostedZoneAttributes(s, "Zone", {
        hostedZoneId: "Z1",
        zoneName: "example.com",
      });
      const d = new SendingDomain(s, "Domain", {
        domain: "example.com",
        hostedZone: z,
        identity: EmailIdentity.fromEmailIdentityName(s, "Identity", "example.com"),
      });
      expect(d.dnsRecords.map((r) => r.id)).toEqual(["DmarcRecord"]);
      Template.fromStack(s).resourceCountIs("AWS::SES::ConfigurationSet", 1);
    });
  });

  it.each([
    [
      { domain: "example.com", existingDmarc: true, dmarcPolicy: "reject" as const },
      'SendingDomain: dmarcPolicy "reject" is not used with existingDmarc (the existing record is kept)',
    ],
    [
      { domain: "example.com", existingDmarc: true, dmarcReportEmail: "d@example.com" },
      'SendingDomain: dmarcReportEmail "d@example.com" is not used with existingDmarc',
    ],
  ])("refuses DMARC settings for a record it keeps: %j", (props, message) => {
    expect(() => new SendingDomain(new Stack(), "D", props)).toThrow(message);
  });

  it("refuses an existing identity that cannot send for the domain", () => {
    const stack = new Stack();
    const identity = EmailIdentity.fromEmailIdentityName(stack, "I", "example.org");
    expect(() => new SendingDomain(stack, "D", { domain: "example.com", identity })).toThrow(
      'SendingDomain: identity "example.org" is not the domain example.com or a parent of it',
    );
  });

  it("refuses a zone that does not contain the domain", () => {
    const stack = new Stack();
    const zone = HostedZone.fromHostedZoneAttributes(stack, "Z", {
      hostedZoneId: "Z1",
      zoneName: "example.org",
    });
    expect(() => new SendingDomain(stack, "D", { domain: "example.com", hostedZone: zone })).toThrow(
      'SendingDomain: hostedZone "example.org" does not contain the domain example.com',
    );
  });
});
