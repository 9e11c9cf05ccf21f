/**
 * A rendered message ready for any transport: the SMTP envelope, the raw RFC 5322 bytes
 * (built by MailComposer) and the Message-ID Herald generated for it.
 */
export interface OutgoingMessage {
  /** envelope sender (MAIL FROM) */
  from: string;
  /** envelope recipients (RCPT TO): To, Cc and Bcc together */
  to: string[];
  raw: Buffer | string;
  /** "<uuid@site-host>", as in the Message-ID header */
  messageId: string;
  /** SES message tags (name -> value), e.g. { category: "mention" }; ignored by SMTP */
  tags?: Record<string, string>;
}
