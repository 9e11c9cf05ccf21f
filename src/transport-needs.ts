// What each transport needs, decided once for every function that sends (notifications,
// test-send, the security check) and for the stack that deploys them: the variables, the IAM
// actions on the SES identity, and which settings rules apply. lib/ wires functions from it;
// the handlers filter settings problems with it.
import { CONFIGURATION_SET_ENV, type Transport } from "./constants.ts";
import type { Problem } from "./settings/problems.ts";

// Settings that do not matter when the SES API sends (it needs no SMTP server or login).
const SMTP_ONLY =
  /^EmailSettings\.(SMTP|EnableSMTPAuth|ConnectionSecurity|SkipServerCertificateVerification)/;

export interface TransportNeeds {
  /** Variables every sending function needs besides HERALD_TRANSPORT and the prefix. */
  readonly environment: readonly string[];
  /** IAM actions on the SES identity and configuration set that the function's role needs. */
  readonly sesActions: readonly string[];
  /** Whether the rules of `setting` (e.g. `EmailSettings.SMTPServer`) apply to this transport. */
  appliesTo(setting: string): boolean;
  /**
   * Which FeedbackEmail the deployment can send as (HERALD_ALLOWED_SENDER): only the deployed
   * sender (the SES SMTP user's policy), any address of the domain (the roles' SES grants),
   * or whatever the operator's server accepts.
   */
  readonly allowedSender: "sender address" | "domain" | "any";
}

const SMTP: TransportNeeds = { environment: [], sesActions: [], appliesTo: () => true, allowedSender: "any" };
const NEEDS: Record<Transport, TransportNeeds> = {
  // The X-SES-CONFIGURATION-SET header: an existing identity's default set is not Herald's.
  "ses-smtp": { ...SMTP, environment: [CONFIGURATION_SET_ENV], allowedSender: "sender address" },
  smtp: SMTP,
  "ses-api": {
    environment: [CONFIGURATION_SET_ENV],
    sesActions: ["ses:SendEmail", "ses:SendRawEmail"],
    appliesTo: (setting) => !SMTP_ONLY.test(setting),
    allowedSender: "domain",
  },
};

export function transportNeeds(transport: Transport): TransportNeeds {
  return NEEDS[transport];
}

/** The errors among `problems` that stop this transport from sending. */
export function blockingErrors(problems: readonly Problem[], transport: Transport): Problem[] {
  const needs = transportNeeds(transport);
  return problems.filter((p) => p.severity === "error" && needs.appliesTo(p.setting));
}
