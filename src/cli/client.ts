// How the CLI reaches a server: its URL and CA from --server/KLUIS_URL or the data directory, a token from the
// server's own token endpoint (the `kluis login` identity, else the administrator credential), and JSON over HTTPS.
import { lookup } from "node:dns";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import type { Command } from "commander";
import { dataDir, defaultDataDir, runningServer, type AdminCredential, type ServerInfo } from "../server/data-dir.js";
import { CliError } from "./errors.js";
import { readProfile, type Profile } from "./profile.js";

export interface Connection {
  url: string;
  ca?: string;
  tenantId: string;
  credential: { clientId: string; clientSecret: string };
}

export interface ConnectionOptions {
  server?: string;
  dataDir?: string;
}

/** Adds the options every command that talks to a server takes. */
export function withConnection(cmd: Command): Command {
  return cmd
    .option("--server <url>", "server URL (env KLUIS_URL; default: the one signed in to with kluis login, else the running server of --data-dir)")
    .option("--data-dir <dir>", "data directory holding the server's CA and administrator credential (env KLUIS_DATA_DIR)");
}

/** The server a command talks to and the CA it trusts, before any credential. */
export function serverOf(opts: ConnectionOptions, env = process.env): Omit<Connection, "credential" | "tenantId"> & { info?: ServerInfo; admin?: AdminCredential; profile?: Profile } {
  const dir = dataDir(opts.dataDir ?? defaultDataDir(env));
  const info = runningServer(dir);
  const profile = readProfile(env);
  // The server signed in to comes before the data directory's: a login names its server, as az's names its cloud.
  const url = (opts.server ?? env.KLUIS_URL ?? profile?.server ?? info?.url)?.replace(/\/$/, "");
  if (!url) throw new CliError(`No server found: pass --server, set KLUIS_URL, or start one with 'kluis server start --data-dir ${dir.root}'.`);
  const caFile = env.KLUIS_CA_FILE ?? (existsSync(dir.caCert) ? dir.caCert : undefined);
  const admin = existsSync(dir.adminCredential) ? (JSON.parse(readFileSync(dir.adminCredential, "utf8")) as AdminCredential) : undefined;
  return { url, ca: caFile && readFileSync(caFile, "utf8"), info, admin, profile };
}

/**
 * The server and who the CLI acts as: the identity of `kluis login` (sent to the server signed in to only), else the
 * administrator credential of the data directory. AZURE_CLIENT_ID/SECRET are a program's settings, not the CLI's.
 */
export function connect(opts: ConnectionOptions, env = process.env): Connection {
  const { url, ca, info, admin, profile } = serverOf(opts, env);
  if (profile) {
    if (profile.server !== url) {
      throw new CliError(`Signed in to ${profile.server}, not ${url}: run 'kluis login' for it, or 'kluis logout' to act as the administrator of the server's data directory.`);
    }
    return { url, ca, tenantId: profile.tenantId, credential: { clientId: profile.user.name, clientSecret: profile.user.clientSecret } };
  }
  if (!admin) throw new CliError("Please run 'kluis login' to setup account (or run on the server's data directory, whose administrator the CLI then acts as).");
  return { url, ca, tenantId: info?.tenantId ?? admin.tenant, credential: { clientId: admin.appId, clientSecret: admin.password } };
}

interface HttpResult {
  status: number;
  body: unknown;
}

/** Resolves NAME.localhost as localhost (RFC 6761, as browsers and curl do), so vault URLs work without a hosts entry. */
const localhostLookup: typeof lookup = ((hostname: string, options: object, callback: never) =>
  lookup(hostname.endsWith(".localhost") ? "localhost" : hostname, options, callback)) as typeof lookup;

export function httpRequest(conn: Pick<Connection, "ca">, method: string, url: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: opts.headers, lookup: localhostLookup, ...(conn.ca ? { ca: conn.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON: keep the text */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", (err) => reject(new CliError(`Cannot reach ${new URL(url).origin}: ${err.message}`)));
    req.end(opts.body);
  });
}

const tokenCache = new Map<string, string>();

export async function accessToken(conn: Connection, scope: string): Promise<string> {
  const cached = tokenCache.get(scope);
  if (cached) return cached;
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: conn.credential.clientId,
    client_secret: conn.credential.clientSecret,
    scope,
  });
  const res = await httpRequest(conn, "POST", `${conn.url}/${conn.tenantId}/oauth2/v2.0/token`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  const body = res.body as { access_token?: string; error_description?: string };
  if (res.status !== 200 || !body?.access_token) throw new CliError(body?.error_description ?? `token request failed (${res.status})`);
  tokenCache.set(scope, body.access_token);
  return body.access_token;
}

/** Calls the server with a bearer token and returns the JSON body, or throws the server's error message. */
export async function callApi(conn: Connection, scope: string, method: string, url: string, body?: unknown): Promise<unknown> {
  const token = await accessToken(conn, scope);
  const res = await httpRequest(conn, method, url, {
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 400) {
    const err = (res.body as { error?: { message?: string } } | undefined)?.error;
    throw new CliError(err?.message ?? `request failed with status ${res.status}`, res.status);
  }
  return res.body;
}
