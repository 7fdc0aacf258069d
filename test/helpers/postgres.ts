// A throwaway PostgreSQL server for tests: its own cluster in a temporary directory, on a free loopback port,
// run as the `postgres` system user (PostgreSQL refuses to run as root).
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

function binDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort().pop();
  return version && join(root, version, "bin");
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
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
    const pg = new Postgres(bin, dir, await freePort());
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
    if (userInfo().uid === 0) chownSync(dir, uid, uid);
    pg.asPostgres("initdb", "-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync");
    pg.asPostgres("pg_ctl", "-D", join(dir, "data"), "-l", join(dir, "log"), "-w", "-o", `-p ${pg.port} -k ${dir} -h 127.0.0.1 -F`, "start");
    pg.asPostgres("createdb", "-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "kluis");
    return pg;
  }

  private asPostgres(tool: string, ...args: string[]): void {
    const cmd = join(this.bin, tool);
    if (userInfo().uid === 0) execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: "pipe" });
    else execFileSync(cmd, args, { stdio: "pipe" });
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/kluis`;
  }

  stop(): void {
    try {
      this.asPostgres("pg_ctl", "-D", join(this.dir, "data"), "-m", "fast", "-w", "stop");
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
