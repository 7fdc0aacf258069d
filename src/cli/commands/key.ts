// `kluis keyvault key ...`, with az's flags and output shapes.
import type { DeletedKeyBundle, KeyBundle, KeyItem, KeyRotationPolicy } from "../../keys/model.js";
import { createPrivateKey, createPublicKey, type JsonWebKey } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { argumentText, booleanArgument, choiceArgument, integerArgument, jsonArgument } from "../arguments.js";
import { keyItemOut, keyOut, rotationPolicyIn, rotationPolicyOut } from "../az-models.js";
import { CliError } from "../errors.js";
import { DataPlane, objectPath, toBase64, vaultRef, withObject, withVault } from "../data-plane.js";
import { printResult } from "../output.js";
import {
  attributesBody,
  command,
  downloadCommand,
  sharedObjectCommands,
  target,
  withAttributeOptions,
  type ObjectKind,
  type ObjectOptions,
} from "./vault-objects.js";
import { errorMessage } from "../../http/errors.js";
import { objectIn, optionalStringIn, stringIn } from "../answers.js";

type Json = Record<string, unknown>;

const kind: ObjectKind<KeyBundle | DeletedKeyBundle, KeyItem> = {
  what: "key",
  collection: "keys",
  out: keyOut,
  itemOut: keyItemOut,
};

const KEY_TYPES = ["RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM"] as const;
const CURVES = ["P-256", "P-256K", "P-384", "P-521"] as const;
const KEY_OPS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export"] as const;

/** --kty with --protection hsm, as az combines them: RSA + hsm → RSA-HSM. */
const keyType = (kty: string, protection?: string) =>
  protection === "hsm" && !kty.endsWith("-HSM") ? `${kty}-HSM` : kty;

const withKeyOptions = (cmd: Command) =>
  withAttributeOptions(cmd, { enabled: false })
    .option("--ops <ops...>", `permitted operations: ${KEY_OPS.join(" ")}`)
    .option(
      "--protection <protection>",
      "software or hsm",
      choiceArgument("--protection", ["software", "hsm"] as const),
    )
    .option("--curve <curve>", `elliptic curve: ${CURVES.join(", ")}`, choiceArgument("--curve", CURVES))
    .option("--disabled", "create the key disabled");

/** Key Vault's JWK (base64url fields, as node:crypto exports them) of a PEM private key. */
function jwkOfPem(pem: string, password?: string): JsonWebKey {
  try {
    return createPrivateKey({ key: pem, format: "pem", ...(password ? { passphrase: password } : {}) }).export({
      format: "jwk",
    });
  } catch (err) {
    throw new CliError(`cannot read the PEM private key: ${errorMessage(err)}`);
  }
}

const DATA_TYPES = ["base64", "plaintext"] as const;

