// Just enough DER to show a certificate's subject, issuer and validity as the certificate itself states them, and
// the certificates of a PEM text (a certificate's secret holds its whole chain).
const NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "1.2.840.113549.1.9.1": "E",
};

interface Node {
  tag: number;
  start: number;
  end: number;
}

/** The element at `at`: its tag and where its content starts and ends. */
function read(der: Uint8Array, at: number): Node {
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  if (start + length > der.length) throw new Error("truncated DER");
  return { tag, start, end: start + length };
}

function children(der: Uint8Array, node: Node): Node[] {
  const list: Node[] = [];
  for (let at = node.start; at < node.end; at = list[list.length - 1]!.end) list.push(read(der, at));
  return list;
}

function oid(der: Uint8Array, node: Node): string {
  const bytes = der.subarray(node.start, node.end);
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let value = 0;
  for (const b of bytes.subarray(1)) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

const text = (der: Uint8Array, node: Node) => new TextDecoder().decode(der.subarray(node.start, node.end));

function distinguishedName(der: Uint8Array, name: Node): string {
  return children(der, name)
    .flatMap((set) => children(der, set))
    .map((pair) => {
      const [type, value] = children(der, pair) as [Node, Node];
      const key = oid(der, type);
      return `${NAMES[key] ?? key}=${text(der, value)}`;
    })
    .join(", ");
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as an ISO date. */
function time(der: Uint8Array, node: Node): string {
  const t = text(der, node);
  const full = node.tag === 0x17 ? `${Number(t.slice(0, 2)) < 50 ? "20" : "19"}${t}` : t;
  return `${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)} ${full.slice(8, 10)}:${full.slice(10, 12)} UTC`;
}

export interface CertificateFacts {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  serialNumber: string;
}

export function certificateFacts(der: Uint8Array): CertificateFacts {
  const [tbs] = children(der, read(der, 0)) as [Node];
  const fields = children(der, tbs);
  const at = fields[0]!.tag === 0xa0 ? 1 : 0; // the version is optional
  const [serial, , issuer, validity, subject] = fields.slice(at) as [Node, Node, Node, Node, Node];
  const [notBefore, notAfter] = children(der, validity) as [Node, Node];
  const hex = [...der.subarray(serial.start, serial.end)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return {
    subject: distinguishedName(der, subject),
    issuer: distinguishedName(der, issuer),
    notBefore: time(der, notBefore),
    notAfter: time(der, notAfter),
    serialNumber: hex,
  };
}

export const base64ToBytes = (b64: string) =>
  Uint8Array.from(atob(b64.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

export function pem(der: Uint8Array): string {
  let binary = "";
  for (const b of der) binary += String.fromCharCode(b);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** Every certificate of a PEM text, in its order (a private key or anything else in it is passed over). */
export function pemCertificates(text: string): Uint8Array<ArrayBuffer>[] {
  const blocks = text.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g);
  return [...blocks].map((m) => base64ToBytes(m[1]!.replace(/\s/g, "")));
}

/** The SHA-1 thumbprint as Key Vault and Windows show it: hex, upper case. */
export async function thumbprint(der: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", der));
  return [...digest].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join("");
}
