// Reading what users import: PKCS#12 (with or without a password) and PEM (private key and certificates, any order);
// writing PEM, the layout of a certificate's secret in PEM.
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import forge from "node-forge";
import type { Chain } from "./pkcs12.js";

export interface CertificateMaterial {
  /** PKCS#8 DER of the private key, if the file had one. */
  privateKey?: Buffer;
  /** DER certificates, in file order. */
  certificates: Buffer[];
}

export class UnreadableCertificateError extends Error {}

const { asn1, pki, pkcs12 } = forge;
const derOf = (node: forge.asn1.Asn1) => Buffer.from(asn1.toDer(node).getBytes(), "binary");

/** Parses a PFX; a wrong password or a damaged file is an UnreadableCertificateError. */
export function readPfx(pfx: Buffer, password: string | undefined): CertificateMaterial {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = pkcs12.pkcs12FromAsn1(asn1.fromDer(pfx.toString("binary")), false, password ?? "");
  } catch (err) {
    const message = err instanceof Error ? err.message : "";
    throw new UnreadableCertificateError(
      /password|MAC|decrypt/i.test(message)
        ? "The PKCS#12 content could not be read with the given password."
        : "The PKCS#12 content is not valid.",
    );
  }
  const keyBags = [
    ...(p12.getBags({ bagType: pki.oids.pkcs8ShroudedKeyBag! })[pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: pki.oids.keyBag! })[pki.oids.keyBag!] ?? []),
  ];
  const certBags = p12.getBags({ bagType: pki.oids.certBag! })[pki.oids.certBag!] ?? [];
  // forge parses RSA itself and hands back the ASN.1 of anything else (EC keys and certificates).
  const keyDer = keyBags.map((bag) =>
    bag.key ? derOf(pki.wrapRsaPrivateKey(pki.privateKeyToAsn1(bag.key))) : derOf(bag.asn1),
  )[0];
  const certificates = certBags.map((bag) => (bag.cert ? derOf(pki.certificateToAsn1(bag.cert)) : derOf(bag.asn1)));
  return { privateKey: keyDer, certificates };
}

interface PemBlock {
  label: string;
  /** The whole block, BEGIN to END line. */
  text: string;
  /** What lies between the BEGIN and END lines (base64 and line breaks). */
  body: string;
}

const BEGIN = "-----BEGIN ";
const DASHES = "-----";
const PEM_LABEL = /^[A-Z0-9 ]{1,64}$/;

/**
 * The PEM blocks of `text`, in order, in one forward scan (each character is looked at a bounded number of times,
 * whatever the input: a pattern that pairs BEGIN with END lines backtracks quadratically on a run of BEGIN lines).
 * Text around the blocks is ignored, as openssl does; a block whose BEGIN line is not followed by its own END line
 * before the next dashes is malformed.
 */
function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let at = 0;
  for (let begin = text.indexOf(BEGIN, at); begin >= 0; begin = text.indexOf(BEGIN, at)) {
    const labelEnd = text.indexOf(DASHES, begin + BEGIN.length);
    const label = labelEnd < 0 ? "" : text.slice(begin + BEGIN.length, labelEnd);
    if (!PEM_LABEL.test(label)) throw new UnreadableCertificateError("The PEM content has a malformed BEGIN line.");
    const bodyStart = labelEnd + DASHES.length;
    const bodyEnd = text.indexOf(DASHES, bodyStart);
    const end = `-----END ${label}-----`;
    if (bodyEnd < 0 || !text.startsWith(end, bodyEnd))
      throw new UnreadableCertificateError(`The PEM block ${label} has no END line.`);
    at = bodyEnd + end.length;
    blocks.push({ label, text: text.slice(begin, at), body: text.slice(bodyStart, bodyEnd) });
  }
  return blocks;
}

