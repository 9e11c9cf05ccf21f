// Wires a function that sends mail for its transport, as src/transport-needs.ts decides: the
// variables it reads and the SES grant it needs. Every sending construct goes through here.
import { CONFIGURATION_SET_ENV, type Transport } from "../../src/constants.ts";
import { transportNeeds } from "../../src/transport-needs.ts";
import type { ISendingIdentity } from "../sending-domain.ts";
import type { HeraldFunction } from "./herald-function.ts";

export function wireSending(fn: HeraldFunction, transport: Transport, identity?: ISendingIdentity): void {
  const needs = transportNeeds(transport);
  if (needs.environment.length === 0 && needs.sesActions.length === 0) return;
  if (!identity) {
    // Without an identity, SES SMTP sends use the identity's default configuration set.
    if (needs.sesActions.length === 0) return;
    throw new Error(`transport ${transport} needs a sending identity`);
  }
  const values: Record<string, string> = { [CONFIGURATION_SET_ENV]: identity.configurationSetName };
  for (const name of needs.environment) {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for ${name}`);
    fn.function.addEnvironment(name, value);
  }
  if (needs.sesActions.length > 0) identity.grantSend(fn.role);
}
