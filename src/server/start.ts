// `kluis server start`: open the data directory, serve HTTPS (and the CONNECT proxy), stop cleanly on a signal.
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { FastifyBaseLogger } from "fastify";
import { warmKeyPool } from "../crypto/key-pool.js";
import type { ThrottleLimits } from "../http/throttling.js";
import { AuditLog } from "../audit/log.js";
import { DeliveryWorker } from "../events/delivery.js";
import { describeSmtpUrl, smtpMailer } from "../mail/transport.js";
import { buildApp } from "./app.js";
import { writeClientTrust } from "./client-trust.js";
import { nodeId, openContext } from "./bootstrap.js";
import { proxyConnections } from "./connection-limits.js";
import { dataDir, ensureDataDir, type DataDir, type ServerInfo } from "./data-dir.js";
import { clientEnvironment } from "./environment.js";
import { runLifetimeActions, startLifetimeActions } from "./lifetime-actions.js";
import { lockDataDir } from "./lock.js";
import { startConnectProxy } from "./proxy.js";
import { startPurgeSweeper, sweepDeletions } from "./purge-sweeper.js";
import { safeOutput, type LineSink } from "./safe-output.js";
import { every } from "./schedule.js";
import { ensureTls } from "./tls.js";
import { errorMessage } from "../http/errors.js";

export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

export interface StartOptions {
  dataDir: string;
  port: number;
  host: string;
  proxyPort?: number;
  hostnames: string[];
  postgresUrl?: string;
  /** Connections to PostgreSQL this node opens at most (store/postgres.ts's default unless given). */
  postgresPoolSize?: number;
  logLevel: string;
  strictSecretValidity?: boolean;
  /** See connection-limits.ts for the default. */
  maxConnections: number;
  /** Key Vault's service limits; none when absent. */
  throttling?: ThrottleLimits;
  /** Days audit entries are kept (default 90). */
  auditRetentionDays?: number;
  /** Lets administrators shift the clock of scheduled work (POST /kluis/clock): for tests only. */
  testClock?: boolean;
  /** A bearer that may scrape /metrics besides the administrators (--metrics-token-file). */
  metricsToken?: string;
  /** The SMTP relay certificate contacts are mailed through (--smtp-url); without it mail is off. */
  smtpUrl?: URL;
}

/** How often each node looks for due deliveries in the event queue. */
const DELIVERY_POLL_MS = 1000;

