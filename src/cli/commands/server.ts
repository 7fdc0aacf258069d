// `kluis server start`, `kluis server env` and `kluis server copy-store`.
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { masterKeyFile } from "../../crypto/sealing.js";
import { parseThrottling } from "../../http/throttling.js";
import { defaultMaxConnections } from "../../server/connection-limits.js";
import { dataDir, defaultDataDir, runningServer, type DataDir } from "../../server/data-dir.js";
import { clientEnvironment } from "../../server/environment.js";
import { CliError } from "../errors.js";
import { printResult } from "../output.js";
import { errorMessage } from "../../http/errors.js";

const collect = (value: string, previous: string[]) => [...previous, value];
const positiveInteger = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`invalid number: ${value}`);
  return n;
};
const portNumber = (value: string) => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`invalid port: ${value}`);
  return port;
};

export function serverCommands(program: Command): void {
  const server = program.command("server").description("Run the Kluis server");

  server
    .command("start")
    .description("Start Kluis over HTTPS on its embedded store (or PostgreSQL with --postgres)")
    .option("--port <port>", "HTTPS port", portNumber, 8443)
    .option("--host <address>", "address to listen on", "localhost")
    .option("--data-dir <dir>", "data directory (env KLUIS_DATA_DIR)", defaultDataDir())
    .option("--proxy-port <port>", "also run an HTTP CONNECT proxy on this port (0 picks a free one)", portNumber)
    .option("--hostname <name>", "another host name the server answers to (repeatable)", collect, [])
    .option(
      "--postgres <url>",
      "PostgreSQL connection URL instead of the SQLite file (env KLUIS_POSTGRES_URL)",
      process.env.KLUIS_POSTGRES_URL,
    )
    .option(
      "--postgres-pool-size <n>",
      "connections to PostgreSQL this node opens at most (env KLUIS_POSTGRES_POOL_SIZE; default 10)",
      positiveInteger,
    )
    .option("--log-level <level>", "fatal, error, warn, info or debug", process.env.KLUIS_LOG_LEVEL ?? "warn")
    .option(
      "--strict-secret-validity",
      "refuse a secret's value outside its nbf/exp window (403), as documented; Key Vault itself returns it (env KLUIS_STRICT_SECRET_VALIDITY=1)",
      process.env.KLUIS_STRICT_SECRET_VALIDITY === "1",
    )
    .option(
      "--max-connections <n>",
      "connections held at once (env KLUIS_MAX_CONNECTIONS; default 512, or half the open-files limit)",
      positiveInteger,
    )
    .option(
      "--throttling <limits>",
      "Key Vault's service limits: off, azure, or azure's with some set per 10 s, e.g. other=50,write=10,keyCreate=5,caller=20 (env KLUIS_THROTTLING)",
      process.env.KLUIS_THROTTLING ?? "off",
    )
    .option(
      "--audit-retention-days <days>",
      "days audit entries are kept (env KLUIS_AUDIT_RETENTION_DAYS)",
      positiveInteger,
      process.env.KLUIS_AUDIT_RETENTION_DAYS ? positiveInteger(process.env.KLUIS_AUDIT_RETENTION_DAYS) : 90,
    )
    .option("--test-clock", "let administrators shift the clock of scheduled work (POST /kluis/clock): for tests only")
    .option(
      "--metrics-token-file <path>",
      "a file holding a bearer token that may scrape /metrics, besides the administrators (env KLUIS_METRICS_TOKEN_FILE)",
      process.env.KLUIS_METRICS_TOKEN_FILE,
    )
    .option(
      "--smtp-url <url>",
      "SMTP relay for certificate contacts' e-mail: smtp[s]://[user:password@]host[:port][?from=ADDRESS] (env KLUIS_SMTP_URL, which keeps the password out of the process list)",
    )
    .addHelpText("after", "\nExample:\n  kluis server start --port 8443 --proxy-port 8080 --data-dir ./data")
    .action(async (o) => {
      // Loaded here so that client commands do not pay for loading the server (Fastify, SQLite, PostgreSQL).
      const { runServer } = await import("../../server/start.js");
      const { readMetricsToken } = await import("../../server/metrics-routes.js");
      const { parseSmtpUrl } = await import("../../mail/transport.js");
      let throttling, metricsToken, smtpUrl;
      try {
        throttling = parseThrottling(o.throttling);
        const smtp = (o.smtpUrl as string | undefined) ?? process.env.KLUIS_SMTP_URL;
        smtpUrl = smtp ? parseSmtpUrl(smtp) : undefined;
        metricsToken = o.metricsTokenFile === undefined ? undefined : readMetricsToken(o.metricsTokenFile);
      } catch (err) {
        throw new CliError(errorMessage(err));
      }
      await runServer({
        dataDir: o.dataDir,
        port: o.port,
        host: o.host,
        proxyPort: o.proxyPort,
        hostnames: o.hostname,
        postgresUrl: o.postgres,
        postgresPoolSize:
          o.postgresPoolSize ??
          (process.env.KLUIS_POSTGRES_POOL_SIZE ? positiveInteger(process.env.KLUIS_POSTGRES_POOL_SIZE) : undefined),
        logLevel: o.logLevel,
        strictSecretValidity: o.strictSecretValidity,
        maxConnections:
          o.maxConnections ??
          (process.env.KLUIS_MAX_CONNECTIONS
            ? positiveInteger(process.env.KLUIS_MAX_CONNECTIONS)
            : defaultMaxConnections()),
        throttling,
        auditRetentionDays: o.auditRetentionDays,
        testClock: o.testClock === true,
        metricsToken,
        smtpUrl,
      });
    });

  server
    .command("env")
    .description('Print the export lines a client shell needs: eval "$(kluis server env)"')
    .option("--data-dir <dir>", "data directory of the running server", defaultDataDir())
    .addHelpText("after", '\nExample:\n  eval "$(kluis server env --data-dir ./data)"')
    .action((o) => {
      const dir = dataDir(o.dataDir);
      const info = runningServer(dir);
      if (!info) throw new CliError(`No running server found in ${dir.root}; start one with 'kluis server start'.`);
      process.stdout.write(clientEnvironment(info) + "\n");
    });

  server
    .command("copy-store")
    .description("Copy a stopped server's SQLite store into an empty PostgreSQL database, to run several nodes on it")
    .option("--data-dir <dir>", "data directory of the stopped server (env KLUIS_DATA_DIR)", defaultDataDir())
    .requiredOption("--to <url>", "PostgreSQL connection URL of an empty database")
    .addHelpText(
      "after",
      "\nExample:\n  kluis server copy-store --data-dir ./data --to postgres://kluis@db.example/kluis",
    )
    .action(async (o) => {
      const dir = dataDir(o.dataDir);
      if (!existsSync(dir.database))
        throw new CliError(`No SQLite store at ${dir.database}: pass the data directory of the server to move.`);
      const running = runningServer(dir);
      if (running)
        throw new CliError(
          `A server (pid ${running.pid}) is running on ${dir.root}; stop it first, so that no write is left behind.`,
        );
      // Loaded here, as for `start`: client commands do not load SQLite and PostgreSQL.
      const { copyStore } = await import("../../store/copy.js");
      printResult({ copied: await copyStore(dir.database, o.to), ...whatNodesNeed(dir) });
    });
}

/** The copy moves the rows only: every node also needs the master key they are sealed under, and the same CA. */
function whatNodesNeed(dir: DataDir): { masterKey: string; caFiles: string } {
  const keyFile = masterKeyFile(dir.root);
  return {
    masterKey: existsSync(keyFile)
      ? `Every node needs KLUIS_MASTER_KEY="$(cat ${keyFile})" (unless the server ran with its own KLUIS_MASTER_KEY: then that one); the copied rows are sealed under it.`
      : "Every node needs the KLUIS_MASTER_KEY the server ran with; the copied rows are sealed under it.",
    caFiles: `Give every node's data directory ${dir.caCert} and ${dir.caKey}, so that clients trusting this CA trust every node.`,
  };
}
