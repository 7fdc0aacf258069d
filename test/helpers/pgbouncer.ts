// A throwaway PgBouncer (Debian's, 1.18) in front of a throwaway PostgreSQL, pooling by transaction: each transaction
// (or statement outside one) of a client runs on whichever server connection is free, and a client's prepared
// statements are not kept for it (PgBouncer keeps them only from 1.21, with max_prepared_statements set).
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { asPostgresUser, chownToPostgres, freePort, type Postgres } from "./postgres.js";

const BIN = "/usr/sbin/pgbouncer";

export class PgBouncer {
  private constructor(
    private readonly process: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static available(): boolean {
    return existsSync(BIN);
  }

  /** Pools `serverConnections` connections to PostgreSQL for every client. */
  static async start(pg: Postgres, serverConnections: number): Promise<PgBouncer> {
    const dir = mkdtempSync(join(tmpdir(), "kluis-pgbouncer-"));
    chmodSync(dir, 0o755);
    const port = await freePort();
    writeFileSync(join(dir, "users.txt"), '"postgres" ""\n');
    writeFileSync(
      join(dir, "pgbouncer.ini"),
      [
        "[databases]",
        `kluis = host=127.0.0.1 port=${pg.port} dbname=kluis user=postgres`,
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        `listen_port = ${port}`,
        "unix_socket_dir =",
        "auth_type = trust",
        `auth_file = ${join(dir, "users.txt")}`,
        "pool_mode = transaction",
        `default_pool_size = ${serverConnections}`,
        // Kluis's serving limits travel as startup parameters, which PgBouncer refuses unless told to drop them.
        "ignore_startup_parameters = statement_timeout,idle_in_transaction_session_timeout",
        `logfile = ${join(dir, "log")}`,
        "",
      ].join("\n"),
    );
    chownToPostgres(dir, join(dir, "users.txt"), join(dir, "pgbouncer.ini"));
    const child = spawn(...asPostgresUser(BIN, [join(dir, "pgbouncer.ini")]), { stdio: "ignore" });
    const bouncer = new PgBouncer(child, dir, port);
    for (let waited = 0; !(await bouncer.listening()); waited += 100) {
      if (waited > 10_000 || child.exitCode !== null) {
        bouncer.stop();
        throw new Error(`PgBouncer did not start (exit ${child.exitCode})`);
      }
      await sleep(100);
    }
    return bouncer;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/kluis`;
  }

  private listening(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
  }

  stop(): void {
    this.process.kill("SIGTERM");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
