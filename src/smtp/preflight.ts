import { isLoopbackHost, isValidHost } from "../net/hosts.ts";
import { CONNECTION_SECURITY_VALUES, type HeraldSettings } from "../settings/model.ts";
import { smtpPortNumber } from "../settings/validate.ts";
import { SmtpConfigError } from "./errors.ts";

/**
 * What must be true before Herald opens a connection (no DNS, no socket): a usable host,
 * port and security mode, and never credentials in clear text to a host that is not
 * loopback. Returns the first failure, or undefined.
 */
export function checkBeforeConnecting(settings: HeraldSettings, login: boolean): SmtpConfigError | undefined {
  const email = settings.EmailSettings;
  const host = email.SMTPServer.trim();
  if (!isValidHost(host)) {
    return configError(
      "EHOST",
      `SMTPServer ${JSON.stringify(email.SMTPServer)} is not a host name or IP address`,
      "Set SMTPServer to the host name only, e.g. email-smtp.eu-west-1.amazonaws.com.",
    );
  }
  if (smtpPortNumber(settings) === undefined) {
    return configError(
      "EPORT",
      `SMTPPort ${JSON.stringify(email.SMTPPort)} is not a port number 1..65535`,
      "Set SMTPPort, e.g. 587 (STARTTLS) or 465 (TLS).",
    );
  }
  if (!CONNECTION_SECURITY_VALUES.includes(email.ConnectionSecurity)) {
    return configError(
      "ESECURITY",
      `ConnectionSecurity ${JSON.stringify(email.ConnectionSecurity)} is not "", "TLS" or "STARTTLS"`,
      'Use "TLS" on 465/2465 or "STARTTLS" on 587/25/2587.',
    );
  }
  if (!login) return undefined;
  if (email.SMTPUsername === "" || email.SMTPPassword === "") {
    return configError(
      "ECREDENTIALS",
      "EnableSMTPAuth is true but SMTPUsername or SMTPPassword is empty",
      "Set both, or set EnableSMTPAuth to false.",
    );
  }
  if (email.ConnectionSecurity === "" && !isLoopbackHost(host)) {
    return configError(
      "ECLEARTEXTAUTH",
      `refusing to send credentials in clear text to ${host}: ConnectionSecurity is ""`,
      'Set ConnectionSecurity to "STARTTLS" (port 587) or "TLS" (port 465).',
    );
  }
  return undefined;
}

function configError(code: string, message: string, hint: string): SmtpConfigError {
  return Object.assign(new SmtpConfigError(code, message), { hint });
}
