// Kluis nodes on one throwaway PostgreSQL database, as a cluster is run: every node gets the same master key, since
// each opens the rows the others sealed.
import { randomBytes } from "node:crypto";
import { Kluis } from "./kluis.js";
import { Postgres } from "./postgres.js";

/** A describe's options when it needs PostgreSQL: skipped, saying why, where its server binaries are not installed. */
export const needsPostgres = { skip: !Postgres.available() && "PostgreSQL server binaries are not installed" };

export class Cluster {
  readonly nodes: Kluis[] = [];
  /** What every node runs with (the shared master key): for another process that opens the same database. */
  readonly env: NodeJS.ProcessEnv = { KLUIS_MASTER_KEY: randomBytes(32).toString("hex") };

  private constructor(readonly pg: Postgres) {}

  /** Starts PostgreSQL, then `n` nodes on it one after the other (with `args` too); a failed start stops what did start. */
  static async start(n: number, args: string[] = []): Promise<Cluster> {
    const cluster = new Cluster(await Postgres.start());
    try {
      for (let i = 0; i < n; i++)
        cluster.nodes.push(await Kluis.start({ args: ["--postgres", cluster.pg.url, ...args], env: cluster.env }));
    } catch (err) {
      await cluster.dispose();
      throw err;
    }
    return cluster;
  }

  /** Stops and removes every node, then PostgreSQL. */
  async dispose(): Promise<void> {
    for (const node of this.nodes) await node.dispose();
    this.pg.stop();
  }
}

/** `n` nodes on one new PostgreSQL database (see Cluster.start). */
export const startCluster = (n: number, args?: string[]) => Cluster.start(n, args);
