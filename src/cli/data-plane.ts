// Data-plane calls as a user's program makes them: to the vault's own URL (https://NAME.localhost:PORT, or the
// server URL for the vault named `default`), Key Vault's REST API at api-version 7.5, a token for vault.azure.net.
import type { Command } from "commander";
import { VAULT_AUDIENCE } from "../identity/tokens.js";
import { callApi, connect, withConnection, type Connection, type ConnectionOptions } from "./client.js";
import { CliError } from "./errors.js";
import { listIn, optionalStringIn } from "./answers.js";

const API_VERSION = "7.5";
const SCOPE = `${VAULT_AUDIENCE}/.default`;
const DEFAULT_VAULT = "default";
const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

/** The vault's URL on this server: NAME.<server host>, with NAME.localhost for a server on loopback. */
export function vaultUrl(serverUrl: string, vaultName: string): string {
  const url = new URL(serverUrl);
  if (vaultName.toLowerCase() === DEFAULT_VAULT) return url.origin;
  url.hostname = `${vaultName.toLowerCase()}.${LOOPBACK.includes(url.hostname) ? "localhost" : url.hostname}`;
  return url.origin;
}

export interface VaultOptions extends ConnectionOptions {
  vaultName?: string;
  id?: string;
}

/** An object named by --vault-name/--name[/--version] or by its identifier URL (--id), as az accepts. */
export interface ObjectRef {
  vault: string;
  name: string;
  version?: string;
}

export class DataPlane {
  readonly baseUrl: string;
  private constructor(
    readonly conn: Connection,
    readonly vault: string,
  ) {
    this.baseUrl = vaultUrl(conn.url, vault);
  }

  static forVault(o: VaultOptions, vault: string): DataPlane {
    return new DataPlane(connect(o), vault);
  }

  /** `path` is relative to the vault, e.g. "/secrets/s1"; `query` adds to the api-version. */
  call(
    method: string,
    path: string,
    body?: unknown,
    query: Record<string, string | number | undefined> = {},
  ): Promise<unknown> {
    const params = new URLSearchParams({ "api-version": API_VERSION });
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    return callApi(this.conn, SCOPE, method, `${this.baseUrl}${path}?${params}`, body);
  }

  /** Every item of a paged list, following nextLink (which already carries the api-version); `T` is the server's item type. */
  async list<T = Record<string, unknown>>(
    path: string,
    query: Record<string, string | number | undefined> = {},
    max?: number,
  ): Promise<T[]> {
    let page = await this.call("GET", path, undefined, {
      maxresults: max !== undefined ? Math.min(max, 25) : undefined,
      ...query,
    });
    // Each item is checked to be an object; its fields are the output functions' to read.
    const items = [...listIn(page)];
    for (let next = optionalStringIn(page, "nextLink"); next && (max === undefined || items.length < max);) {
      page = await callApi(this.conn, SCOPE, "GET", next);
      items.push(...listIn(page));
      next = optionalStringIn(page, "nextLink");
    }
    return (max === undefined ? items : items.slice(0, max)) as T[];
  }
}

/** Adds --vault-name and the connection options to a data-plane command. */
export function withVault(cmd: Command, required = true): Command {
  const vault = "--vault-name <name>";
  const help = "name of the vault ('default' for the server's default vault)";
  return withConnection(required ? cmd.requiredOption(vault, help) : cmd.option(vault, help));
}

/** Adds az's ways of naming an object: --vault-name with --name and optional --version, or --id. */
export function withObject(cmd: Command, what: string, opts: { version?: boolean } = {}): Command {
  withVault(cmd, false)
    .option("-n, --name <name>", `name of the ${what}`)
    .option(
      "--id <identifier>",
      `the ${what}'s identifier URL (https://VAULT.vault.azure.net/${what}s/NAME[/VERSION]); replaces --vault-name, --name and --version`,
    );
  if (opts.version !== false) cmd.option("-v, --version <version>", `the ${what} version (default: the newest)`);
  return cmd;
}

function idUrl(id: string): URL {
  try {
    return new URL(id);
  } catch {
    throw new CliError(`argument --id: not an identifier URL: '${id}'`);
  }
}

/** The vault of an --id URL: its host's first label, or the default vault for the server's own (loopback) host. */
const vaultOfUrl = (url: URL) => (LOOPBACK.includes(url.hostname) ? DEFAULT_VAULT : url.hostname.split(".")[0]!);

/** The vault --vault-name or --id (the vault's URL) designates, for commands on the vault itself. */
export function vaultRef(o: VaultOptions): string {
  if (o.id) return vaultOfUrl(idUrl(o.id));
  if (!o.vaultName) throw new CliError("Give --id or --vault-name.");
  return o.vaultName;
}

/** The object --id or --vault-name/--name designate; the vault of an --id is its host's first label. */
export function objectRef(o: VaultOptions & { name?: string; version?: string }): ObjectRef {
  if (o.id) {
    const url = idUrl(o.id);
    const [, , name, version] = url.pathname.split("/");
    if (!name) throw new CliError(`argument --id: no object name in '${o.id}'`);
    return { vault: vaultOfUrl(url), name, version: version || undefined };
  }
  if (!o.vaultName || !o.name) throw new CliError("Give --id, or --vault-name and --name.");
  return { vault: o.vaultName, name: o.name, version: o.version };
}

/** Path of an object or one of its versions: /secrets/NAME[/VERSION]. */
export const objectPath = (collection: string, ref: Pick<ObjectRef, "name" | "version">) =>
  `/${collection}/${encodeURIComponent(ref.name)}${ref.version ? `/${encodeURIComponent(ref.version)}` : ""}`;

/** base64url (Key Vault's wire form for bytes) → standard base64 (az's form). */
export const toBase64 = (b64url: string | undefined | null) =>
  b64url == null ? b64url : Buffer.from(b64url, "base64url").toString("base64");
export const toBase64Url = (bytes: Buffer) => bytes.toString("base64url");
