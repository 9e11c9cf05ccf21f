import type SMTPConnection from "nodemailer/lib/smtp-connection";
import { TLSSocket } from "node:tls";
import type { ServerInfo, TlsInfo } from "./report.ts";
import { ehloAuthMethods, ehloExtensions, type StageTracker } from "./tracker.ts";

/** What the server showed of itself: banner, the EHLO that counts, and the TLS session. */
export function describeServer(connection: SMTPConnection, tracker: StageTracker): ServerInfo {
  const info: ServerInfo = {
    ...(tracker.banner ? { banner: tracker.banner } : {}),
    extensions: ehloExtensions(tracker.ehloReply),
    authMethods: ehloAuthMethods(tracker.ehloReply),
  };
  const tls = describeTls(connection._socket);
  if (tls) info.tls = tls;
  return info;
}

/** The TLS session, once its handshake is done (a stalled one has nothing true to show). */
function describeTls(socket: unknown): TlsInfo | undefined {
  if (!(socket instanceof TLSSocket) || socket.destroyed || !socket.getFinished()) return undefined;
  const certificate = socket.getPeerCertificate();
  const info: TlsInfo = {
    protocol: socket.getProtocol() ?? "unknown",
    cipher: socket.getCipher()?.name ?? "unknown",
    authorized: socket.authorized,
  };
  if (certificate?.subject?.CN) info.subject = String(certificate.subject.CN);
  if (certificate?.issuer?.CN) info.issuer = String(certificate.issuer.CN);
  if (certificate?.valid_to) info.validTo = new Date(certificate.valid_to).toISOString();
  return info;
}
