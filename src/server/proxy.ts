// An HTTP CONNECT proxy that needs no root: the names Kluis answers to (Azure's vault, login, ARM and Graph hosts,
// localhost names, every --hostname) are tunnelled to Kluis; any other host only to port 443 and only when every
// address it resolves to is public, so that the proxy cannot reach this machine's or its network's own services.
// Clients use it through HTTPS_PROXY.
import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import { createServer, STATUS_CODES } from "node:http";
import { BlockList, connect, isIP, type AddressInfo, type LookupFunction, type Socket } from "node:net";
import { matchesName, serverNames } from "./server-names.js";
import { TIMEOUTS } from "./connection-limits.js";

/**
 * Routed by name: an address (127.0.0.1, [::1], 0x7f000001...) is checked like any other host, unless the operator
 * gave it as a --hostname.
 */
export function routesToKluis(host: string, hostnames: readonly string[] = []): boolean {
  const name = host.replace(/\.$/, "").toLowerCase();
  return hostnames.includes(name) || serverNames(hostnames).some((n) => isIP(n) === 0 && matchesName(name, n));
}

/** `host:port` or `[IPv6]:port`, the only form RFC 9110 allows a CONNECT target; anything else is undefined. */
export function parseConnectTarget(target: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9_.-]{1,253})):(\d{1,5})$/i.exec(target);
  if (!m) return undefined;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  if (m[1] !== undefined && isIP(host) !== 6) return undefined;
  return { host, port };
}

// Only global unicast is public. IPv4: everything but the special-purpose ranges (RFC 6890 and successors).
const NON_PUBLIC_V4 = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  NON_PUBLIC_V4.addSubnet(net, prefix, "ipv4");
// IPv6: 2000::/3 only, which leaves out loopback, unspecified, IPv4-mapped and -compatible, NAT64, unique-local,
// link-local and multicast; less the parts of it that are documentation or carry an IPv4 address (6to4, Teredo).
const GLOBAL_V6 = new BlockList();
GLOBAL_V6.addSubnet("2000::", 3, "ipv6");
const NON_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ["2001::", 32],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["3fff::", 20],
] as const)
  NON_PUBLIC_V6.addSubnet(net, prefix, "ipv6");

export function isPublicAddress(address: string): boolean {
  switch (isIP(address)) {
    case 4:
      return !NON_PUBLIC_V4.check(address, "ipv4");
    case 6:
      return GLOBAL_V6.check(address, "ipv6") && !NON_PUBLIC_V6.check(address, "ipv6");
    default:
      return false;
  }
}

/** Where a tunnel goes, or the status that refuses it. */
/** Where a tunnel goes: the host's addresses, checked (at least one), or why it does not. */
type Route = { host: string; addresses: Addresses; port: number } | { status: 400 | 403 | 502; reason: string };
type Addresses = [LookupAddress, ...LookupAddress[]];

async function route(target: string, kluisPort: number, hostnames: readonly string[]): Promise<Route> {
  const parsed = parseConnectTarget(target);
  if (!parsed) return { status: 400, reason: "The CONNECT target must be host:port or [IPv6]:port." };
  const { host, port } = parsed;
  if (routesToKluis(host, hostnames)) {
    if (port !== 443 && port !== kluisPort)
      return { status: 403, reason: `Kluis's names are reached on port 443 or ${kluisPort}.` };
    return { host: "127.0.0.1", addresses: [{ address: "127.0.0.1", family: 4 }], port: kluisPort };
  }
  if (port !== 443) return { status: 403, reason: "Only port 443 is tunnelled." };
  // Resolve first and connect to the address checked, so that a name cannot resolve to a private address later.
  let addresses: LookupAddress[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    return { status: 502, reason: "The host name does not resolve." };
  }
  const [first, ...more] = addresses;
  if (!first) return { status: 502, reason: "The host name does not resolve." };
  if (!addresses.every((a) => isPublicAddress(a.address)))
    return { status: 403, reason: "Only public addresses are tunnelled." };
  return { host, addresses: [first, ...more], port };
}

const CONNECT_TIMEOUT_MS = 10_000;

/** Refuses a CONNECT and closes the client's connection once the answer is out. */
function answer(client: Socket, status: number, reason: string): void {
  const body = `${reason}\n`;
  if (!client.writable) return void client.destroy();
  client.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => client.destroy(),
  );
}

export interface ConnectProxy {
  port: number;
  close(): Promise<void>;
}

export function startConnectProxy(opts: {
  port: number;
  host: string;
  kluisPort: number;
  hostnames: string[];
  maxConnections: number;
}): Promise<ConnectProxy> {
  const server = createServer(
    { headersTimeout: TIMEOUTS.headers, requestTimeout: TIMEOUTS.headers, connectionsCheckingInterval: TIMEOUTS.check },
    (_req, res) => {
      res.writeHead(405, { "content-type": "text/plain" }).end("Only CONNECT is supported.\n");
    },
  );
  server.maxConnections = opts.maxConnections;
  server.keepAliveTimeout = TIMEOUTS.keepAlive;
  // Tunnels are not tracked by server.close(); keep them to end them on shutdown.
  const tunnels = new Set<Socket>();
  server.on("connect", (req, client: Socket, head: Buffer) => {
    client.on("error", () => client.destroy());
    tunnels.add(client);
    client.once("close", () => tunnels.delete(client));
    route(req.url ?? "", opts.kluisPort, opts.hostnames)
      .then((to) => {
        if ("status" in to) return answer(client, to.status, to.reason);
        if (!client.destroyed) tunnel(client, head, to, tunnels);
      })
      .catch(() => answer(client, 502, "The tunnel could not be opened."));
  });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of tunnels) socket.destroy();
      server.close(() => resolve());
    });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve({ port: (server.address() as AddressInfo).port, close }));
  });
}

/** A resolver that answers the addresses already checked, so that connect() (trying each, IPv6 and IPv4) never asks DNS again. */
const checkedAddresses =
  (addresses: Addresses): LookupFunction =>
  (_host, options, callback) =>
    options.all ? callback(null, addresses) : callback(null, addresses[0].address, addresses[0].family);

function tunnel(
  client: Socket,
  head: Buffer,
  to: { host: string; addresses: Addresses; port: number },
  tunnels: Set<Socket>,
): void {
  const target = connect({
    host: to.host,
    port: to.port,
    lookup: checkedAddresses(to.addresses),
    autoSelectFamily: true,
  });
  tunnels.add(target);
  let connected = false;
  const close = () => {
    target.destroy();
    client.destroy();
    tunnels.delete(target);
  };
  // Until the target answers, a failure is the client's answer; once piping, either side closing ends both.
  const refuse = (status: number, reason: string) => {
    target.destroy();
    tunnels.delete(target);
    answer(client, status, reason);
  };
  target.setTimeout(CONNECT_TIMEOUT_MS, () => refuse(504, "The host did not answer."));
  target.once("connect", () => {
    connected = true;
    target.setTimeout(0);
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length) target.write(head);
    target.pipe(client);
    client.pipe(target);
    // A tunnel on which nothing moves is ended, as Kluis ends its own idle connections.
    client.setTimeout(TIMEOUTS.inactivity, close);
  });
  target.on("error", () => (connected ? close() : refuse(502, "The host refused the connection.")));
  target.on("close", () => connected && close());
  client.on("close", close);
}
