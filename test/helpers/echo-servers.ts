/**
 * Hostile loopback SMTP servers for the secret and output-safety tests: they send back what
 * a client sent, or bytes a terminal would act on. Each listens on 127.0.0.1 with an
 * ephemeral port; `close()` destroys every socket.
 *
 * - startAuthEchoServer: implicit TLS; answers every AUTH PLAIN / LOGIN with a 535 that
 *   echoes the payloads as sent (base64) and decoded.
 * - startRawGreetingServer: clear text; greets with the given bytes (terminal escapes, a
 *   reply that is not SMTP), then answers EHLO and QUIT.
 */
import net from "node:net";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { generateTestCertificate } from "../../sandbox/certificate.ts";

export interface EchoServer {
  host: "127.0.0.1";
  port: number;
  /** AUTH payloads received, as sent (base64) */
  authPayloads: string[];
  close(): Promise<void>;
}

const decode = (payload: string) =>
  // Control characters would end the reply line early; everything else is echoed as is.
  Buffer.from(payload, "base64")
    .toString("utf8")
    .replace(/[\r\n]/g, " ");

async function listen(
  server: net.Server,
  sockets: Set<net.Socket>,
  authPayloads: string[],
): Promise<EchoServer> {
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    host: "127.0.0.1",
    port,
    authPayloads,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function track(sockets: Set<net.Socket>, socket: net.Socket): void {
  sockets.add(socket);
  socket.on("error", () => undefined);
  socket.once("close", () => sockets.delete(socket));
}

function onLines(socket: net.Socket, onLine: (line: string) => void): void {
  let buffer = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
      const line = buffer.slice(0, end).replace(/\r$/, "");
      buffer = buffer.slice(end + 1);
      onLine(line);
    }
  });
}

/** Implicit TLS; offers `mechanisms` and rejects every login, echoing what it got. */
export async function startAuthEchoServer(mechanisms: Array<"PLAIN" | "LOGIN">): Promise<EchoServer> {
  const { key, cert } = await generateTestCertificate();
  const sockets = new Set<net.Socket>();
  const authPayloads: string[] = [];
  const server = tls.createServer({ key, cert }, (socket) => {
    track(sockets, socket);
    // What the next line is: a command, or a step of AUTH.
    let expecting: "command" | "plain" | "login-user" | "login-password" = "command";
    const reject = (payload: string, decoded: string) =>
      socket.write(`535 5.7.8 rejected ${payload} = ${decoded} for ${authPayloads.join(" ")}\r\n`);
    socket.write("220 echo.test ESMTP\r\n");
    onLines(socket, (line) => {
      if (expecting === "plain" || expecting === "login-password") {
        authPayloads.push(line);
        expecting = "command";
        return reject(line, decode(line));
      }
      if (expecting === "login-user") {
        authPayloads.push(line);
        expecting = "login-password";
        return socket.write(`334 ${Buffer.from("Password:").toString("base64")}\r\n`);
      }
      const [verb = "", mechanism = "", initial] = line.split(" ");
      switch (verb.toUpperCase()) {
        case "EHLO":
          return socket.write(`250-echo.test\r\n250-AUTH ${mechanisms.join(" ")}\r\n250 8BITMIME\r\n`);
        case "AUTH":
          if (mechanism.toUpperCase() === "PLAIN" && initial) {
            authPayloads.push(initial);
            return reject(initial, decode(initial));
          }
          expecting = mechanism.toUpperCase() === "PLAIN" ? "plain" : "login-user";
          return socket.write(
            expecting === "plain" ? "334 \r\n" : `334 ${Buffer.from("Username:").toString("base64")}\r\n`,
          );
        case "QUIT":
          return socket.end("221 bye\r\n");
        default:
          return socket.write("502 5.5.2 not here\r\n");
      }
    });
  });
  return listen(server, sockets, authPayloads);
}

/** Clear text; greets with `greeting` exactly as given, then answers EHLO with `ehlo` lines. */
export async function startRawGreetingServer(
  greeting: string,
  ehlo: string[] = ["250 raw.test"],
): Promise<EchoServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    track(sockets, socket);
    socket.write(greeting);
    onLines(socket, (line) => {
      const verb = line.split(" ")[0]?.toUpperCase();
      if (verb === "EHLO") socket.write(ehlo.map((l) => `${l}\r\n`).join(""));
      else if (verb === "QUIT") socket.end("221 bye\r\n");
      else socket.write("502 5.5.2 not here\r\n");
    });
  });
  return listen(server, sockets, []);
}
