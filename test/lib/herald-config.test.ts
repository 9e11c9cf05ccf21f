// The deployment configuration: every context key read and checked before anything is
// created, with messages that name the key, the rule and the value given.
import { App } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { CONTEXT_KEYS, HeraldConfigError, readHeraldContext } from "../../lib/herald-config.ts";
import { cdkJson } from "../helpers/cdk.ts";

const REQUIRED = { domain: "example.com", adminEmails: "ops@example.com" };

function read(context: Record<string, unknown>, region?: string) {
  return readHeraldContext(new App({ context: { ...cdkJson.context, ...context } }).node, region);
}

function problems(context: Record<string, unknown>, region?: string): string {
  try {
    read(context, region);
  } catch (error) {
    expect(error).toBeInstanceOf(HeraldConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a HeraldConfigError");
}

describe("readHeraldContext", () => {
  it("fills the design's defaults around the two required keys", () => {
    expect(read(REQUIRED, "eu-west-1")).toEqual({
      domain: "example.com",
      senderAddress: "notifications@example.com",
      adminEmails: ["ops@example.com"],
      securityFeedUrl: "https://securityupdatecheck.mattermost.com",
      transport: "ses-smtp",
      smtp: { port: 465, connectionSecurity: "TLS" },
      parameterPrefix: "/herald",
      mailFromSubdomain: "bounce",
      dmarcPolicy: "none",
      securityCheckSchedule: "rate(1 day)",
      maxSendRate: 14,
      credentialsSerial: "1",
      credentialsGracePeriodSeconds: 86_400,
      deletionProtection: true,
      logLevel: "INFO",
      bounceRateThreshold: 0.04,
      complaintRateThreshold: 0.0005,
      restrictPutEvents: false,
      existingDmarc: false,
    });
  });

  it("alarms before SES's review points: a complaint threshold at 0.1% or a bounce threshold at 5% is refused", () => {
    expect(read({ ...REQUIRED, complaintRateThreshold: "0.0002" }, "eu-west-1").complaintRateThreshold).toBe(
      0.0002,
    );
    const message = problems({ ...REQUIRED, complaintRateThreshold: "0.001", bounceRateThreshold: 0.05 });
    expect(message).toContain(
      `complaintRateThreshold "0.001" is not a rate above 0 and below SES's review point 0.001 (0.1%), e.g. 0.0005`,
    );
    expect(message).toContain(
      `bounceRateThreshold "0.05" is not a rate above 0 and below SES's review point`,
    );
  });

  it("reads every key, from strings as -c gives them and from cdk.json's numbers and booleans", () => {
    const config = read({
      domain: "Mail.Example.com.",
      hostedZoneId: "Z0123456789ABCDEFGHIJ",
      hostedZoneName: "example.com",
      senderAddress: "alerts@mail.example.com",
      senderName: "Acme Chat",
      adminEmails: " ops@example.com , oncall@example.org ",
      siteUrl: "https://chat.example.com",
      siteName: "Acme",
      productVersion: "9.11.2",
      securityFeedUrl: "https://feed.example.com",
      transport: "smtp",
      smtpServer: "smtp.example.net",
      smtpPort: 2525,
      connectionSecurity: "TLS",
      parameterPrefix: "acme/mail/",
      mailFromSubdomain: "mx",
      dmarcPolicy: "reject",
      dmarcReportEmail: "dmarc@example.com",
      securityCheckSchedule: "rate(4 hours)",
      maxSendRate: "50",
      credentialsSerial: 3,
      credentialsGracePeriod: "12 hours",
      credentialsRotationInterval: "90 days",
      previousParameterPrefix: "herald",
      deletionProtection: false,
      logLevel: "DEBUG",
    });
    expect(config).toMatchObject({
      domain: "mail.example.com",
      hostedZone: { hostedZoneId: "Z0123456789ABCDEFGHIJ", zoneName: "example.com" },
      senderAddress: "alerts@mail.example.com",
      senderName: "Acme Chat",
      adminEmails: ["ops@example.com", "oncall@example.org"],
      siteUrl: "https://chat.example.com",
      siteName: "Acme",
      productVersion: "9.11.2",
      securityFeedUrl: "https://feed.example.com",
      transport: "smtp",
      smtp: { server: "smtp.example.net", port: 2525, connectionSecurity: "TLS" },
      parameterPrefix: "/acme/mail",
      mailFromSubdomain: "mx",
      dmarcPolicy: "reject",
      dmarcReportEmail: "dmarc@example.com",
      securityCheckSchedule: "rate(4 hours)",
      maxSendRate: 50,
      credentialsSerial: "3",
      credentialsGracePeriodSeconds: 43_200,
      credentialsRotationIntervalSeconds: 90 * 86_400,
      previousParameterPrefix: "/herald",
      deletionProtection: false,
      logLevel: "DEBUG",
    });
  });

  it.each([
    [
      { ...REQUIRED, credentialsGracePeriod: "a while" },
      'credentialsGracePeriod "a while" is not a duration',
    ],
    [
      { ...REQUIRED, credentialsRotationInterval: "12 hours" },
      'credentialsRotationInterval "12 hours" is not a duration of at least an hour and longer than credentialsGracePeriod (1 day)',
    ],
    [
      { ...REQUIRED, credentialsGracePeriod: 0, credentialsRotationInterval: "30 minutes" },
      'credentialsRotationInterval "30 minutes" is not a duration of at least an hour',
    ],
    [{ adminEmails: "ops@example.com" }, "domain is required: add -c domain=example.com"],
    [{ domain: "example.com" }, "adminEmails is required"],
    [{ ...REQUIRED, domain: "exa mple" }, 'domain "exa mple" is not a domain name'],
    [
      { ...REQUIRED, senderAddress: "me@example.org" },
      'senderAddress "me@example.org" is not in the domain example.com',
    ],
    [
      { ...REQUIRED, senderAddress: "not-an-address" },
      'senderAddress "not-an-address" is not an email address',
    ],
    [
      { ...REQUIRED, adminEmails: "ops@example.com,oncall@" },
      'adminEmails "oncall@" is not an email address',
    ],
    [{ ...REQUIRED, adminEmails: " , " }, 'adminEmails "," holds no address'],
    [{ ...REQUIRED, transport: "sendmail" }, 'transport "sendmail" is not one of ses-smtp, smtp, ses-api'],
    [
      { ...REQUIRED, transport: "smtp", smtpServer: "smtp.example.net", smtpPort: "70000" },
      'smtpPort "70000" is out of range',
    ],
    [
      { ...REQUIRED, transport: "smtp", smtpServer: "smtp.example.net", smtpPort: "25.5" },
      'smtpPort "25.5" is out of range',
    ],
    [{ ...REQUIRED, transport: "smtp" }, "smtpServer is required with transport smtp"],
    [
      { ...REQUIRED, transport: "smtp", smtpServer: "h", connectionSecurity: "SSL" },
      'connectionSecurity "SSL" is not TLS, STARTTLS',
    ],
    [{ ...REQUIRED, smtpPort: "2525" }, 'smtpPort "2525" is not an SES SMTP port'],
    [
      { ...REQUIRED, smtpPort: "587", connectionSecurity: "TLS" },
      'connectionSecurity "TLS" does not match SES SMTP port 587',
    ],
    [{ ...REQUIRED, smtpServer: "smtp.example.net" }, "is not used by transport ses-smtp"],
    [{ ...REQUIRED, transport: "ses-api", smtpPort: "465" }, "is not used by transport ses-api"],
    [{ ...REQUIRED, hostedZoneId: "Z0123456789ABCDEFGHIJ" }, "hostedZoneName is required with hostedZoneId"],
    [
      { ...REQUIRED, hostedZoneId: "zone-1", hostedZoneName: "example.com" },
      'hostedZoneId "zone-1" is not a Route 53 hosted zone id',
    ],
    [
      { ...REQUIRED, hostedZoneId: "Z0123456789ABCDEFGHIJ", hostedZoneName: "example.org" },
      'hostedZoneName "example.org" does not contain the domain example.com',
    ],
    [{ ...REQUIRED, parameterPrefix: "/aws/mail" }, 'parameterPrefix "/aws/mail" is reserved by AWS'],
    [{ ...REQUIRED, parameterPrefix: "/a b" }, 'parameterPrefix "/a b" is not an SSM path'],
    [{ ...REQUIRED, mailFromSubdomain: "-bad" }, 'mailFromSubdomain "-bad" is not a DNS label'],
    [{ ...REQUIRED, dmarcPolicy: "strict" }, 'dmarcPolicy "strict" is not one of none, quarantine, reject'],
    [{ ...REQUIRED, dmarcReportEmail: "reports" }, 'dmarcReportEmail "reports" is not an email address'],
    [
      { ...REQUIRED, securityCheckSchedule: "daily" },
      'securityCheckSchedule "daily" is not a schedule expression',
    ],
    [{ ...REQUIRED, maxSendRate: "0" }, 'maxSendRate "0" is not a positive number'],
    [{ ...REQUIRED, productVersion: "9.11" }, 'productVersion "9.11" is not a semantic version'],
    [{ ...REQUIRED, siteUrl: "chat.example.com" }, 'siteUrl "chat.example.com" is not an http(s) URL'],
    [{ ...REQUIRED, securityFeedUrl: "ftp://feed" }, 'securityFeedUrl "ftp://feed" is not an http(s) URL'],
    [{ ...REQUIRED, deletionProtection: "yes" }, 'deletionProtection "yes" is not true or false'],
    [{ ...REQUIRED, logLevel: "LOUD" }, 'logLevel "LOUD" is not one of DEBUG, INFO'],
    [{ ...REQUIRED, senderName: "A\nBcc: x@example.org" }, "senderName"],
    [{ ...REQUIRED, domain: { name: "example.com" } }, 'domain {"name":"example.com"} must be a string'],
  ])("refuses %j: %s", (context, message) => {
    expect(problems(context)).toContain(message);
  });

  it("reads an existing identity, configuration set and DMARC record to keep", () => {
    const config = read({
      ...REQUIRED,
      domain: "mail.example.com",
      senderAddress: "n@mail.example.com",
      existingIdentity: "Example.com",
      existingConfigurationSet: "mail",
      existingDmarc: "true",
    });
    expect(config).toMatchObject({
      existingIdentity: "example.com",
      existingConfigurationSet: "mail",
      existingDmarc: true,
    });
    expect(read(REQUIRED)).toMatchObject({ existingDmarc: false });
    expect(read(REQUIRED)).not.toHaveProperty("existingIdentity");
  });

  it.each([
    [
      { existingIdentity: "example.org" },
      'existingIdentity "example.org" is not the domain example.com or a parent of it',
    ],
    [
      { existingConfigurationSet: "my set" },
      'existingConfigurationSet "my set" is not a configuration set name',
    ],
    [{ existingDmarc: "yes" }, 'existingDmarc "yes" is not true or false'],
    [
      { existingDmarc: "true", dmarcPolicy: "reject" },
      'dmarcPolicy "reject" is not used with existingDmarc true (the existing _dmarc record is kept)',
    ],
  ])("refuses existing resources given as %j", (context, message) => {
    expect(problems({ ...REQUIRED, ...context })).toContain(message);
  });

  it("reads smtpServerTimeout, and refuses one whose send cannot fit Lambda's 900 s", () => {
    expect(read({ ...REQUIRED, smtpServerTimeout: "100" }).smtp).toMatchObject({ timeoutSeconds: 100 });
    expect(read(REQUIRED).smtp).not.toHaveProperty("timeoutSeconds");
    expect(problems({ ...REQUIRED, smtpServerTimeout: "300" })).toContain(
      `smtpServerTimeout "300" needs a send function timeout of 1220 s (4 x 300 s for one send, 2 s to finish, 18 s to start sends), more than Lambda's 900 s: use at most 220`,
    );
    expect(problems({ ...REQUIRED, smtpServerTimeout: "0" })).toContain(
      'smtpServerTimeout "0" is not a whole number of seconds from 1',
    );
    expect(problems({ ...REQUIRED, transport: "ses-api", smtpServerTimeout: "30" })).toContain(
      "is not used by transport ses-api",
    );
  });

  it("reads feedbackEvents (default: every event Herald uses), refusing an unknown one", () => {
    expect(read(REQUIRED)).not.toHaveProperty("feedbackEvents");
    expect(read({ ...REQUIRED, feedbackEvents: "bounce, complaint,reject" }).feedbackEvents).toEqual([
      "bounce",
      "complaint",
      "reject",
    ]);
    expect(problems({ ...REQUIRED, feedbackEvents: "bounce,open" })).toContain(
      'feedbackEvents "open" is not one of send, renderingFailure, bounce, complaint, reject, deliveryDelay, delivery',
    );
    expect(problems({ ...REQUIRED, feedbackEvents: " , " })).toContain('feedbackEvents "," holds no event');
  });

  it("reads an existing alarm topic's ARN, refusing anything else", () => {
    const arn = "arn:aws:sns:eu-west-1:111111111111:ops-alarms";
    expect(read({ ...REQUIRED, alarmTopicArn: arn }).alarmTopicArn).toBe(arn);
    expect(problems({ ...REQUIRED, alarmTopicArn: "ops-alarms" })).toContain(
      'alarmTopicArn "ops-alarms" is not an SNS topic ARN',
    );
  });

  it("refuses, for transport ses-smtp, a region with no SES SMTP endpoint", () => {
    expect(problems(REQUIRED, "cn-north-1")).toContain('region "cn-north-1" has no SES SMTP endpoint');
    expect(read({ ...REQUIRED, transport: "ses-api" }, "cn-north-1").transport).toBe("ses-api");
    expect(read(REQUIRED).transport).toBe("ses-smtp"); // region unknown: CloudFormation checks it
  });

  it("reports every problem at once", () => {
    const message = problems({ domain: "bad domain", adminEmails: "x", transport: "carrier-pigeon" });
    expect(message).toMatch(/^Herald's deployment configuration has 3 problem\(s\)/);
    expect(message.split("\n  - ")).toHaveLength(4);
  });

  it("accepts PLAIN as clear text, as Mattermost does, and an SES STARTTLS port", () => {
    const plain = read({
      ...REQUIRED,
      transport: "smtp",
      smtpServer: "localhost",
      smtpPort: "25",
      connectionSecurity: "PLAIN",
    });
    expect(plain.smtp).toEqual({ server: "localhost", port: 25, connectionSecurity: "" });
    expect(read({ ...REQUIRED, smtpPort: "587" }).smtp).toEqual({
      port: 587,
      connectionSecurity: "STARTTLS",
    });
  });

  it("names each key of the design's deployment table, and cdk.json sets no required one", () => {
    expect(Object.keys(CONTEXT_KEYS)).toEqual(
      expect.arrayContaining([
        "domain",
        "hostedZoneId",
        "hostedZoneName",
        "senderAddress",
        "senderName",
        "adminEmails",
        "siteUrl",
        "siteName",
        "productVersion",
        "securityFeedUrl",
        "transport",
        "smtpServer",
        "smtpPort",
        "connectionSecurity",
        "parameterPrefix",
        "mailFromSubdomain",
        "dmarcPolicy",
        "dmarcReportEmail",
        "securityCheckSchedule",
        "maxSendRate",
        "credentialsSerial",
      ]),
    );
    expect(cdkJson.context).not.toHaveProperty("domain");
    expect(cdkJson.context).not.toHaveProperty("adminEmails");
    expect(cdkJson.app).toBe("node bin/app.ts");
  });
});
