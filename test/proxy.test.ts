// Issue 12 part 1: the CONNECT proxy. Malformed targets are a 400 and never take the server down; only Kluis's own
// names and public addresses on port 443 are tunnelled, whatever spelling of a local address a client tries.
// Every CONNECT here is refused before any connection is made, or goes to Kluis on loopback: no test traffic
// leaves the machine.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { Kluis } from "./helpers/kluis.js";

interface ConnectAnswer {
  status: number;
  head: string;
  socket: Socket;
}

/** Sends `CONNECT target` to the proxy; resolves with the status of its answer and the (possibly tunnelled) socket. */
function connectThrough(proxyPort: number, target: string): Promise<ConnectAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxyPort, "127.0.0.1");
    let received = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      received = Buffer.concat([received, d]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      const head = received.subarray(0, end).toString("latin1");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, socket });
    };
    socket.on("data", onData);
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`proxy closed without an answer to CONNECT ${target}`)));
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
  });
}

async function statusOf(proxyPort: number, target: string): Promise<number> {
  const { status, socket } = await connectThrough(proxyPort, target);
  socket.destroy();
  return status;
}

/** GET /healthz over TLS inside a tunnel to `name`, verifying Kluis's certificate for that name. */
async function healthThroughTunnel(kluis: Kluis, name: string, port = 443): Promise<string> {
  const { status, socket } = await connectThrough(kluis.info.proxyPort, `${name}:${port}`);
  assert.equal(status, 200, `CONNECT ${name}:${port}`);
  const tls = tlsConnect({ socket, servername: name, ca: readFileSync(kluis.caFile) });
  return new Promise((resolve, reject) => {
    let text = "";
    tls.on("secureConnect", () => tls.write(`GET /healthz HTTP/1.1\r\nHost: ${name}\r\nConnection: close\r\n\r\n`));
    tls.on("data", (d) => (text += d));
    tls.on("end", () => resolve(text));
    tls.on("error", reject);
  });
}

/** Names this machine's hosts file maps to a loopback address that Kluis does not route (`localhost` is routed). */
function loopbackNamesFromHostsFile(): string[] {
  const names: string[] = [];
  for (const line of readFileSync("/etc/hosts", "utf8").split("\n")) {
    const [address, ...aliases] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (address && (address.startsWith("127.") || address === "::1"))
      names.push(...aliases.filter((a) => a && !/(^|\.)localhost$/i.test(a)));
  }
  return names;
}

describe("CONNECT proxy", () => {
  let kluis: Kluis;

  before(async () => {
    kluis = await Kluis.start({ args: ["--hostname", "kluis.example"] });
  });
  after(() => kluis.dispose());

  it("answers a malformed CONNECT target with 400 and keeps serving", async () => {
    const malformed = [
      "a:70000",
      "a:0",
      "a:-1",
      "a:",
      ":443",
      "a",
      "garbage here",
      "[::1]",
      "[::1:443",
      "[zz]:443",
      "::1:443",
      "a:443:443",
      "a:0x1bb",
      "[a.b]:443",
      "%00:443",
      "a@b:443",
    ];
    for (const target of malformed)
      assert.equal(await statusOf(kluis.info.proxyPort, target), 400, `CONNECT ${target}`);
    assert.match(await healthThroughTunnel(kluis, "stillup.vault.azure.net"), /^HTTP\/1\.1 200 /);
  });

  it("refuses every spelling of loopback, private, link-local and unspecified addresses with 403", async () => {
    const refused = [
      "127.0.0.1:443",
      "127.1:443",
      "0x7f000001:443",
      "2130706433:443",
      "0177.0.0.1:443",
      "127.255.255.254:443",
      "[::1]:443",
      "[::ffff:127.0.0.1]:443",
      "[::ffff:7f00:1]:443",
      "[0:0:0:0:0:0:0:1]:443",
      "[::]:443",
      "0.0.0.0:443",
      "0:443",
      "10.0.0.1:443",
      "172.16.5.4:443",
      "172.31.255.255:443",
      "192.168.1.1:443",
      "169.254.169.254:443",
      "100.64.0.1:443",
      "[fe80::1]:443",
      "[fd00::1]:443",
      "[64:ff9b::7f00:1]:443",
      "[2002:7f00:1::]:443",
      // A routed name on a port that is neither 443 nor Kluis's; any host on any port but 443.
      "localhost:22",
      "myvault.vault.azure.net:22",
      "8.8.8.8:22",
      "example.com:80",
    ];
    for (const target of refused) assert.equal(await statusOf(kluis.info.proxyPort, target), 403, `CONNECT ${target}`);
    // Kluis's own HTTPS port is reached through its names, not through an address.
    assert.equal(await statusOf(kluis.info.proxyPort, `127.0.0.1:${kluis.info.port}`), 403);
    assert.equal(await statusOf(kluis.info.proxyPort, `[::1]:${kluis.info.port}`), 403);
  });

  it("refuses a host name that resolves to loopback: the resolved address is what is checked", async (t) => {
    const names = loopbackNamesFromHostsFile();
    if (names.length === 0) return t.skip("no name other than localhost maps to loopback in /etc/hosts");
    for (const name of names)
      assert.equal(await statusOf(kluis.info.proxyPort, `${name}:443`), 403, `CONNECT ${name}:443`);
  });

  it("tunnels every routed name to Kluis (Azure's, --hostname's), whose certificate covers each of them", async () => {
    const routed = [
      "myvault.vault.azure.net",
      "login.microsoftonline.com",
      "management.azure.com",
      "graph.microsoft.com",
      "kluis.example",
      "myvault.kluis.example",
    ];
    // The certificate first, read from disk, so that a name it lacks fails here without a CONNECT.
    const san = new X509Certificate(readFileSync(join(kluis.dataDir, "server.pem"))).subjectAltName ?? "";
    for (const name of [
      "*.vault.azure.net",
      "login.microsoftonline.com",
      "management.azure.com",
      "graph.microsoft.com",
      "kluis.example",
      "*.kluis.example",
    ])
      assert.ok(san.split(", ").includes(`DNS:${name}`), `certificate lacks ${name}: ${san}`);
    for (const name of routed)
      assert.match(await healthThroughTunnel(kluis, name), /^HTTP\/1\.1 200 [^]*"status":"ok"/, name);
    assert.match(await healthThroughTunnel(kluis, "myvault.localhost", kluis.info.port), /^HTTP\/1\.1 200 /);
    assert.match(await healthThroughTunnel(kluis, "localhost", kluis.info.port), /^HTTP\/1\.1 200 /);
  });

  it("answers other methods with 405", async () => {
    const socket = connect(kluis.info.proxyPort, "127.0.0.1");
    const head = await new Promise<string>((resolve, reject) => {
      let text = "";
      socket.on("data", (d) => (text += d));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
      socket.write("GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
    });
    assert.match(head, /^HTTP\/1\.1 405 /);
  });
});
