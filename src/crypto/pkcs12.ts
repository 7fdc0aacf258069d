// PKCS#12 packaging: a certificate's secret (key bag + cert bags, with an empty-password MAC, the way Key Vault hands
// out a certificate's PFX; any key node:crypto can export as PKCS#8), and a Java trust store (trusted cert bags).
import { createHash } from "node:crypto";
import forge from "node-forge";

/** A certificate chain as DER, leaf first: never empty. */
export type Chain = [leaf: Buffer, ...issuers: Buffer[]];

const { asn1, pki, pkcs12 } = forge;
const OID = {
  data: "1.2.840.113549.1.7.1",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  localKeyId: "1.2.840.113549.1.9.21",
  friendlyName: "1.2.840.113549.1.9.20",
  // Java's PKCS12KeyStore takes a cert bag carrying this attribute (Oracle's "trusted key usage") as a
  // TrustedCertEntry; without it, a certificate with no key is not a trust anchor.
  javaTrustedKeyUsage: "2.16.840.1.113894.746875.1.1",
  anyExtendedKeyUsage: "2.5.29.37.0",
};

const der = (node: forge.asn1.Asn1) => asn1.toDer(node).getBytes();
const seq = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const set = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, items);
const oid = (id: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
const octets = (bytes: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
const explicit0 = (node: forge.asn1.Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [node]);
const integer = (n: number) =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const binary = (buf: Buffer) => buf.toString("binary");

const attribute = (type: string, value: forge.asn1.Asn1) => seq([oid(type), set([value])]);

function bag(type: string, value: forge.asn1.Asn1, attributes: forge.asn1.Asn1[] = []) {
  return seq([oid(type), explicit0(value), ...(attributes.length ? [set(attributes)] : [])]);
}

const certBag = (cert: Buffer, attributes: forge.asn1.Asn1[] = []) =>
  bag(OID.certBag, seq([oid(OID.x509Certificate), explicit0(octets(binary(cert)))]), attributes);

const dataContent = (safeContents: forge.asn1.Asn1) => seq([oid(OID.data), explicit0(octets(der(safeContents)))]);

/**
 * A PFX holding the chain (leaf first) and, unless it is withheld (a non-exportable key), the private key
 * (PKCS#8 DER); unencrypted, MAC'd with an empty password.
 */
export function buildPfx(privateKeyPkcs8: Buffer | undefined, chain: Chain): Buffer {
  const keyId = attribute(OID.localKeyId, octets(binary(createHash("sha1").update(chain[0]).digest())));
  const certBags = chain.map((cert, i) => certBag(cert, i === 0 ? [keyId] : []));
  const contents = [dataContent(seq(certBags))];
  if (privateKeyPkcs8)
    contents.push(dataContent(seq([bag(OID.keyBag, asn1.fromDer(binary(privateKeyPkcs8)), [keyId])])));
  return macedPfx(seq(contents), "");
}

/**
 * A PKCS#12 trust store Java reads as trusted-certificate entries (aliases `ca-0`, `ca-1`, ...), MAC'd with
 * `password`: what `keytool -importcert` writes, without needing a JDK.
 */
export function buildJavaTrustStore(certificates: Buffer[], password: string): Buffer {
  const trusted = attribute(OID.javaTrustedKeyUsage, oid(OID.anyExtendedKeyUsage));
  // forge writes a BMPString's JavaScript string as UTF-16BE itself.
  const bags = certificates.map((cert, i) =>
    certBag(cert, [
      attribute(OID.friendlyName, asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, `ca-${i}`)),
      trusted,
    ]),
  );
  return macedPfx(seq([dataContent(seq(bags))]), password);
}

/** The PFX around an authenticated safe, with its HMAC-SHA1 under `password`. */
function macedPfx(authSafe: forge.asn1.Asn1, password: string): Buffer {
  const salt = forge.random.getBytesSync(8);
  const iterations = 2048;
  const macKey = pkcs12.generateKey(password, new forge.util.ByteStringBuffer(salt), 3, iterations, 20);
  const hmac = forge.hmac.create();
  hmac.start("sha1", macKey);
  hmac.update(der(authSafe));
  const macData = seq([
    seq([
      seq([oid(pki.oids.sha1!), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, "")]),
      octets(hmac.digest().getBytes()),
    ]),
    octets(salt),
    integer(iterations),
  ]);
  const pfx = seq([integer(3), seq([oid(OID.data), explicit0(octets(der(authSafe)))]), macData]);
  return Buffer.from(der(pfx), "binary");
}