export async function startServer(
  opts: StartOptions,
  log: LineSink,
): Promise<{ info: ServerInfo; stop: () => Promise<void> }> {
  const dir = dataDir(opts.dataDir);
  // Everything the server creates from here on (the store's WAL and SHM files, certificates, server.json) is
  // owner-only, as ensureDataDir makes what is already there.
  process.umask(0o077);
  ensureDataDir(dir);
  const unlock = lockDataDir(dir);
  try {
    return await serve(opts, dir, log, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}

async function serve(
  opts: StartOptions,
  dir: DataDir,
  log: LineSink,
  unlock: () => void,
): Promise<{ info: ServerInfo; stop: () => Promise<void> }> {
  // PostgreSQL may end an idle connection at any time (a restart, a failover); the app's logger exists once it is built.
  let appLog: FastifyBaseLogger | undefined;
  const onDatabaseError = (err: Error) => appLog?.warn({ reason: err.message }, "database connection lost");
  // The store and the TLS material are independent: a first start makes the token key (on the thread pool) while it
  // makes the CA, the server certificate and the client trust files.
  const hostnames = opts.hostnames.map((h) => h.toLowerCase());
  const [ctx, tls] = await Promise.all([
    openContext(dir, {
      postgresUrl: opts.postgresUrl,
      postgresPoolSize: opts.postgresPoolSize,
      hostnames,
      strictSecretValidity: opts.strictSecretValidity,
      throttling: opts.throttling,
      onDatabaseError,
      testClock: opts.testClock,
    }),
    ensureTls(dir, hostnames).then((tls) => {
      writeClientTrust(dir);
      return tls;
    }),
  ]);
  // A lost batch is never silent: the request was answered, the loss is counted here (never the entries' content).
  const audit = await AuditLog.open(ctx.store, nodeId(dir), (lost, err) =>
    appLog?.error({ lost, reason: errorMessage(err) }, "audit entries lost: the store refused their write"),
  );
  ctx.audit = audit;
  const now = () => ctx.clock.now();
  const auditRetentionDays = opts.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
  // Webhooks and the relay are trusted as clients trust Kluis: the system's CAs plus Kluis's own.
  const ca = readFileSync(dir.caBundle, "utf8");
  const mailer = opts.smtpUrl && smtpMailer(opts.smtpUrl, ca);
  const mail = mailer !== undefined;
  const deliveries = new DeliveryWorker({
    store: ctx.store,
    nodeId: nodeId(dir),
    now,
    ca,
    mailer,
    onError: (err) => appLog?.error({ reason: errorMessage(err) }, "event delivery bookkeeping failed"),
  });
  const sweepNow = async () => {
    await ctx.audit?.flush();
    await sweepDeletions(ctx.store, now(), auditRetentionDays);
    await runLifetimeActions(ctx.store, now(), mail, (err) => appLog?.error({ err }, "lifetime actions failed"));
    // What the shifted clock made due is delivered before the clock route answers.
    await deliveries.poll();
  };
  const app = await buildApp(ctx, tls, {
    logLevel: opts.logLevel,
    stream: log,
    maxConnections: opts.maxConnections,
    sweepNow,
    audit,
    webhookCa: ca,
    metrics: process.env.KLUIS_METRICS === "off" ? false : { token: opts.metricsToken },
  });
  appLog = app.log;
  if (opts.smtpUrl) app.log.info({ relay: describeSmtpUrl(opts.smtpUrl) }, "certificate contacts are mailed");
  else app.log.warn("e-mail to certificate contacts is off: start with --smtp-url (or KLUIS_SMTP_URL) to turn it on");
  await app.listen({ port: opts.port, host: opts.host });
  const port = (app.server.address() as AddressInfo).port;
  const proxy =
    opts.proxyPort === undefined
      ? undefined
      : await startConnectProxy({
          port: opts.proxyPort,
          host: "127.0.0.1",
          kluisPort: port,
          hostnames: ctx.hostnames,
          maxConnections: proxyConnections(opts.maxConnections),
        });
  warmKeyPool();
  const stopSweeper = startPurgeSweeper(ctx.store, { intervalMs: 60_000, now, auditRetentionDays }, (err) =>
    app.log.error({ err }, "purge sweep failed"),
  );
  const stopLifetimeActions = startLifetimeActions(ctx.store, { intervalMs: 60_000, now, mail }, (err) =>
    app.log.error({ err }, "lifetime actions failed"),
  );
  const deliveryFailed = (err: unknown) => app.log.error({ reason: errorMessage(err) }, "event delivery poll failed");
  const stopDeliveries = every(DELIVERY_POLL_MS, () => deliveries.poll(), deliveryFailed);
  const stopPruning = every(3_600_000, () => deliveries.prune(), deliveryFailed);

  const info: ServerInfo = {
    url: port === 443 ? "https://localhost" : `https://localhost:${port}`,
    port,
    ...(proxy ? { proxyPort: proxy.port } : {}),
    caFile: dir.caCert,
    caBundleFile: dir.caBundle,
    javaTrustStoreFile: dir.javaTrustStore,
    tenantId: ctx.tokens.tenantId,
    subscriptionId: ctx.subscriptionId,
    pid: process.pid,
  };
  // Written whole, then renamed: the CLI and tests read it as soon as it exists.
  writeFileSync(`${dir.serverInfo}.tmp`, JSON.stringify(info, null, 2) + "\n");
  renameSync(`${dir.serverInfo}.tmp`, dir.serverInfo);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await stopSweeper();
      await stopLifetimeActions();
      await stopDeliveries();
      await stopPruning();
      mailer?.close();
      await proxy?.close();
      await app.close();
      await ctx.audit?.flush();
      await ctx.store.close();
      rmSync(dir.serverInfo, { force: true });
      unlock();
    })());
  return { info, stop };
}

/** Runs until SIGINT/SIGTERM, printing where the server is and what a client exports. */
export async function runServer(opts: StartOptions): Promise<void> {
  const stdout = safeOutput(1);
  const stderr = safeOutput(2);
  const { info, stop } = await startServer(opts, stdout);
  stdout.write(
    `Kluis is listening on ${info.url}${info.proxyPort ? ` (CONNECT proxy on 127.0.0.1:${info.proxyPort})` : ""}\n` +
      `CA certificate: ${info.caFile}\n` +
      `Tenant: ${info.tenantId}\n\n` +
      `A client exports:\n${clientEnvironment(info)}\n`,
  );
  const onSignal = (signal: NodeJS.Signals) => {
    stdout.write(`Received ${signal}, shutting down.\n`);
    stop().then(
      () => process.exit(0),
      (err) => {
        stderr.write(`shutdown failed: ${errorMessage(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
}
