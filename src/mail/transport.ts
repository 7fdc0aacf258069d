// Mail out through an SMTP relay (--smtp-url smtp://user:pass@host:587?from=kluis@example.com, or smtps:// for TLS
// from the first byte). The URL's credentials are never logged: only `describeSmtpUrl` (scheme, host, port) is.
import { createTransport, type Transporter } from "nodemailer";

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

const DEFAULT_FROM = "kluis@localhost";
/** A relay that does not answer in these times fails the attempt; the queue tries again later. */
const CONNECTION_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;

/** The URL checked: smtp:// or smtps://, a host; throws a message that never contains the password. */
export function parseSmtpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("--smtp-url must be a URL: smtp://[user:password@]host[:port][?from=ADDRESS] or smtps://...");
  }
  if (parsed.protocol !== "smtp:" && parsed.protocol !== "smtps:")
    throw new Error("--smtp-url must start with smtp:// or smtps://");
  if (!parsed.hostname) throw new Error("--smtp-url names no host");
  return parsed;
}

/** What may be logged about the relay. */
export function describeSmtpUrl(url: URL): string {
  return `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ""}`;
}

/**
 * A mailer over the relay; `ca` is trusted besides the system's CAs (Kluis's own CA bundle), and smtp:// upgrades
 * with STARTTLS whenever the relay offers it.
 */
export function smtpMailer(url: URL, ca: string): Mailer {
  const secure = url.protocol === "smtps:";
  const transport: Transporter = createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    tls: { ca },
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: CONNECTION_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    logger: false,
  });
  const from = url.searchParams.get("from") ?? DEFAULT_FROM;
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}
