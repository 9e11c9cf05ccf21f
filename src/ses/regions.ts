/**
 * Regions where Amazon SES offers its SMTP interface (email-smtp.<region>.amazonaws.com).
 * SMTP credentials work only in the region they were derived for.
 */
export const SES_SMTP_REGIONS: ReadonlySet<string> = new Set([
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "af-south-1",
  "ap-south-1",
  "ap-south-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-5",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "il-central-1",
  "me-south-1",
  "me-central-1",
  "sa-east-1",
  "us-gov-west-1",
  "us-gov-east-1",
]);

/** SES SMTP ports: STARTTLS on 25, 587 and 2587; implicit TLS on 465 and 2465. */
export const STARTTLS_PORTS: ReadonlySet<number> = new Set([25, 587, 2587]);
export const IMPLICIT_TLS_PORTS: ReadonlySet<number> = new Set([465, 2465]);

/** The region of an SES SMTP endpoint host, or undefined when the host is not one. */
export function sesSmtpEndpointRegion(host: string): string | undefined {
  const match = /^email-smtp(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com\.?$/i.exec(host.trim());
  return match?.[1]?.toLowerCase();
}
