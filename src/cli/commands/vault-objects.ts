// What `az keyvault secret|key|certificate` share: show, list, list-versions, the soft-delete cycle, backup and
// restore, and the attributes set-attributes sends. Each group adds its own commands on top.
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { booleanArgument, choiceArgument, dateArgument, newFile, tagsArgument } from "../arguments.js";
import {
  DataPlane,
  objectPath,
  objectRef,
  toBase64Url,
  withObject,
  withVault,
  type VaultOptions,
} from "../data-plane.js";
import { printResult } from "../output.js";
import { stringIn } from "../answers.js";

type Json = Record<string, unknown>;

/** An object type's az group and its wire types (`B` a bundle, `I` a list item), as the server's models name them. */
export interface ObjectKind<B, I> {
  /** "secret", "key" or "certificate": the az group name. */
  what: string;
  /** The REST collection: "secrets", "keys", "certificates". */
  collection: string;
  out(body: B): Json;
  itemOut(body: I): Json;
}

export type ObjectOptions = VaultOptions & { name?: string; version?: string };

/** The data plane of the object's vault and the object's reference. */
export function target(o: ObjectOptions) {
  const ref = objectRef(o);
  return { dp: DataPlane.forVault(o, ref.vault), ref };
}

/** Registers a command with az's help example; every group command is made this way. */
export function command(group: Command, name: string, description: string, example: string): Command {
  return group.command(name).description(description).addHelpText("after", `\nExample:\n  ${example}`);
}

const maxResults = (cmd: Command) =>
  cmd.option("--maxresults <n>", "maximum number of items to return", (v) => Number.parseInt(v, 10));

export function sharedObjectCommands<B, I>(
  group: Command,
  kind: ObjectKind<B, I>,
  opts: { listQuery?: (o: Json) => Record<string, string | undefined> } = {},
): void {
  const { what, collection } = kind;
  const deleted = `deleted${collection}`;
  const sample = `kluis keyvault ${what}`;

  withObject(
    command(group, "show", `Get a ${what}`, `${sample} show --vault-name myvault --name my${what}`),
    what,
  ).action(async (o) => {
    const { dp, ref } = target(o);
    printResult(kind.out((await dp.call("GET", objectPath(collection, ref))) as B));
  });

  const list = withVault(
    maxResults(
      command(group, "list", `List the ${what}s of a vault`, `${sample} list --vault-name myvault --query "[].name"`),
    ),
  );
  if (what === "certificate")
    list.option(
      "--include-pending <bool>",
      "include certificates not yet complete",
      booleanArgument("--include-pending"),
    );
  list.action(async (o) => {
    const dp = DataPlane.forVault(o, o.vaultName);
    printResult(
      (await dp.list<I>(`/${collection}`, opts.listQuery?.(o) ?? {}, o.maxresults)).map((item) => kind.itemOut(item)),
    );
  });

  withObject(
    maxResults(
      command(
        group,
        "list-versions",
        `List the versions of a ${what}`,
        `${sample} list-versions --vault-name myvault --name my${what}`,
      ),
    ),
    what,
    { version: false },
  ).action(async (o) => {
    const { dp, ref } = target(o);
    printResult(
      (await dp.list<I>(`${objectPath(collection, ref)}/versions`, {}, o.maxresults)).map((item) => kind.itemOut(item)),
    );
  });

  withObject(
    command(
      group,
      "delete",
      `Delete a ${what} (soft delete: recover or purge it later)`,
      `${sample} delete --vault-name myvault --name my${what}`,
    ),
    what,
    {
      version: false,
    },
  ).action(async (o) => {
    const { dp, ref } = target(o);
    printResult(kind.out((await dp.call("DELETE", objectPath(collection, ref))) as B));
  });

  withObject(
    command(group, "recover", `Recover a deleted ${what}`, `${sample} recover --vault-name myvault --name my${what}`),
    what,
    { version: false },
  ).action(async (o) => {
    const { dp, ref } = target(o);
    printResult(kind.out((await dp.call("POST", `${objectPath(deleted, ref)}/recover`)) as B));
  });

  withObject(
    command(
      group,
      "purge",
      `Permanently delete a deleted ${what}`,
      `${sample} purge --vault-name myvault --name my${what}`,
    ),
    what,
    { version: false },
  ).action(async (o) => {
    const { dp, ref } = target(o);
    await dp.call("DELETE", objectPath(deleted, ref));
  });

  withVault(
    maxResults(
      command(
        group,
        "list-deleted",
        `List the deleted ${what}s of a vault`,
        `${sample} list-deleted --vault-name myvault`,
      ),
    ),
  ).action(async (o) => {
    const dp = DataPlane.forVault(o, o.vaultName);
    printResult((await dp.list<I>(`/${deleted}`, {}, o.maxresults)).map((item) => kind.itemOut(item)));
  });

  withObject(
    command(
      group,
      "show-deleted",
      `Get a deleted ${what}`,
      `${sample} show-deleted --vault-name myvault --name my${what}`,
    ),
    what,
    { version: false },
  ).action(async (o) => {
    const { dp, ref } = target(o);
    printResult(kind.out((await dp.call("GET", objectPath(deleted, ref))) as B));
  });

  withObject(
    command(
      group,
      "backup",
      `Back up every version of a ${what} to a file`,
      `${sample} backup --vault-name myvault --name my${what} --file my${what}.bak`,
    ),
    what,
    {
      version: false,
    },
  )
    .requiredOption("-f, --file <path>", "file to write the backup blob to")
    .action(async (o) => {
      const { dp, ref } = target(o);
      const file = newFile(o.file);
      const answer = await dp.call("POST", `${objectPath(collection, ref)}/backup`);
      writeFileSync(file, Buffer.from(stringIn(answer, "value"), "base64url"));
    });

  withVault(
    command(
      group,
      "restore",
      `Restore a backed-up ${what}`,
      `${sample} restore --vault-name myvault --file my${what}.bak`,
    ),
  )
    .requiredOption("-f, --file <path>", "backup file to restore")
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      printResult(
        kind.out((await dp.call("POST", `/${collection}/restore`, { value: toBase64Url(readFileSync(o.file)) })) as B),
      );
    });
}

