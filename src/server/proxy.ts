// An HTTP CONNECT proxy that needs no root: requests for Azure's vault and login hosts (and localhost names)
// are tunnelled to Kluis, every other host is tunnelled unchanged. Clients use it through HTTPS_PROXY.
import { createServer } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { TIMEOUTS } from "./connection-limits.js";

const ROUTED = [/\.vault\.azure\.net$/i, /^login\.microsoftonline\.com$/i, /^management\.azure\.com$/i, /^localhost$/i, /\.localhost$/i, /^127\.0\.0\.1$/];

export function routesToKluis(host: string, hostnames: readonly string[] = []): boolean {
  const h = host.toLowerCase();
  return ROUTED.some((r) => r.test(h)) || hostnames.some((n) => h === n || h.endsWith(`.${n}`));
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
  const server = createServer({ headersTimeout: TIMEOUTS.headers, requestTimeout: TIMEOUTS.headers, connectionsCheckingInterval: TIMEOUTS.check }, (_req, res) => {
    res.writeHead(405, { "content-type": "text/plain" }).end("Only CONNECT is supported.\n");
  });
  server.maxConnections = opts.maxConnections;
  server.keepAliveTimeout = TIMEOUTS.keepAlive;
  // Tunnels are not tracked by server.close(); keep them to end them on shutdown.
  const tunnels = new Set<Socket>();
  server.on("connect", (req, client: Socket, head: Buffer) => {
    const [host = "", portText] = (req.url ?? "").split(/:(?=\d+$)/);
    const port = Number(portText ?? 443);
    const target = routesToKluis(host, opts.hostnames)
      ? connect(opts.kluisPort, "127.0.0.1")
      : connect(port, host);
    tunnels.add(client).add(target);
    target.on("connect", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) target.write(head);
      target.pipe(client);
      client.pipe(target);
    });
    const close = () => {
      target.destroy();
      client.destroy();
      tunnels.delete(client);
      tunnels.delete(target);
    };
    target.on("close", close);
    client.on("close", close);
    // A tunnel on which nothing moves is ended, as Kluis ends its own idle connections.
    client.setTimeout(TIMEOUTS.inactivity, close);
    target.on("error", () => {
      if (client.writable) client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
      close();
    });
    client.on("error", close);
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
