// Client secrets are kept only as salted scrypt hashes; scrypt is deliberately slow.
import { randomBytes, scrypt } from "node:crypto";
import { sameBytes } from "./constant-time.js";

const PARAMS = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function derive(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, PARAMS, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(secret, salt);
  return `scrypt$${PARAMS.N}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, , salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = await derive(secret, Buffer.from(salt, "base64"));
  return sameBytes(actual, expected);
}

/**
 * A client secret in the style Azure prints: 40 URL-safe characters, the first a letter or digit: `az login -p -x…`
 * would read a secret starting with "-" as a flag (found when az's test drew one for the administrator user).
 */
export function newClientSecret(): string {
  for (;;) {
    const secret = randomBytes(30).toString("base64url");
    if (/^[A-Za-z0-9]/.test(secret)) return secret;
  }
}
