// Webhook endpoints: what a subscription may point at, and the one bounded HTTPS request Kluis sends there.
// Whoever may create a subscription makes Kluis send requests, so: https only (the peer's certificate checked against
// the system's CAs and Kluis's own), no link-local, metadata, multicast or unspecified address (checked on every
// connection, after DNS, so a name cannot be re-pointed at one), no redirects followed, bounded bodies and times.
import { request } from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { lookup as dnsLookup } from "node:dns";

export const MAX_ENDPOINT_LENGTH = 2048;
/** What Kluis reads of a receiver's answer (the validation response is small). */
const MAX_RESPONSE_BYTES = 64 * 1024;

const DENIED = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], // "this network"
  ["169.254.0.0", 16], // link-local, with the clouds' metadata service 169.254.169.254
  ["100.100.100.200", 32], // Alibaba Cloud's metadata service
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address
] as const)
  DENIED.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128], // unspecified
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["fd00:ec2::254", 128], // AWS's metadata service over IPv6
] as const)
  DENIED.addSubnet(net, bits, "ipv6");

/** The IPv4 address an IPv4-mapped IPv6 address carries, in either spelling (URL parsing writes `::ffff:a9fe:a9fe`). */
function mappedIpv4(address: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (dotted) return dotted;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
}

/** Whether Kluis refuses to connect to `address`; IPv4-mapped IPv6 addresses are judged as their IPv4 address. */
export function isDeniedAddress(address: string): boolean {
  const mapped = mappedIpv4(address);
  if (mapped) return DENIED.check(mapped, "ipv4");
  const family = isIP(address);
  if (family === 0) return true;
  return DENIED.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** Why `url` cannot be a webhook endpoint, or undefined when it can (its address is checked again at each connection). */
export function endpointProblem(url: string): string | undefined {
  if (url.length > MAX_ENDPOINT_LENGTH) return `The endpoint URL is longer than ${MAX_ENDPOINT_LENGTH} characters.`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "The endpoint URL is not a valid absolute URL.";
  }
  if (parsed.protocol !== "https:") return "The endpoint URL must use https.";
  if (parsed.username || parsed.password) return "The endpoint URL must not carry a user name or password.";
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) && isDeniedAddress(host)) return "The endpoint URL's address is not allowed.";
  return undefined;
}

/** The URL without its query and fragment: what ARM shows as endpointBaseUrl (a query may carry a secret). */
export function endpointBaseUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** Resolves as usual, then refuses a denied address: the check applies to the address actually connected to. */
const checkedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, "", 0);
    const list = addresses as unknown as { address: string; family: number }[];
    const denied = list.find((a) => isDeniedAddress(a.address));
    if (denied) return callback(new Error("the endpoint's address is not allowed"), "", 0);
    if ((options as { all?: boolean }).all) return (callback as (e: null, a: typeof list) => void)(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
};

export interface EndpointResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request to a webhook: refused addresses never connected to, the whole exchange bounded by `timeoutMs`. */
export function callEndpoint(
  url: string,
  opts: { method: "POST" | "OPTIONS"; headers: Record<string, string>; body?: string; ca: string; timeoutMs: number },
): Promise<EndpointResponse> {
  const problem = endpointProblem(url);
  if (problem) return Promise.reject(new Error(problem));
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: opts.method,
      headers: {
        ...opts.headers,
        ...(opts.body !== undefined ? { "content-length": String(Buffer.byteLength(opts.body)) } : {}),
      },
      ca: opts.ca,
      lookup: checkedLookup,
      agent: false,
      timeout: opts.timeoutMs,
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${opts.timeoutMs / 1000} s`)),
      opts.timeoutMs,
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${opts.timeoutMs / 1000} s`)));
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) return res.destroy();
        chunks.push(chunk);
      });
      res.on("close", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.end(opts.body);
  });
}
