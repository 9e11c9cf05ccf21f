// Anchor (b): a hand-written Lambda that reads its settings from SSM and sends with SES v2.
import { SendEmailCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";

const ses = new SESv2Client({});
const ssm = new SSMClient({});
let sender: string | undefined;

export const handler = async (event: { to: string; subject: string; text: string }) => {
  if (sender === undefined) {
    const { Parameters = [] } = await ssm.send(
      new GetParametersByPathCommand({ Path: "/herald/EmailSettings", WithDecryption: true }),
    );
    sender = Parameters.find((p) => p.Name?.endsWith("/FeedbackEmail"))?.Value ?? "";
  }
  return ses.send(
    new SendEmailCommand({
      FromEmailAddress: sender,
      Destination: { ToAddresses: [event.to] },
      Content: { Simple: { Subject: { Data: event.subject }, Body: { Text: { Data: event.text } } } },
    }),
  );
};
