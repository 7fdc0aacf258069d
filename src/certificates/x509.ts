// X.509 for certificate policies: self-signed certificates and CSRs from a policy and a node:crypto key.
import { createPublicKey, randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import { loadX509, webcryptoFor, type X509, type X509Module } from "../crypto/x509.js";
import { curveNameOf, isRsa, type CurveName } from "../crypto/keys.js";
import { canonicalSubject, KEY_USAGES, type PolicyRecord } from "./policy.js";

const HASH_BY_CURVE: Record<CurveName, string> = {
  "P-256": "SHA-256",
  "P-256K": "SHA-256",
  "P-384": "SHA-384",
  "P-521": "SHA-512",
};

/** How the certificate or CSR is signed, and with which WebCrypto (secp256k1 needs its own). */
function signer(policy: PolicyRecord) {
  if (isRsa(policy.key_props.kty))
    return { crypto: webcryptoFor().crypto, alg: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } };
  const crv = policy.key_props.crv ?? "P-256"; // readPolicy sets it for every EC policy
  const { crypto, namedCurve } = webcryptoFor(crv);
  return { crypto, alg: { name: "ECDSA", namedCurve, hash: HASH_BY_CURVE[crv] } };
}

/** The node:crypto key pair as WebCrypto keys, which @peculiar/x509 signs with. */
async function cryptoKeys(privateKey: KeyObject, { crypto, alg }: ReturnType<typeof signer>): Promise<CryptoKeyPair> {
  const subtle = crypto.subtle;
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
  const spki = createPublicKey(privateKey).export({ type: "spki", format: "der" });
  return {
    privateKey: (await subtle.importKey("pkcs8", pkcs8, alg, false, ["sign"])) as unknown as CryptoKey,
    publicKey: (await subtle.importKey("spki", spki, alg, true, ["verify"])) as unknown as CryptoKey,
  };
}

function extensionsFor(x509: X509Module, policy: PolicyRecord): X509.Extension[] {
  const xp = policy.x509_props;
  const extensions: X509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  const usage = xp.key_usage.reduce((flags, u) => flags | x509.KeyUsageFlags[u], 0);
  if (usage) extensions.push(new x509.KeyUsagesExtension(usage, true));
  if (xp.ekus.length) extensions.push(new x509.ExtendedKeyUsageExtension(xp.ekus, false));
  const names: X509.JsonGeneralName[] = [
    ...(xp.sans?.dns_names ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(xp.sans?.emails ?? []).map((value) => ({ type: "email" as const, value })),
    ...(xp.sans?.upns ?? []).map((value) => ({ type: "upn" as const, value })),
  ];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names, xp.subject === ""));
  return extensions;
}

function addMonths(date: Date, months: number): Date {
  const d = new Date(date);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}

/** Issues the certificate for issuer `Self`: signed by its own key, valid from now for the policy's months. */
export async function issueSelfSigned(policy: PolicyRecord, privateKey: KeyObject, now = new Date()): Promise<Buffer> {
  const x509 = await loadX509();
  const sign = signer(policy);
  const keys = await cryptoKeys(privateKey, sign);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString("hex"),
      name: canonicalSubject(policy.x509_props.subject),
      notBefore: new Date(Math.floor(now.getTime() / 1000) * 1000),
      notAfter: addMonths(now, policy.x509_props.validity_months),
      signingAlgorithm: sign.alg,
      keys,
      extensions: [
        ...extensionsFor(x509, policy),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, sign.crypto),
      ],
    },
    sign.crypto,
  );
  return Buffer.from(cert.rawData);
}

/** The PKCS#10 request a pending certificate operation shows, for a CA to sign. */
export async function createCsr(policy: PolicyRecord, privateKey: KeyObject): Promise<Buffer> {
  const x509 = await loadX509();
  const sign = signer(policy);
  const keys = await cryptoKeys(privateKey, sign);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: canonicalSubject(policy.x509_props.subject),
      keys,
      signingAlgorithm: sign.alg,
      extensions: extensionsFor(x509, policy),
    },
    sign.crypto,
  );
  return Buffer.from(csr.rawData);
}

/** The policy Key Vault reports for an imported certificate: everything read from the certificate itself. */
export function policyFromCertificate(
  x509: X509Module,
  leaf: Buffer,
  privateKey: KeyObject | undefined,
  contentType: PolicyRecord["secret_props"]["contentType"],
): PolicyRecord {
  const cert = new x509.X509Certificate(new Uint8Array(leaf));
  const node = new X509Certificate(leaf);
  const publicKey = privateKey ? createPublicKey(privateKey) : node.publicKey;
  const details = publicKey.asymmetricKeyDetails ?? {};
  const rsa = publicKey.asymmetricKeyType === "rsa";
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  const pick = (type: string) => names.filter((n) => n.type === type).map((n) => n.value);
  const sans = { dns_names: pick("dns"), emails: pick("email"), upns: pick("upn") };
  const usage = cert.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
  const ekus = (cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? []).map(String);
  const months = Math.max(
    1,
    Math.round((cert.notAfter.getTime() - cert.notBefore.getTime()) / (30.44 * 24 * 3600 * 1000)),
  );
  return {
    key_props: {
      exportable: true,
      kty: rsa ? "RSA" : "EC",
      ...(rsa ? { key_size: details.modulusLength } : { crv: curveNameOf(publicKey) }),
      reuse_key: false,
    },
    secret_props: { contentType },
    x509_props: {
      subject: cert.subject,
      ...(Object.values(sans).some((l) => l.length)
        ? { sans: Object.fromEntries(Object.entries(sans).filter(([, l]) => l.length)) }
        : {}),
      ekus,
      key_usage: KEY_USAGES.filter((u) => usage & x509.KeyUsageFlags[u]),
      validity_months: months,
    },
    lifetime_actions: [{ trigger: { lifetime_percentage: 80 }, action: { action_type: "EmailContacts" } }],
    issuer: { name: "Unknown" },
    attributes: { enabled: true },
  };
}
