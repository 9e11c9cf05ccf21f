import { GetAccountCommand, GetEmailIdentityCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { errorName } from "../errors.ts";
import type { Problem } from "../settings/problems.ts";

/** What SES says about the account (the answer to "am I still in the sandbox?"). */
export interface SesAccountStatus {
  region: string;
  /** true while the account may only send to verified addresses */
  sandbox: boolean;
  sendingEnabled: boolean;
  max24HourSend?: number;
  maxSendRate?: number;
  sentLast24Hours?: number;
  enforcementStatus?: string;
}

/** Whether the sender's domain can send, and its DKIM status. */
export interface SesIdentityStatus {
  name: string;
  found: boolean;
  verifiedForSending: boolean;
  dkimStatus?: string;
}

export interface SesChecks {
  account?: SesAccountStatus;
  identity?: SesIdentityStatus;
  problems: Problem[];
}

/**
 * SES account checks through the SES v2 API: sandbox or production, quota and rate, and
 * whether the sender's domain identity is verified with DKIM status SUCCESS. Never throws:
 * a failed call becomes a problem.
 */
export async function checkSesAccount(
  client: SESv2Client,
  region: string,
  senderDomain: string,
  /** Epoch ms by which both calls must be over (the invocation's deadline). @default none */
  deadline?: number,
): Promise<SesChecks> {
  const result: SesChecks = { problems: [] };
  // The SDK's retries can outlast a Lambda's remaining time: both calls share its deadline.
  const options =
    deadline === undefined ? {} : { abortSignal: AbortSignal.timeout(Math.max(deadline - Date.now(), 0)) };
  try {
    const account = await client.send(new GetAccountCommand({}), options);
    result.account = {
      region,
      sandbox: account.ProductionAccessEnabled !== true,
      sendingEnabled: account.SendingEnabled !== false,
      max24HourSend: account.SendQuota?.Max24HourSend,
      maxSendRate: account.SendQuota?.MaxSendRate,
      sentLast24Hours: account.SendQuota?.SentLast24Hours,
      enforcementStatus: account.EnforcementStatus,
    };
    if (result.account.sandbox) {
      result.problems.push({
        setting: "ses.account",
        severity: "warning",
        message: `the SES account in ${region} is in the sandbox: mail goes only to verified addresses, at most ${result.account.max24HourSend ?? "?"} per day`,
        fix: "request production access in the SES console (Account dashboard) for this region",
      });
    }
    if (!result.account.sendingEnabled) {
      result.problems.push({
        setting: "ses.account",
        severity: "error",
        message: `sending is paused for the SES account in ${region} (enforcement status ${account.EnforcementStatus ?? "unknown"})`,
        fix: "check the SES account dashboard and the AWS Health events, then resume sending",
      });
    }
  } catch (error) {
    result.problems.push(apiProblem("ses.account", `GetAccount in ${region}`, error, "ses:GetAccount"));
  }
  try {
    const identity = await client.send(new GetEmailIdentityCommand({ EmailIdentity: senderDomain }), options);
    result.identity = {
      name: senderDomain,
      found: true,
      verifiedForSending: identity.VerifiedForSendingStatus === true,
      dkimStatus: identity.DkimAttributes?.Status,
    };
  } catch (error) {
    if (errorName(error) !== "NotFoundException") {
      result.problems.push(
        apiProblem("ses.identity", `GetEmailIdentity ${senderDomain}`, error, "ses:GetEmailIdentity"),
      );
      return result;
    }
    result.identity = { name: senderDomain, found: false, verifiedForSending: false };
  }
  const identity = result.identity;
  if (!identity.verifiedForSending) {
    result.problems.push({
      setting: "EmailSettings.FeedbackEmail",
      severity: "error",
      message: identity.found
        ? `the SES identity ${senderDomain} is not verified for sending in ${region}`
        : `${senderDomain} is not an SES identity in ${region}`,
      fix: `create and verify the domain identity ${senderDomain} in ${region} (cdk deploy creates it with DKIM records)`,
    });
  }
  if (identity.found && identity.dkimStatus !== "SUCCESS") {
    result.problems.push({
      setting: "EmailSettings.FeedbackEmail",
      severity: "warning",
      message: `DKIM for ${senderDomain} is ${identity.dkimStatus ?? "not set up"}, not SUCCESS`,
      fix: "publish the three DKIM CNAME records of the identity in DNS and wait for SES to detect them",
    });
  }
  return result;
}

function apiProblem(setting: string, call: string, error: unknown, action: string): Problem {
  return {
    setting,
    severity: "warning",
    message: `could not check SES (${call}: ${errorName(error)})`,
    fix: `allow ${action} for the function's role, and check the region`,
  };
}
