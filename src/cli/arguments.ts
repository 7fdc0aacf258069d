// Argument conventions of az: `@file` for any JSON value, `--tags a=b c=d`, `--enabled true|false`, ISO dates.
import { existsSync, readFileSync } from "node:fs";
import { CliError } from "./errors.js";
import { errorMessage } from "../http/errors.js";

/** az reads an argument starting with "@" from that file. */
export function argumentText(value: string): string {
  if (!value.startsWith("@")) return value;
  try {
    return readFileSync(value.slice(1), "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${value.slice(1)}: ${errorMessage(err)}`);
  }
}

/** A JSON argument given inline or as @file.json. */
export function jsonArgument(flag: string): (value: string) => Record<string, unknown> {
  return (value) => {
    try {
      return JSON.parse(argumentText(value)) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`argument ${flag}: invalid JSON: ${errorMessage(err)}`);
    }
  };
}

/** `--tags a=b c` → {a: "b", c: ""}; an empty `--tags ""` clears them, as in az. */
export function tagsArgument(values: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const v of values) {
    if (!v) continue;
    const [k, ...rest] = v.split("=");
    tags[k!] = rest.join("=");
  }
  return tags;
}

export function booleanArgument(flag: string): (value: string) => boolean {
  return (value) => {
    const v = value.toLowerCase();
    if (v === "true" || v === "yes" || v === "1") return true;
    if (v === "false" || v === "no" || v === "0") return false;
    throw new CliError(`argument ${flag}: invalid boolean value: '${value}'`);
  };
}

/** An integer; the range is the server's to check, so its message is the one shown. */
export function integerArgument(flag: string): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) throw new CliError(`argument ${flag}: invalid int value: '${value}'`);
    return Number.parseInt(value, 10);
  };
}

/** An ISO-8601 date (az's --expires/--not-before) as Key Vault's epoch seconds. */
export function dateArgument(flag: string): (value: string) => number {
  return (value) => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new CliError(`argument ${flag}: invalid datetime: '${value}'`);
    return Math.floor(ms / 1000);
  };
}

export function choiceArgument<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    const match = choices.find((c) => c.toLowerCase() === value.toLowerCase());
    if (!match)
      throw new CliError(
        `argument ${flag}: invalid choice: '${value}' (choose from ${choices.map((c) => `'${c}'`).join(", ")})`,
      );
    return match;
  };
}

/** Fails like az when an output file exists, rather than overwrite it. */
export function newFile(path: string): string {
  if (existsSync(path)) throw new CliError(`File or directory already exists: ${path}`);
  return path;
}