/** Parses PEM text holding a private key (PKCS#8, or PKCS#1/SEC1) and certificates, in any order. */
export function readPem(text: string): CertificateMaterial {
  const blocks = pemBlocks(text);
  if (blocks.length === 0) throw new UnreadableCertificateError("The PEM content holds no PEM blocks.");
  const certificates: Buffer[] = [];
  let privateKey: Buffer | undefined;
  for (const { label, text: block, body } of blocks) {
    if (label === "CERTIFICATE") {
      certificates.push(Buffer.from(body.replace(/\s/g, ""), "base64"));
    } else if (label.endsWith("PRIVATE KEY")) {
      if (label === "ENCRYPTED PRIVATE KEY")
        throw new UnreadableCertificateError(
          "Encrypted PEM private keys are not supported; import a PKCS#12 file with a password instead.",
        );
      try {
        privateKey = createPrivateKey(block).export({ type: "pkcs8", format: "der" });
      } catch {
        throw new UnreadableCertificateError("The PEM private key is not valid.");
      }
    }
  }
  return { privateKey, certificates };
}

/**
 * ImportCertificate's `value`: PEM text, base64 of PEM text (Python's SDK base64-encodes whatever bytes it is given,
 * PEM included; Key Vault accepts both), or a base64 PFX.
 */
export function readImportedContent(
  value: string,
  password: string | undefined,
): CertificateMaterial & { format: "pem" | "pfx" } {
  if (value.includes("-----BEGIN")) return { ...readPem(value), format: "pem" };
  const bytes = Buffer.from(value, "base64");
  const text = bytes.toString("latin1");
  if (text.includes("-----BEGIN")) return { ...readPem(text), format: "pem" };
  return { ...readPfx(bytes, password), format: "pfx" };
}

/** The DER of `bytes` when they are one DER certificate (a SEQUENCE that parses), else undefined. */
function derCertificate(bytes: Buffer): Buffer | undefined {
  if (bytes[0] !== 0x30) return undefined; // node:crypto would also take PEM text here; only DER is wanted
  try {
    return new X509Certificate(bytes).raw;
  } catch {
    return undefined;
  }
}

/**
 * One `x5c` entry of MergeCertificate: base64 of the DER (the REST shape), or base64 of the certificate's base64
 * text or PEM text, which Key Vault also accepts. JavaScript's documented `Buffer.from(base64Text)` sends the
 * latter; its sample's text even keeps the END line. An entry in PEM may hold several certificates.
 */
export function readMergedCertificates(entry: string): Buffer[] {
  const bytes = Buffer.from(entry, "base64");
  const der = derCertificate(bytes);
  if (der) return [der];
  const text = bytes.toString("latin1");
  const bodies = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [text];
  return bodies.map((body) => {
    const decoded = derCertificate(Buffer.from(body.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ""), "base64"));
    if (!decoded)
      throw new UnreadableCertificateError(
        "An x5c entry is not a certificate: give base64 of its DER, of its base64 text or of its PEM text.",
      );
    return decoded;
  });
}

const pemBlock = (label: string, der: Buffer) =>
  `-----BEGIN ${label}-----\n${der.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END ${label}-----\n`;

/** PEM text: the private key (PKCS#8), if there is one, then the certificates in the given order. */
export function writePem({ privateKey, certificates }: CertificateMaterial): string {
  return (
    (privateKey ? pemBlock("PRIVATE KEY", privateKey) : "") +
    certificates.map((c) => pemBlock("CERTIFICATE", c)).join("")
  );
}

const spki = (key: KeyObject) =>
  (key.type === "public" ? key : createPublicKey(key)).export({ type: "spki", format: "der" });

/**
 * Orders a chain leaf first: the leaf is the certificate whose public key is the private key's (or the first one
 * without a key); the rest keep their order. Throws when the key matches none of them.
 */
export function leafFirst(material: CertificateMaterial): Chain {
  const [first, ...rest] = material.certificates;
  if (!first) throw new UnreadableCertificateError("The content holds no certificate.");
  if (!material.privateKey) return [first, ...rest];
  const keySpki = spki(createPrivateKey({ key: material.privateKey, format: "der", type: "pkcs8" }));
  const index = material.certificates.findIndex((der) => spki(new X509Certificate(der).publicKey).equals(keySpki));
  const leaf = material.certificates[index];
  if (!leaf)
    throw new UnreadableCertificateError(
      "The private key does not match the public key of any certificate in the content.",
    );
  return [leaf, ...material.certificates.filter((_, i) => i !== index)];
}

/** True when `certificate` carries the public key of `privateKey`. */
export function certificateMatchesKey(certificate: Buffer, privateKey: KeyObject): boolean {
  return spki(new X509Certificate(certificate).publicKey).equals(spki(privateKey));
}
