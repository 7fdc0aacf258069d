// `kluis monitor audit list|verify|tail`: the server's audit log (administrators only), in the spirit of
// `az monitor log-analytics query` over Key Vault's AuditEvent category.
import type { Command } from "commander";
import { connect, withConnection, type ConnectionOptions } from "../client.js";
import { CliError } from "../errors.js";
import { Management } from "../management.js";
import { printResult } from "../output.js";
import { listIn, objectIn, stringIn } from "../answers.js";

const UNITS = new Map([
  ["s", 1],
  ["m", 60],
  ["h", 3600],
  ["d", 86_400],
]);

/** `--since 1h` (s, m, h, d) or an ISO 8601 date and time, as an ISO string. */
function sinceOf(text: string): string {
  const relative = /^(\d+)([smhd])$/.exec(text);
  const unit = UNITS.get(relative?.[2] ?? "");
  if (relative && unit !== undefined) return new Date(Date.now() - Number(relative[1]) * unit * 1000).toISOString();
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw new CliError(`argument --since: '${text}' is neither a duration (30m, 1h, 7d) nor a date and time.`);
  return new Date(at).toISOString();
}

function auditPath(o: { vault?: string; caller?: string; operation?: string; since?: string; top?: string }): string {
  const q = new URLSearchParams();
  if (o.vault) q.set("vault", o.vault);
  if (o.caller) q.set("caller", o.caller);
  if (o.operation) q.set("operation", o.operation);
  if (o.since) q.set("since", sinceOf(o.since));
  if (o.top) q.set("top", o.top);
  return `/kluis/audit?${q}`;
}

export function monitorCommands(program: Command): void {
  const audit = program
    .command("monitor")
    .description("Monitor the server")
    .command("audit")
    .description("The audit log (AuditEvent entries; administrators only)");
  const mgmt = (o: ConnectionOptions) => new Management(connect(o));
  const filtered = (cmd: Command) =>
    withConnection(cmd)
      .option("--vault <name>", "entries of one vault")
      .option("--caller <id>", "entries of one caller: object id, application id or user principal name")
      .option("--operation <name>", "entries of one operation, e.g. SecretGet");

  filtered(audit.command("list"))
    .description("List audit entries, newest first")
    .option("--since <when>", "entries since a duration ago (30m, 1h, 7d) or a date and time")
    .option("--top <n>", "at most this many entries (default 1000)")
    .addHelpText(
      "after",
      "\nExample:\n  kluis monitor audit list --vault myvault --operation SecretGet --since 1h -o table",
    )
    .action(async (o) => printResult(listIn(await mgmt(o).call("GET", auditPath(o)))));

  withConnection(audit.command("verify"))
    .description("Check every node's chain of entries; exit status 1 and the first bad entry when one is broken")
    .addHelpText("after", "\nExample:\n  kluis monitor audit verify")
    .action(async (o) => {
      const result = objectIn(await mgmt(o).call("GET", "/kluis/audit/verify"));
      printResult(result);
      if (result.ok !== true) process.exitCode = 1;
    });

  filtered(audit.command("tail"))
    .description("Print new audit entries as JSON lines as they come (for a SIEM); runs until stopped")
    .option("--since <when>", "start from a duration ago (30m, 1h, 7d) or a date and time instead of now")
    .option("--interval <seconds>", "seconds between polls", "2")
    .addHelpText("after", "\nExample:\n  kluis monitor audit tail --vault myvault >> audit.jsonl")
    .action(async (o) => {
      const interval = Number(o.interval);
      if (!(interval > 0)) throw new CliError("argument --interval: a positive number of seconds.");
      const m = mgmt(o);
      let since = o.since ? sinceOf(o.since) : new Date().toISOString();
      let seen = new Set<string>(); // entries at `since` already printed
      for (;;) {
        const entries = listIn(await m.call("GET", auditPath({ ...o, since, top: "10000" })));
        for (const entry of entries.reverse()) {
          const key = `${stringIn(entry, "nodeId")}:${String(entry.seq)}`;
          if (seen.has(key)) continue;
          process.stdout.write(JSON.stringify(entry) + "\n");
          const time = stringIn(entry, "time");
          if (time !== since) {
            since = time;
            seen = new Set();
          }
          seen.add(key);
        }
        await new Promise((resolve) => setTimeout(resolve, interval * 1000));
      }
    });
}
