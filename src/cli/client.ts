// How the CLI reaches a server: its URL and CA from --server/KLUIS_URL or the data directory, a token from the
// server's own token endpoint (administrator credential, or AZURE_CLIENT_ID/SECRET), and JSON over HTTPS.
import { lookup } from "node:dns";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import type { Command } from "commander";
import { dataDir, defaultDataDir, runningServer, type AdminCredential } from "../server/data-dir.js";

export class CliError extends Error {
  /** The HTTP status of the server's answer, when the error is one. */
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

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
    .option("--server <url>", "server URL (env KLUIS_URL; default: the running server of --data-dir)")
    .option("--data-dir <dir>", "data directory holding the server's CA and administrator credential (env KLUIS_DATA_DIR)");
}

export function connect(opts: ConnectionOptions, env = process.env): Connection {
  const dir = dataDir(opts.dataDir ?? defaultDataDir(env));
  const info = runningServer(dir);
  const url = (opts.server ?? env.KLUIS_URL ?? info?.url)?.replace(/\/$/, "");
  if (!url) throw new CliError(`No server found: pass --server, set KLUIS_URL, or start one with 'kluis server start --data-dir ${dir.root}'.`);
  const caFile = env.KLUIS_CA_FILE ?? (existsSync(dir.caCert) ? dir.caCert : undefined);
  const admin = existsSync(dir.adminCredential) ? (JSON.parse(readFileSync(dir.adminCredential, "utf8")) as AdminCredential) : undefined;
  const useEnv = env.AZURE_CLIENT_ID && env.AZURE_CLIENT_SECRET;
  const credential = useEnv
    ? { clientId: env.AZURE_CLIENT_ID!, clientSecret: env.AZURE_CLIENT_SECRET! }
    : admin && { clientId: admin.appId, clientSecret: admin.password };
  if (!credential) throw new CliError(`No credential: set AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or run on the server's data directory (${dir.root}).`);
  const tenantId = (useEnv ? env.AZURE_TENANT_ID : undefined) ?? info?.tenantId ?? admin?.tenant ?? "adfs";
  return { url, ca: caFile && readFileSync(caFile, "utf8"), tenantId, credential };
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
