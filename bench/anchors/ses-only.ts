// Anchor (a): the smallest useful notification Lambda written by hand: SES v2 SendEmail only.
import { SendEmailCommand, SESv2Client } from "@aws-sdk/client-sesv2";

const ses = new SESv2Client({});

export const handler = async (event: { from: string; to: string; subject: string; text: string }) =>
  ses.send(
    new SendEmailCommand({
      FromEmailAddress: event.from,
      Destination: { ToAddresses: [event.to] },
      Content: { Simple: { Subject: { Data: event.subject }, Body: { Text: { Data: event.text } } } },
    }),
  );
