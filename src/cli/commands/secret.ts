// `kluis keyvault secret ...`, with az's flags and output shapes.
import type { DeletedSecretBundle, SecretBundle, SecretItem } from "../../secrets/model.js";
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { choiceArgument, newFile } from "../arguments.js";
import { secretItemOut, secretOut } from "../az-models.js";
import { CliError } from "../errors.js";
import { DataPlane, objectPath, withObject, withVault } from "../data-plane.js";
import { printResult } from "../output.js";
import {
  attributesBody,
  command,
  sharedObjectCommands,
  target,
  withAttributeOptions,
  type ObjectKind,
} from "./vault-objects.js";

type Json = Record<string, unknown>;

/** az's secret properties: the secret without its value. */
function secretPropertiesOut(body: SecretBundle): Json {
  const { value: _value, ...properties } = secretOut(body);
  return properties;
}

const kind: ObjectKind<SecretBundle | DeletedSecretBundle, SecretItem> = {
  what: "secret",
  collection: "secrets",
  out: secretOut,
  itemOut: secretItemOut,
};

// az's --encoding: how a file's bytes become the secret's value, remembered in the "file-encoding" tag for download.
const ENCODINGS = ["utf-8", "ascii", "base64", "hex"] as const;
type Encoding = (typeof ENCODINGS)[number];
const FILE_ENCODING_TAG = "file-encoding";

const encode = (bytes: Buffer, encoding: Encoding) =>
  encoding === "base64"
    ? bytes.toString("base64")
    : encoding === "hex"
      ? bytes.toString("hex")
      : bytes.toString(encoding === "ascii" ? "ascii" : "utf8");
const decode = (value: string, encoding: Encoding) =>
  encoding === "base64" || encoding === "hex" ? Buffer.from(value, encoding) : Buffer.from(value, "utf8");

const encodingOption = (cmd: Command, help: string) =>
  cmd.option("-e, --encoding <encoding>", `${help}: ${ENCODINGS.join(", ")}`, choiceArgument("--encoding", ENCODINGS));

export function secretCommands(keyvault: Command): void {
  const group = keyvault.command("secret").description("Manage secrets");
  const sample = "kluis keyvault secret";
  sharedObjectCommands(group, kind);

  encodingOption(
    withAttributeOptions(
      withVault(
        command(
          group,
          "set",
          "Create a secret, or a new version of it",
          `${sample} set --vault-name myvault --name mysecret --value "s3cr3t"`,
        ),
      ),
      { enabled: false },
    ),
    "how to encode the --file's bytes as the value (default utf-8)",
  )
    .requiredOption("-n, --name <name>", "name of the secret")
    .option("--value <value>", "the secret's value")
    .option("-f, --file <path>", "read the value from this file")
    .option("--content-type <type>", "the value's content type, e.g. text/plain")
    .option("--disabled", "create the secret disabled")
    .action(async (o) => {
      if ((o.value === undefined) === (o.file === undefined))
        throw new CliError("Give exactly one of --value or --file.");
      const dp = DataPlane.forVault(o, o.vaultName);
      const body: Json = { ...attributesBody(o) };
      if (o.file !== undefined) {
        const encoding: Encoding = o.encoding ?? "utf-8";
        body.value = encode(readFileSync(o.file), encoding);
        body.tags = { ...(body.tags as Json), [FILE_ENCODING_TAG]: encoding };
      } else body.value = o.value;
      if (o.contentType) body.contentType = o.contentType;
      printResult(secretOut((await dp.call("PUT", objectPath("secrets", o), body)) as SecretBundle));
    });

  encodingOption(
    withObject(
      command(
        group,
        "download",
        "Write a secret's value to a file",
        `${sample} download --vault-name myvault --name mysecret --file secret.txt`,
      ),
      "secret",
    ),
    "how the value is encoded (default: the file-encoding tag set by `secret set --file`, else utf-8)",
  )
    .requiredOption("-f, --file <path>", "file to write the value to")
    .action(async (o) => {
      const { dp, ref } = target(o);
      const file = newFile(o.file);
      const secret = (await dp.call("GET", objectPath("secrets", ref))) as SecretBundle;
      const tagged = ENCODINGS.find((e) => e === secret.tags?.[FILE_ENCODING_TAG]);
      writeFileSync(file, decode(secret.value ?? "", o.encoding ?? tagged ?? "utf-8"));
    });

  withAttributeOptions(
    withObject(
      command(
        group,
        "set-attributes",
        "Update a secret's attributes, tags or content type",
        `${sample} set-attributes --vault-name myvault --name mysecret --enabled false`,
      ),
      "secret",
    ),
  )
    .option("--content-type <type>", "the value's content type")
    .action(async (o) => {
      const { dp, ref } = target(o);
      const body = { ...attributesBody(o), ...(o.contentType !== undefined ? { contentType: o.contentType } : {}) };
      printResult(secretPropertiesOut((await dp.call("PATCH", objectPath("secrets", ref), body)) as SecretBundle));
    });
}
