// Output as `az` prints it: `--query` (JMESPath) applied first, then `--output json|jsonc|table|tsv|none`.
import type { Command } from "commander";
import { createRequire } from "node:module";
import { CliError } from "./errors.js";
import { errorMessage } from "../http/errors.js";
import { isJsonObject } from "../http/body.js";

export const OUTPUT_FORMATS = ["json", "jsonc", "table", "tsv", "none"] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const settings: { output: OutputFormat; query?: string } = { output: "json" };

/** Adds `--output`/`--query` to the program; commander accepts program options after any subcommand too. */
export function withOutputOptions(program: Command): void {
  program
    .option("-o, --output <format>", `output format: ${OUTPUT_FORMATS.join(", ")}`, "json")
    .option("--query <jmespath>", 'JMESPath query applied to the output, e.g. "[].name"')
    // Accepted so that commands copied from az run; kluis prints no warnings to silence.
    .option("--only-show-errors", "show only errors, no warnings")
    .hook("preAction", (_program, action) => {
      const o = action.optsWithGlobals() as { output: string; query?: string };
      const output = OUTPUT_FORMATS.find((f) => f === o.output);
      if (output === undefined) {
        throw new CliError(
          `argument --output/-o: invalid choice: '${o.output}' (choose from ${OUTPUT_FORMATS.map((f) => `'${f}'`).join(", ")})`,
        );
      }
      settings.output = output;
      settings.query = o.query;
    });
}

/** Prints a command's result in the chosen format; commands with no result (az prints nothing) pass undefined. */
export function printResult(value: unknown): void {
  if (value === undefined) return;
  let result: unknown = value;
  if (settings.query) {
    try {
      // Loaded on use: `kluis server start` (and every command without --query) does not pay for it.
      const jmespath = createRequire(import.meta.url)("jmespath") as typeof import("jmespath");
      result = jmespath.search(value, settings.query) as unknown;
    } catch (err) {
      throw new CliError(`argument --query: invalid jmespath_type value: '${settings.query}' (${errorMessage(err)})`);
    }
  }
  const text = format(result, settings.output);
  if (text) process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

function format(value: unknown, output: OutputFormat): string {
  switch (output) {
    case "none":
      return "";
    case "json":
      return JSON.stringify(value ?? null, null, 2);
    case "jsonc":
      return colorJson(JSON.stringify(value ?? null, null, 2));
    case "table":
      return table(value);
    case "tsv":
      return tsv(value);
  }
}

const COLORS = { key: "\x1b[94m", string: "\x1b[32m", other: "\x1b[36m", reset: "\x1b[0m" };

function colorJson(json: string): string {
  return json.replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g,
    (match, str?: string, colon?: string) => {
      if (str) return colon ? `${COLORS.key}${str}${COLORS.reset}${colon}` : `${COLORS.string}${str}${COLORS.reset}`;
      return `${COLORS.other}${match}${COLORS.reset}`;
    },
  );
}

const isScalar = (v: unknown) => v === null || typeof v !== "object";
/** Python's str() of a scalar, which az's table and tsv output use. */
const pyStr = (v: unknown) =>
  v === true ? "True" : v === false ? "False" : v === null || v === undefined ? "" : String(v);

// az's automatic table: one row per object with its scalar fields (sorted unless --query chose them), no ids.
const TABLE_SKIP_KEYS = ["id", "type", "etag"];

function tableRow(item: unknown): Map<string, string> {
  const row = new Map<string, string>();
  if (Array.isArray(item)) item.forEach((v, i) => row.set(`Column${i + 1}`, pyStr(v)));
  else if (isJsonObject(item)) {
    const keys = settings.query ? Object.keys(item) : Object.keys(item).sort();
    for (const k of keys) {
      const v = item[k];
      if (!TABLE_SKIP_KEYS.includes(k) && v !== null && v !== undefined && isScalar(v))
        row.set(k.charAt(0).toUpperCase() + k.slice(1), pyStr(v));
    }
  } else row.set("Result", pyStr(item));
  return row;
}

function table(value: unknown): string {
  if (value === null || value === undefined) return "";
  const rows = (Array.isArray(value) ? value : [value]).map(tableRow);
  const columns = [...new Set(rows.flatMap((r) => [...r.keys()]))];
  if (columns.length === 0) return "";
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r.get(c) ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [
    line(columns),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map((r) => line(columns.map((c) => r.get(c) ?? ""))),
  ].join("\n");
}

// az's tsv: one line per item; an object's values in key order, nested lists as their length, nested objects empty.
function tsvCell(v: unknown): string {
  if (Array.isArray(v)) return String(v.length);
  if (v && typeof v === "object") return "";
  return pyStr(v);
}

function tsv(value: unknown): string {
  if (value === null || value === undefined) return "";
  const items = Array.isArray(value) ? value : [value];
  return items
    .map((item) => {
      if (Array.isArray(item)) return item.map(tsvCell).join("\t");
      if (isJsonObject(item)) {
        const keys = settings.query ? Object.keys(item) : Object.keys(item).sort();
        return keys.map((k) => tsvCell(item[k])).join("\t");
      }
      return tsvCell(item);
    })
    .join("\n");
}

/** A progress line on stderr while a long operation runs, as az's "- Running ..". */
export function progress(message: string): { done(): void } {
  const tty = process.stderr.isTTY;
  process.stderr.write(tty ? `\r- ${message} ..` : `- ${message} ..\n`);
  return { done: () => void (tty && process.stderr.write("\r\x1b[K")) };
}