export function keyCommands(keyvault: Command): void {
  const group = keyvault.command("key").description("Manage keys and use them for cryptography");
  const sample = "kluis keyvault key";
  sharedObjectCommands(group, kind);

  withKeyOptions(
    withVault(
      command(
        group,
        "create",
        "Create a key, or a new version of it",
        `${sample} create --vault-name myvault --name mykey --kty RSA --size 2048`,
      ),
    ),
  )
    .requiredOption("-n, --name <name>", "name of the key")
    .option("--kty <kty>", `key type: ${KEY_TYPES.join(", ")}`, choiceArgument("--kty", KEY_TYPES), "RSA")
    .option("--size <bits>", "RSA key size (2048, 3072, 4096) or oct size (128, 192, 256)", (v) =>
      Number.parseInt(v, 10),
    )
    .option("--exportable <bool>", "whether the private key can be exported", booleanArgument("--exportable"))
    .option("--policy <json>", "key release policy, JSON or @file.json", jsonArgument("--policy"))
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      const base = attributesBody(o);
      const body = {
        kty: keyType(o.kty, o.protection),
        ...(o.size ? { key_size: o.size } : {}),
        ...(o.curve ? { crv: o.curve } : {}),
        ...(o.ops ? { key_ops: o.ops } : {}),
        ...base,
        ...(o.exportable !== undefined
          ? { attributes: { ...(base.attributes as Json), exportable: o.exportable } }
          : {}),
        ...(o.policy
          ? {
              release_policy: {
                contentType: "application/json; charset=utf-8",
                data: Buffer.from(JSON.stringify(o.policy)).toString("base64url"),
              },
            }
          : {}),
      };
      printResult(keyOut((await dp.call("POST", `${objectPath("keys", o)}/create`, body)) as KeyBundle));
    });

  withKeyOptions(
    withVault(
      command(
        group,
        "import",
        "Import a private key from PEM",
        `${sample} import --vault-name myvault --name mykey --pem-file key.pem`,
      ),
    ),
  )
    .requiredOption("-n, --name <name>", "name of the key")
    .option("--pem-file <path>", "PEM file holding the private key")
    .option("--pem-string <pem>", "the private key as a PEM string (or @file)")
    .option("--pem-password <password>", "password of an encrypted PEM key")
    .option(
      "--kty <kty>",
      "key type, to import an RSA key as RSA-HSM (default: the PEM's)",
      choiceArgument("--kty", KEY_TYPES),
    )
    .action(async (o) => {
      const pem = o.pemFile ? readFileSync(o.pemFile, "utf8") : o.pemString ? argumentText(o.pemString) : undefined;
      if (!pem) throw new CliError("Give --pem-file or --pem-string.");
      const jwk = jwkOfPem(pem, o.pemPassword) as Json;
      const dp = DataPlane.forVault(o, o.vaultName);
      const body = {
        key: { ...jwk, kty: keyType(o.kty ?? (jwk.kty as string), o.protection), ...(o.ops ? { key_ops: o.ops } : {}) },
        ...attributesBody(o),
      };
      printResult(keyOut((await dp.call("PUT", objectPath("keys", o), body)) as KeyBundle));
    });

  downloadCommand(group, kind, "Write a key's public part to a file", "PUBLIC KEY", ({ key }) => {
    const { kty, n, e, crv, x, y } = key;
    if (kty.startsWith("oct")) throw new CliError("A symmetric key has no public part to download.");
    const jwk = kty.startsWith("RSA")
      ? { kty: "RSA", n, e }
      : { kty: "EC", crv: crv === "P-256K" ? "secp256k1" : crv, x, y };
    return createPublicKey({ key: jwk as JsonWebKey, format: "jwk" }).export({ type: "spki", format: "der" });
  });

  withVault(
    command(
      group,
      "rotate",
      "Rotate a key: create its new version",
      `${sample} rotate --vault-name myvault --name mykey`,
    ),
  )
    .requiredOption("-n, --name <name>", "name of the key")
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      printResult(keyOut((await dp.call("POST", `${objectPath("keys", o)}/rotate`)) as KeyBundle));
    });

  // Key Vault's GetRandomBytes (POST /rng); az prints the bytes as {"value": base64}.
  withVault(
    command(
      group,
      "random",
      "Get random bytes from the vault's random number generator",
      `${sample} random --vault-name myvault --count 32`,
    ),
    false,
  )
    .option("--id <url>", "the vault's URL (https://VAULT.vault.azure.net); replaces --vault-name")
    .requiredOption("--count <n>", "number of bytes (1-128)", integerArgument("--count"))
    .action(async (o) => {
      const dp = DataPlane.forVault(o, vaultRef(o));
      printResult({ value: toBase64(stringIn(await dp.call("POST", "/rng", { count: o.count }), "value")) });
    });

  withAttributeOptions(
    withObject(
      command(
        group,
        "set-attributes",
        "Update a key's attributes, tags or operations",
        `${sample} set-attributes --vault-name myvault --name mykey --enabled false`,
      ),
      "key",
    ),
  )
    .option("--ops <ops...>", `permitted operations: ${KEY_OPS.join(" ")}`)
    .action(async (o) => {
      const { dp, ref } = target(o);
      const body = { ...attributesBody(o), ...(o.ops ? { key_ops: o.ops } : {}) };
      printResult(keyOut((await dp.call("PATCH", objectPath("keys", ref), body)) as KeyBundle));
    });

  cryptoCommands(group);

  const rotation = group.command("rotation-policy").description("Manage a key's rotation policy");
  withVault(
    command(
      rotation,
      "show",
      "Get a key's rotation policy",
      `${sample} rotation-policy show --vault-name myvault --name mykey`,
    ),
  )
    .requiredOption("-n, --name <name>", "name of the key")
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      printResult(
        rotationPolicyOut((await dp.call("GET", `${objectPath("keys", o)}/rotationpolicy`)) as KeyRotationPolicy),
      );
    });
  withVault(
    command(
      rotation,
      "update",
      "Set a key's rotation policy",
      `${sample} rotation-policy update --vault-name myvault --name mykey --value @policy.json`,
    ),
  )
    .requiredOption("-n, --name <name>", "name of the key")
    .requiredOption("--value <json>", "the rotation policy, JSON or @file.json", jsonArgument("--value"))
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      printResult(
        rotationPolicyOut(
          (await dp.call(
            "PUT",
            `${objectPath("keys", o)}/rotationpolicy`,
            rotationPolicyIn(o.value),
          )) as KeyRotationPolicy,
        ),
      );
    });
}

