// A throwaway PostgreSQL server for tests: its own cluster in a temporary directory, on a free loopback port,
// run as the `postgres` system user (PostgreSQL refuses to run as root).
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

function binDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort().pop();
  return version && join(root, version, "bin");
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `cmd args` as the `postgres` system user when this process is root: PostgreSQL (and PgBouncer) refuse root. */
export function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}

/** Gives `paths` to the `postgres` system user when this process is root, so that what runs as it may use them. */
export function chownToPostgres(...paths: string[]): void {
  if (userInfo().uid !== 0) return;
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
  for (const path of paths) chownSync(path, uid, uid);
}

/** Process ids whose parent is `parent`, from /proc. */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The field after the parenthesised command name (which may hold spaces) is the state, then the parent's id.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === parent) children.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return children;
}

export class Postgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Undefined when PostgreSQL's server binaries are not installed (scripts/test-prerequisites.sh installs them). */
  static available(): boolean {
    return binDir() !== undefined;
  }

  static async start(): Promise<Postgres> {
    const bin = binDir();
    if (!bin) throw new Error("PostgreSQL is not installed");
    const dir = mkdtempSync(join(tmpdir(), "kluis-pg-"));
    chmodSync(dir, 0o755);
    chownToPostgres(dir);
    new Postgres(bin, dir, 0).asPostgres(
      "initdb",
      "-D",
      join(dir, "data"),
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
    );
    // The free port is released before PostgreSQL binds it, and any connection made on the machine meanwhile may take
    // it as its local port: a start refused for that tries another port.
    for (let attempt = 1; ; attempt++) {
      const pg = new Postgres(bin, dir, await freePort());
      const logged = pg.log().length;
      try {
        await pg.startServer();
      } catch (err) {
        if (attempt < 5 && pg.log().slice(logged).includes("Address already in use")) continue;
        throw err;
      }
      pg.asPostgres("createdb", "-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "kluis");
      return pg;
    }
  }

  /** Runs one statement in the `kluis` database on a connection of its own; its rows. */
  async query(text: string, values: unknown[] = []): Promise<unknown[]> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** The server's log so far (pg_ctl appends every start's). */
  log(): string {
    const file = join(this.dir, "log");
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  }

  private asPostgres(tool: string, ...args: string[]): void {
    const [cmd, argv] = this.command(tool, args);
    execFileSync(cmd, argv, { stdio: "pipe" });
  }

  /** Like asPostgres, without blocking the event loop: what the test drives keeps running meanwhile. */
  private async asPostgresAsync(tool: string, ...args: string[]): Promise<void> {
    const [cmd, argv] = this.command(tool, args);
    await promisify(execFile)(cmd, argv);
  }

  private command(tool: string, args: string[]): [string, string[]] {
    return asPostgresUser(join(this.bin, tool), args);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/kluis`;
  }

  /**
   * Stops the server, keeping its data directory and port for startServer(): `fast` is an orderly shutdown that ends
   * every session (57P01), `immediate` kills the backends without a checkpoint, as a crash would (recovery on start).
   */
  stopServer(mode: "fast" | "immediate"): Promise<void> {
    return this.asPostgresAsync("pg_ctl", "-D", join(this.dir, "data"), "-m", mode, "-w", "stop");
  }

  /** Starts the server (again) on the same data directory and port. */
  startServer(): Promise<void> {
    return this.asPostgresAsync(
      "pg_ctl",
      "-D",
      join(this.dir, "data"),
      "-l",
      join(this.dir, "log"),
      "-w",
      "-o",
      `-p ${this.port} -k ${this.dir} -h 127.0.0.1 -F`,
      "start",
    );
  }

  /**
   * Freezes (SIGSTOP) or thaws (SIGCONT) the server and every backend: connections stay open and nothing answers, as
   * when the database host hangs or the network drops packets without a reset.
   */
  signalAll(signal: "SIGSTOP" | "SIGCONT"): void {
    const postmaster = Number(readFileSync(join(this.dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
    for (const pid of [postmaster, ...childrenOf(postmaster)]) process.kill(pid, signal);
  }

  /** Whether the server is running (`pg_ctl status` exits non-zero when it is not). */
  running(): boolean {
    try {
      this.asPostgres("pg_ctl", "-D", join(this.dir, "data"), "status");
      return true;
    } catch {
      return false;
    }
  }

  /** Stops the server for good (when it runs) and removes its cluster. */
  stop(): void {
    try {
      if (this.running()) this.asPostgres("pg_ctl", "-D", join(this.dir, "data"), "-m", "fast", "-w", "stop");
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
