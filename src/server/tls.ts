// The server's own PKI: a local root CA made once, and a server certificate for every name Kluis answers to.
import { randomBytes, webcrypto, X509Certificate } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { createSecureContext, type SecureContext } from "node:tls";
import { loadX509, type X509 } from "../crypto/x509.js";
import type { TlsMaterial } from "./app.js";
import type { DataDir } from "./data-dir.js";
import { serverNames } from "./server-names.js";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

const serial = () => {
  const b = randomBytes(16);
  b[0]! &= 0x7f;
  return b.toString("hex");
};
const years = (n: number) => new Date(Date.now() + n * 365 * 24 * 3600 * 1000);

async function exportPrivatePem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key as webcrypto.CryptoKey));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END PRIVATE KEY-----\n`;
}

async function importPrivatePem(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");
  return (await webcrypto.subtle.importKey("pkcs8", der, ALG, true, ["sign"])) as unknown as CryptoKey;
}

async function createCa(dir: DataDir): Promise<void> {
  const x509 = await loadX509();
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=Kluis Local Root CA ${randomBytes(4).toString("hex")}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: years(10),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writeFileSync(dir.caKey, await exportPrivatePem(keys.privateKey), { mode: 0o600 });
  writeFileSync(dir.caCert, cert.toString("pem") + "\n");
}

interface CaMaterial {
  cert: X509.X509Certificate;
  key: CryptoKey;
}

async function loadCa(dir: DataDir): Promise<CaMaterial> {
  const x509 = await loadX509();
  return {
    cert: new x509.X509Certificate(readFileSync(dir.caCert, "utf8")),
    key: await importPrivatePem(readFileSync(dir.caKey, "utf8")),
  };
}

/** A server certificate for `names`, signed by the CA; PEM key and PEM chain (leaf, then CA). */
async function issueLeaf(ca: CaMaterial, names: string[]): Promise<TlsMaterial> {
  const x509 = await loadX509();
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=Kluis",
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: years(2),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(
        names.map((value) => (isIP(value) ? { type: "ip" as const, value } : { type: "dns" as const, value })),
        false,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return {
    key: await exportPrivatePem(keys.privateKey),
    cert: cert.toString("pem") + "\n" + ca.cert.toString("pem") + "\n",
  };
}

/**
 * TLS clients do not accept a wildcard directly under a single-label domain (`*.localhost`), so NAME.localhost
 * gets its own certificate, issued by the local CA on first contact (SNI) and kept in memory. The CA is read then
 * too: a start that serves no such name never loads @peculiar/x509.
 */
function sniForLocalhostVaults(dir: DataDir): NonNullable<TlsMaterial["SNICallback"]> {
  let ca: Promise<CaMaterial> | undefined;
  const contexts = new Map<string, Promise<SecureContext>>();
  return (servername, done) => {
    const name = servername.toLowerCase();
    if (!/^[a-z0-9-]{1,63}\.localhost$/.test(name)) return done(null, undefined);
    let context = contexts.get(name);
    if (!context) {
      if (contexts.size >= 1000) contexts.clear();
      context = (ca ??= loadCa(dir)).then((material) => issueLeaf(material, [name])).then(createSecureContext);
      contexts.set(name, context);
    }
    context.then(
      (c) => done(null, c),
      (err: Error) => done(err, undefined),
    );
  };
}

/** Creates the local root CA unless the data directory already has one (a user may bring their own). */
export async function ensureCa(dir: DataDir): Promise<void> {
  if (!existsSync(dir.caCert) || !existsSync(dir.caKey)) await createCa(dir);
}

/** Loads the TLS material, creating the CA on first start and re-issuing the server certificate when names change or it nears expiry. */
export async function ensureTls(dir: DataDir, hostnames: readonly string[]): Promise<TlsMaterial> {
  await ensureCa(dir);
  const names = serverNames(hostnames);
  if (!serverCertificateCovers(dir, names)) {
    const leaf = await issueLeaf(await loadCa(dir), names);
    writeFileSync(dir.serverKey, leaf.key, { mode: 0o600 });
    writeFileSync(dir.serverCert, leaf.cert);
  }
  return {
    key: readFileSync(dir.serverKey, "utf8"),
    cert: readFileSync(dir.serverCert, "utf8"),
    SNICallback: sniForLocalhostVaults(dir),
  };
}

function serverCertificateCovers(dir: DataDir, names: string[]): boolean {
  if (!existsSync(dir.serverCert) || !existsSync(dir.serverKey)) return false;
  const cert = new X509Certificate(readFileSync(dir.serverCert));
  const ca = new X509Certificate(readFileSync(dir.caCert));
  if (!cert.verify(ca.publicKey)) return false;
  if (Date.parse(cert.validTo) - Date.now() < 30 * 24 * 3600 * 1000) return false;
  const san = cert.subjectAltName ?? "";
  return names.every((n) => san.includes(isIP(n) ? `IP Address:${n === "::1" ? "0:0:0:0:0:0:0:1" : n}` : `DNS:${n}`));
}
