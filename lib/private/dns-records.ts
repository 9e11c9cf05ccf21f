// The DNS records a sending domain needs, as one list: created in a Route 53 zone, or printed
// as stack outputs for any other DNS provider. One list, so both modes always agree.
import { CfnOutput } from "aws-cdk-lib";
import { CfnRecordSet, type IHostedZone } from "aws-cdk-lib/aws-route53";
import type { Construct } from "constructs";

export interface DnsRecord {
  /** construct id and output name, e.g. `DkimRecord1` */
  readonly id: string;
  /** the fully qualified name */
  readonly name: string;
  readonly type: "CNAME" | "MX" | "TXT";
  /** as in a zone file: `10 host` for MX, the quoted string for TXT */
  readonly value: string;
  /** what the record is for */
  readonly purpose: string;
}

/** Record TTL: half an hour, as aws-ses's own DKIM records. */
const TTL = "1800";

export function createRecords(scope: Construct, zone: IHostedZone, records: readonly DnsRecord[]): void {
  for (const record of records) {
    new CfnRecordSet(scope, record.id, {
      hostedZoneId: zone.hostedZoneId,
      name: record.name,
      type: record.type,
      resourceRecords: [record.value],
      ttl: TTL,
      comment: `Herald: ${record.purpose}`,
    });
  }
}

/** One output per record, `<name> <type> <value>`, ready to paste into a DNS provider. */
export function outputRecords(scope: Construct, prefix: string, records: readonly DnsRecord[]): void {
  for (const record of records) {
    const output = new CfnOutput(scope, record.id, {
      value: `${record.name} ${record.type} ${record.value}`,
      description: `DNS record to create (${record.purpose}): name, type, value`,
    });
    output.overrideLogicalId(`${prefix}${record.id}`);
  }
}
