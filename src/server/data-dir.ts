// The files of a data directory: the store, the master key, the PKI, the administrator credential, the running server's address.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { errorCode } from "../http/errors.js";

export interface DataDir {
  root: string;
  database: string;
  caCert: string;
  caKey: string;
  /** The system's CAs plus Kluis's CA, as PEM and as a Java trust store (src/server/client-trust.ts). */
  caBundle: string;
  javaTrustStore: string;
  serverCert: string;
  serverKey: string;
  adminCredential: string;
  serverInfo: string;
  /** Held (an OS lock) by the one server running on the directory; see lock.ts. */
  lock: string;
  /** The pid of the server holding the lock, for the message a second one prints. */
  lockOwner: string;
}

export function defaultDataDir(env = process.env): string {
  return env.KLUIS_DATA_DIR || "./data";
}

export function dataDir(path: string): DataDir {
  const root = resolve(path);
  return {
    root,
    database: join(root, "kluis.db"),
    caCert: join(root, "ca.pem"),
    caKey: join(root, "ca-key.pem"),
    caBundle: join(root, "ca-bundle.pem"),
    javaTrustStore: join(root, "ca-bundle.p12"),
    serverCert: join(root, "server.pem"),
    serverKey: join(root, "server-key.pem"),
    adminCredential: join(root, "admin.json"),
    serverInfo: join(root, "server.json"),
    lock: join(root, "server.lock"),
    lockOwner: join(root, "server.pid"),
  };
}

/**
 * Creates the data directory, and makes it and everything in it owner-only (0700, files 0600): it holds the store,
 * the master key, the CA key and the administrator's password, and a directory made by hand or copied keeps its
 * modes. Symbolic links are left alone (chmod would follow them out of the directory).
 */
export function ensureDataDir(dir: DataDir): void {
  mkdirSync(dir.root, { recursive: true, mode: 0o700 });
  chmodSync(dir.root, 0o700);
  for (const entry of readdirSync(dir.root, { withFileTypes: true })) {
    if (entry.isFile()) chmodSync(join(dir.root, entry.name), 0o600);
    else if (entry.isDirectory()) chmodSync(join(dir.root, entry.name), 0o700);
  }
}

/** What a running server writes so the CLI and scripts can find it. */
export interface ServerInfo {
  url: string;
  port: number;
  proxyPort?: number;
  caFile: string;
  /** Absent in the file of a server started by a version before them. */
  caBundleFile?: string;
  javaTrustStoreFile?: string;
  tenantId: string;
  subscriptionId: string;
  pid: number;
}

/** The server recorded in the data directory, if its process is alive: one killed outright leaves its file behind. */
export function runningServer(dir: DataDir): ServerInfo | undefined {
  if (!existsSync(dir.serverInfo)) return undefined;
  const info = JSON.parse(readFileSync(dir.serverInfo, "utf8")) as ServerInfo;
  try {
    process.kill(info.pid, 0);
    return info;
  } catch (err) {
    // EPERM: the process exists, under another user.
    return errorCode(err) === "EPERM" ? info : undefined;
  }
}

/** The administrator credential, readable by the owner only. */
export interface AdminCredential {
  appId: string;
  password: string;
  tenant: string;
  objectId: string;
  /** The administrator user (`az login -u admin -p PASSWORD`); absent where another node of the same store made it. */
  user?: { userPrincipalName: string; password: string; objectId: string };
}