/** encrypt, decrypt, sign, verify: POST /keys/NAME[/VERSION]/OPERATION, bytes as base64 on the command line. */
function cryptoCommands(group: Command): void {
  const sample = "kluis keyvault key";
  const bytesOf = (value: string, flag: string) => {
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new CliError(`argument ${flag}: not base64: '${value}'`);
    return Buffer.from(value, "base64").toString("base64url");
  };
  const cryptoCommand = (name: string, description: string, example: string) =>
    withObject(command(group, name, description, `${sample} ${example}`), "key").requiredOption(
      "-a, --algorithm <alg>",
      "algorithm, e.g. RSA-OAEP-256, ES256, PS256",
    );
  const post = async (o: ObjectOptions, operation: string, body: Json) => {
    const { dp, ref } = target(o);
    return objectIn(await dp.call("POST", `${objectPath("keys", ref)}/${operation}`, body));
  };
  const kidOf = (o: ObjectOptions) => {
    const { dp, ref } = target(o);
    return `${dp.baseUrl}${objectPath("keys", ref)}`;
  };
  const dataType = (cmd: Command) =>
    cmd.option(
      "--data-type <type>",
      "how --value is given: base64 or plaintext",
      choiceArgument("--data-type", DATA_TYPES),
      "base64",
    );
  const ivAad = (cmd: Command) =>
    cmd
      .option("--iv <base64>", "initialization vector (AES)")
      .option("--aad <base64>", "additional authenticated data (AES-GCM)");

  ivAad(
    dataType(
      cryptoCommand(
        "encrypt",
        "Encrypt data with a key",
        'encrypt --vault-name myvault --name mykey --algorithm RSA-OAEP-256 --value "aGVsbG8=" --data-type base64',
      ),
    ),
  )
    .requiredOption("--value <data>", "the data to encrypt")
    .action(async (o) => {
      const value =
        o.dataType === "plaintext" ? Buffer.from(o.value, "utf8").toString("base64url") : bytesOf(o.value, "--value");
      const body = {
        alg: o.algorithm,
        value,
        ...(o.iv ? { iv: bytesOf(o.iv, "--iv") } : {}),
        ...(o.aad ? { aad: bytesOf(o.aad, "--aad") } : {}),
      };
      const res = await post(o, "encrypt", body);
      printResult({
        additionalAuthenticatedData: toBase64(optionalStringIn(res, "aad")) ?? null,
        algorithm: o.algorithm,
        authenticationTag: toBase64(optionalStringIn(res, "tag")) ?? null,
        initializationVector: toBase64(optionalStringIn(res, "iv")) ?? null,
        kid: res.kid,
        result: toBase64(stringIn(res, "value")),
      });
    });

  ivAad(
    dataType(
      cryptoCommand(
        "decrypt",
        "Decrypt data with a key",
        'decrypt --vault-name myvault --name mykey --algorithm RSA-OAEP-256 --value "CIPHERTEXT" --data-type plaintext',
      ),
    ),
  )
    .requiredOption("--value <base64>", "the ciphertext, base64")
    .option("--tag <base64>", "authentication tag (AES-GCM)")
    .action(async (o) => {
      const body = {
        alg: o.algorithm,
        value: bytesOf(o.value, "--value"),
        ...(o.iv ? { iv: bytesOf(o.iv, "--iv") } : {}),
        ...(o.aad ? { aad: bytesOf(o.aad, "--aad") } : {}),
        ...(o.tag ? { tag: bytesOf(o.tag, "--tag") } : {}),
      };
      const res = await post(o, "decrypt", body);
      const plain = Buffer.from(stringIn(res, "value"), "base64url");
      printResult({
        algorithm: o.algorithm,
        kid: res.kid,
        result: o.dataType === "plaintext" ? plain.toString("utf8") : plain.toString("base64"),
      });
    });

  cryptoCommand(
    "sign",
    "Sign a digest with a key",
    "sign --vault-name myvault --name mykey --algorithm RS256 --digest DIGEST_BASE64",
  )
    .requiredOption("--digest <base64>", "the digest to sign, base64 (e.g. SHA-256 of the data)")
    .action(async (o) => {
      const res = await post(o, "sign", { alg: o.algorithm, value: bytesOf(o.digest, "--digest") });
      printResult({ algorithm: o.algorithm, kid: res.kid, signature: toBase64(stringIn(res, "value")) });
    });

  cryptoCommand(
    "verify",
    "Verify a signature with a key",
    "verify --vault-name myvault --name mykey --algorithm RS256 --digest DIGEST_BASE64 --signature SIG_BASE64",
  )
    .requiredOption("--digest <base64>", "the signed digest, base64")
    .requiredOption("--signature <base64>", "the signature, base64")
    .action(async (o) => {
      const res = await post(o, "verify", {
        alg: o.algorithm,
        digest: bytesOf(o.digest, "--digest"),
        value: bytesOf(o.signature, "--signature"),
      });
      printResult({ algorithm: o.algorithm, isValid: res.value === true, kid: kidOf(o) });
    });
}