/** The options every set-attributes (and secret set / key create) takes for Key Vault's attributes and tags. */
export function withAttributeOptions(cmd: Command, opts: { dates?: boolean; enabled?: boolean } = {}): Command {
  if (opts.enabled !== false)
    cmd.option("--enabled <bool>", "enable or disable the object", booleanArgument("--enabled"));
  if (opts.dates !== false) {
    cmd.option("--expires <datetime>", "expiry, ISO-8601 (e.g. 2030-01-01T00:00:00Z)", dateArgument("--expires"));
    cmd.option("--not-before <datetime>", "not valid before, ISO-8601", dateArgument("--not-before"));
  }
  return cmd.option("--tags <tags...>", 'space-separated tags: key[=value] ...; "" clears them');
}

/** REST's {attributes, tags} from the options above (only what was given). */
export function attributesBody(o: {
  enabled?: boolean;
  disabled?: boolean;
  expires?: number;
  notBefore?: number;
  tags?: string[];
}): Json {
  const attributes: Json = {};
  if (o.enabled !== undefined) attributes.enabled = o.enabled;
  if (o.disabled) attributes.enabled = false;
  if (o.expires !== undefined) attributes.exp = o.expires;
  if (o.notBefore !== undefined) attributes.nbf = o.notBefore;
  return {
    ...(Object.keys(attributes).length ? { attributes } : {}),
    ...(o.tags ? { tags: tagsArgument(o.tags) } : {}),
  };
}

/** az's `download` of a certificate or public key: the object's DER, or PEM with the given label, to a new file. */
export function downloadCommand<B, I>(
  group: Command,
  kind: ObjectKind<B, I>,
  description: string,
  pemLabel: string,
  derOf: (body: B) => Buffer,
): Command {
  const { what, collection } = kind;
  return withObject(
    command(
      group,
      "download",
      description,
      `kluis keyvault ${what} download --vault-name myvault --name my${what} --file ${what}.pem`,
    ),
    what,
  )
    .requiredOption("-f, --file <path>", "file to write to")
    .option("-e, --encoding <encoding>", "PEM or DER", choiceArgument("--encoding", ["PEM", "DER"] as const), "PEM")
    .action(async (o) => {
      const { dp, ref } = target(o);
      const file = newFile(o.file);
      const der = derOf((await dp.call("GET", objectPath(collection, ref))) as B);
      const pem = `-----BEGIN ${pemLabel}-----\n${der.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END ${pemLabel}-----\n`;
      writeFileSync(file, o.encoding === "DER" ? der : pem);
    });
}
