// What Kluis delivers to, on loopback: a webhook receiver over HTTPS and an SMTP receiver over TLS (smtp-server), both
// with a certificate from the suite's CA, which test servers are given as their own (so Kluis trusts them).
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { OpenSsl } from "./openssl.js";

/** A certificate for 127.0.0.1 and localhost from the suite's CA (test/run.mjs), which every test server trusts as its own. */
export class ReceiverCertificates {
  private readonly ssl = new OpenSsl();
  readonly key: Buffer;
  readonly cert: Buffer;

  constructor() {
    const caDir = process.env.KLUIS_TEST_CA_DIR;
    if (!caDir) throw new Error("KLUIS_TEST_CA_DIR is not set: run the test through test/run.mjs");
    this.ssl.run(
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "r.key",
      "-out",
      "r.csr",
      "-subj",
      "/CN=localhost",
    );
    this.ssl.write(
      "r.cnf",
      "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    );
    this.ssl.run(
      "x509",
      "-req",
      "-in",
      "r.csr",
      "-CA",
      join(caDir, "ca.pem"),
      "-CAkey",
      join(caDir, "ca-key.pem"),
      "-CAcreateserial",
      "-out",
      "r.pem",
      "-days",
      "30",
      "-extfile",
      "r.cnf",
    );
    this.key = this.ssl.read("r.key");
    this.cert = this.ssl.read("r.pem");
  }

  dispose(): void {
    this.ssl.dispose();
  }
}

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A webhook receiver. Paths: /ok answers the validation handshake and accepts events; /fail answers the handshake
 * and refuses events (500); /mute accepts everything but never echoes the validation code; /cloud answers
 * CloudEvents' OPTIONS handshake.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private constructor(private readonly server: Server) {}

  static async start(certs: ReceiverCertificates): Promise<WebhookReceiver> {
    const server = createServer({ key: certs.key, cert: certs.cert });
    const receiver = new WebhookReceiver(server);
    server.on("request", (req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        const path = req.url ?? "";
        receiver.received.push({ method: req.method ?? "", path, headers: req.headers, body });
        if (req.method === "OPTIONS") {
          res.writeHead(200, path.startsWith("/cloud") ? { "webhook-allowed-origin": "eventgrid.azure.net" } : {});
          return res.end();
        }
        if (req.headers["aeg-event-type"] === "SubscriptionValidation" && !path.startsWith("/mute")) {
          const code = (JSON.parse(body) as { data: { validationCode: string } }[])[0]!.data.validationCode;
          res.writeHead(200, { "content-type": "application/json" });
          return res.end(JSON.stringify({ validationResponse: code }));
        }
        res.writeHead(path.startsWith("/fail") ? 500 : 200);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  url(path: string): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The notifications (not handshakes) posted to paths starting with `prefix`, with their events parsed. */
  notifications(prefix: string): (Received & { events: any[] })[] {
    return this.received
      .filter((r) => r.method === "POST" && r.path.startsWith(prefix) && r.headers["aeg-event-type"] === "Notification")
      .map((r) => {
        const parsed = JSON.parse(r.body) as unknown;
        return { ...r, events: Array.isArray(parsed) ? parsed : [parsed] };
      });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Checks a delivery's Kluis-Signature header against the subscription's signing key (base64). */
export function signatureValid(received: Received, signingKey: string): boolean {
  const header = String(received.headers["kluis-signature"] ?? "");
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const mac = createHmac("sha256", Buffer.from(signingKey, "base64")).update(`${m[1]}.${received.body}`).digest("hex");
  return mac === m[2];
}

export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  data: string;
}

/** An SMTP server over TLS that takes one user name and password and keeps every message. */
export class MailReceiver {
  readonly mails: ReceivedMail[] = [];
  private constructor(private readonly server: SMTPServer) {}

  static async start(certs: ReceiverCertificates, user: string, password: string): Promise<MailReceiver> {
    let receiver!: MailReceiver;
    const server = new SMTPServer({
      secure: true,
      key: certs.key,
      cert: certs.cert,
      logger: false,
      onAuth(auth, _session, done) {
        if (auth.username === user && auth.password === password) return done(null, { user });
        done(new Error("Invalid username or password"));
      },
      onData(stream, session, done) {
        let data = "";
        stream.on("data", (d: Buffer) => (data += d.toString("utf8")));
        stream.on("end", () => {
          receiver.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            data,
          });
          done();
        });
      },
    });
    receiver = new MailReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
