// Envelope for everything secret at rest: AES-256-GCM under the server's master key.
// The context (vault/kind/name/version) is bound as associated data, so a sealed value
// cannot be moved to another row without failing to open.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { opened, openFailed, sealed } from "../metrics/instruments.js";
import { pooledRandomBytes } from "./random-pool.js";

const FORMAT = "v1";

/** A sealed value that does not open: sealed under another master key, altered, or moved to another row. */
export class UnsealError extends Error {}

export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error("master key must be 32 bytes");
  }

  seal(plain: Buffer, context: string): string {
    return `${FORMAT}:${this.sealBytes(plain, context).toString("base64")}`;
  }

  open(sealed: string, context: string): Buffer {
    const [format, payload] = sealed.split(":", 2);
    if (format !== FORMAT || !payload) throw new Error("unknown sealed format");
    return this.openBytes(Buffer.from(payload, "base64"), context);
  }

  /** The bare envelope, IV | tag | ciphertext, for blobs that carry their own encoding (backups). */
  sealBytes(plain: Buffer, context: string): Buffer {
    const iv = pooledRandomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    sealed.inc();
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  openBytes(raw: Buffer, context: string): Buffer {
    try {
      // A fixed tag length: GCM would otherwise accept a truncated tag from a forged envelope.
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(raw.subarray(12, 28));
      const plain = decipher.update(raw.subarray(28));
      decipher.final(); // checks the tag; GCM has no more output, and a concat would copy a restore's whole blob again
      opened.inc();
      return plain;
    } catch {
      openFailed.inc();
      throw new UnsealError("a sealed value does not open under this master key");
    }
  }

  /** A sealer under a key derived from this one (HKDF-SHA256), so that what leaves the store never shares its key. */
  derive(label: string): Sealer {
    return new Sealer(this.derivedKey(label));
  }

  /** A 32-byte key derived from this one (HKDF-SHA256) for another use (the audit chain's HMAC); never the master key. */
  derivedKey(label: string): Buffer {
    return Buffer.from(hkdfSync("sha256", this.key, Buffer.alloc(0), label, 32));
  }
}

/** The key file a data directory holds when KLUIS_MASTER_KEY is not set: the key in base64. */
export const masterKeyFile = (dataDir: string) => join(dataDir, "master.key");

/** Where loadMasterKey takes the key from, for messages: the variable's name or the file's path, never the key. */
export const masterKeySource = (dataDir: string, env = process.env) =>
  env.KLUIS_MASTER_KEY ? "KLUIS_MASTER_KEY" : masterKeyFile(dataDir);

/** KLUIS_MASTER_KEY (base64 or hex of 32 bytes) wins; otherwise a key file made once, owner-only. */
export function loadMasterKey(dataDir: string, env = process.env): Buffer {
  const fromEnv = env.KLUIS_MASTER_KEY;
  if (fromEnv) return parseKey(fromEnv, "KLUIS_MASTER_KEY");
  const file = masterKeyFile(dataDir);
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  }
  return parseKey(readFileSync(file, "utf8").trim(), file);
}

function parseKey(text: string, source: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  if (key.length !== 32) throw new Error(`${source} must hold 32 bytes (base64 or hex)`);
  return key;
}
