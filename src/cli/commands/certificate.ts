// `kluis keyvault certificate ...`, with az's flags and output shapes.
import type {
  CertificateBundle,
  CertificateItem,
  CertificateOperation,
  Contact,
  Contacts,
  DeletedCertificateBundle,
  DeletedCertificateItem,
  IssuerBundle,
  IssuerItem,
} from "../../certificates/model.js";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { booleanArgument, jsonArgument } from "../arguments.js";
import { certificateItemOut, certificateOut, issuerOut, operationOut, policyIn } from "../az-models.js";
import { CliError } from "../errors.js";
import { DataPlane, objectPath, withObject, withVault } from "../data-plane.js";
import { printResult, progress } from "../output.js";
import {
  attributesBody,
  command,
  downloadCommand,
  sharedObjectCommands,
  target,
  withAttributeOptions,
  type ObjectKind,
} from "./vault-objects.js";

type Json = Record<string, unknown>;

const kind: ObjectKind<CertificateBundle | DeletedCertificateBundle, CertificateItem | DeletedCertificateItem> = {
  what: "certificate",
  collection: "certificates",
  out: certificateOut,
  itemOut: certificateItemOut,
};

/** What `az keyvault certificate get-default-policy` prints. */
const DEFAULT_POLICY = {
  issuerParameters: { certificateTransparency: null, name: "Self" },
  keyProperties: { curve: null, exportable: true, keySize: 2048, keyType: "RSA", reuseKey: true },
  lifetimeActions: [{ action: { actionType: "AutoRenew" }, trigger: { daysBeforeExpiry: 90 } }],
  secretProperties: { contentType: "application/x-pkcs12" },
  x509CertificateProperties: {
    keyUsage: ["cRLSign", "dataEncipherment", "digitalSignature", "keyEncipherment", "keyAgreement", "keyCertSign"],
    subject: "CN=CLIGetDefaultPolicy",
    validityInMonths: 12,
  },
};

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** The base64 DER certificates of a PEM or DER file. */
function certificatesOf(bytes: Buffer): string[] {
  const text = bytes.toString("latin1");
  const pems = [...text.matchAll(PEM_CERTIFICATE)].map((m) => m[1]!.replace(/\s+/g, ""));
  return pems.length ? pems : [bytes.toString("base64")];
}

const pendingPath = (name: string) => `${objectPath("certificates", { name })}/pending`;

/** Polls the certificate's pending operation until it leaves inProgress, with az's progress line on stderr. */
async function waitForOperation(
  dp: DataPlane,
  name: string,
  first: CertificateOperation,
): Promise<CertificateOperation> {
  let op = first;
  // An "Unknown" issuer's operation waits for `pending merge`, which only the user can do: nothing to wait for.
  if (String(op.issuer?.name).toLowerCase() === "unknown") return op;
  const line = progress(`Creating certificate '${name}'`);
  try {
    while (op.status === "inProgress") {
      await sleep(500);
      op = (await dp.call("GET", pendingPath(name))) as CertificateOperation;
    }
  } finally {
    line.done();
  }
  if (op.status !== "completed") {
    const error = op.error as { message?: string } | undefined;
    throw new CliError(
      error?.message ?? `certificate operation ended '${String(op.status)}': ${String(op.status_details ?? "")}`,
    );
  }
  return op;
}

export function certificateCommands(keyvault: Command): void {
  const group = keyvault.command("certificate").description("Manage certificates");
  const sample = "kluis keyvault certificate";
  sharedObjectCommands(group, kind, {
    listQuery: (o) => ({ includePending: o.includePending === undefined ? undefined : String(o.includePending) }),
  });

  withVault(
    command(
      group,
      "create",
      "Create a certificate (a new version if it exists) and wait until it is issued",
      `${sample} create --vault-name myvault --name mycert --policy "$(${sample} get-default-policy)"`,
    ),
  )
    .requiredOption("-n, --name <name>", "name of the certificate")
    .requiredOption(
      "-p, --policy <json>",
      "management policy, JSON or @file.json (see get-default-policy)",
      jsonArgument("--policy"),
    )
    .option("--disabled", "create the certificate disabled")
    .option("--validity <months>", "validity in months (overrides the policy's)", (v) => Number.parseInt(v, 10))
    .option("--tags <tags...>", "space-separated tags: key[=value] ...")
    .option("--no-wait", "return the pending operation without waiting")
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      const policy = policyIn(o.policy);
      if (o.validity !== undefined) policy.x509_props = { ...(policy.x509_props as Json), validity_months: o.validity };
      const body = { policy, ...attributesBody({ disabled: o.disabled, tags: o.tags }) };
      const op = (await dp.call("POST", `${objectPath("certificates", o)}/create`, body)) as CertificateOperation;
      printResult(operationOut(o.wait ? await waitForOperation(dp, o.name, op) : op));
    });

  withVault(
    command(
      group,
      "import",
      "Import a certificate with its private key (PFX or PEM)",
      `${sample} import --vault-name myvault --name mycert --file cert.pfx`,
    ),
  )
    .requiredOption("-n, --name <name>", "name of the certificate")
    .requiredOption("-f, --file <path>", "PFX or PEM file holding the certificate and its private key")
    .option("--password <password>", "password of the PFX or of the PEM's private key")
    .option("-p, --policy <json>", "management policy, JSON or @file.json", jsonArgument("--policy"))
    .option("--disabled", "import the certificate disabled")
    .option("--tags <tags...>", "space-separated tags: key[=value] ...")
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      const bytes = readFileSync(o.file);
      const pem = bytes.toString("latin1").includes("-----BEGIN");
      const policy = o.policy ? policyIn(o.policy) : {};
      policy.secret_props = {
        contentType: pem ? "application/x-pem-file" : "application/x-pkcs12",
        ...(policy.secret_props as Json),
      };
      const body = {
        value: pem ? bytes.toString("utf8") : bytes.toString("base64"),
        ...(o.password ? { pwd: o.password } : {}),
        policy,
        ...attributesBody({ disabled: o.disabled, tags: o.tags }),
      };
      printResult(
        certificateOut((await dp.call("POST", `${objectPath("certificates", o)}/import`, body)) as CertificateBundle),
      );
    });

  downloadCommand(group, kind, "Write a certificate's public part (X.509) to a file", "CERTIFICATE", (body) => {
    if (!("cer" in body) || !body.cer) throw new CliError("The certificate has no issued version yet.");
    return Buffer.from(body.cer, "base64url");
  });

  command(
    group,
    "get-default-policy",
    "Print the default policy of a self-signed certificate",
    `${sample} get-default-policy > policy.json`,
  ).action(() => printResult(DEFAULT_POLICY));

  withAttributeOptions(
    withObject(
      command(
        group,
        "set-attributes",
        "Update a certificate's attributes, tags or policy",
        `${sample} set-attributes --vault-name myvault --name mycert --enabled false`,
      ),
      "certificate",
    ),
    { dates: false },
  )
    .option("-p, --policy <json>", "new management policy, JSON or @file.json", jsonArgument("--policy"))
    .action(async (o) => {
      const { dp, ref } = target(o);
      const body = { ...attributesBody(o), ...(o.policy ? { policy: policyIn(o.policy) } : {}) };
      printResult(certificateOut((await dp.call("PATCH", objectPath("certificates", ref), body)) as CertificateBundle));
    });

  pendingCommands(group.command("pending").description("Manage a certificate's pending operation"));
  contactCommands(group.command("contact").description("Manage the vault's certificate contacts"));
  issuerCommands(group.command("issuer").description("Manage the vault's certificate issuers"));
}

function pendingCommands(pending: Command): void {
  const sample = "kluis keyvault certificate pending";
  const pendingCommand = (name: string, description: string, example: string) =>
    withVault(command(pending, name, description, `${sample} ${example}`)).requiredOption(
      "-n, --name <name>",
      "name of the certificate",
    );

  pendingCommand("show", "Get a certificate's pending operation", "show --vault-name myvault --name mycert").action(
    async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      printResult(operationOut((await dp.call("GET", pendingPath(o.name))) as CertificateOperation));
    },
  );

  pendingCommand(
    "delete",
    "Delete a certificate's pending operation (and the certificate it would have made)",
    "delete --vault-name myvault --name mycert",
  ).action(async (o) => {
    const dp = DataPlane.forVault(o, o.vaultName);
    printResult(operationOut((await dp.call("DELETE", pendingPath(o.name))) as CertificateOperation));
  });

  pendingCommand(
    "merge",
    "Merge a certificate signed by an outside CA with the pending key",
    "merge --vault-name myvault --name mycert --file signed.pem",
  )
    .requiredOption("-f, --file <path>", "the signed certificate (and chain), PEM or DER")
    .option("--disabled", "create the certificate disabled")
    .option("--tags <tags...>", "space-separated tags: key[=value] ...")
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      const body = {
        x5c: certificatesOf(readFileSync(o.file)),
        ...attributesBody({ disabled: o.disabled, tags: o.tags }),
      };
      printResult(certificateOut((await dp.call("POST", `${pendingPath(o.name)}/merge`, body)) as CertificateBundle));
    });
}

async function getContacts(dp: DataPlane): Promise<Contact[]> {
  try {
    return ((await dp.call("GET", "/certificates/contacts")) as Contacts).contacts;
  } catch (err) {
    if (err instanceof CliError && err.status === 404) return [];
    throw err;
  }
}

const contactOut = (c: Contact) => ({ email: c.email ?? null, name: c.name ?? null, phone: c.phone ?? null });

function contactCommands(contact: Command): void {
  const sample = "kluis keyvault certificate contact";

  withVault(
    command(
      contact,
      "add",
      "Add a contact for certificate notifications",
      `${sample} add --vault-name myvault --email admin@contoso.com --name Admin`,
    ),
  )
    .requiredOption("--email <address>", "contact e-mail address")
    .option("--name <name>", "contact name")
    .option("--phone <number>", "contact phone number")
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      const contacts = (await getContacts(dp)).filter((c) => c.email?.toLowerCase() !== o.email.toLowerCase());
      contacts.push({ email: o.email, ...(o.name ? { name: o.name } : {}), ...(o.phone ? { phone: o.phone } : {}) });
      const set = (await dp.call("PUT", "/certificates/contacts", { contacts })) as Contacts;
      printResult(set.contacts.map(contactOut));
    });

  withVault(command(contact, "list", "List the certificate contacts", `${sample} list --vault-name myvault`)).action(
    async (o) => {
      printResult((await getContacts(DataPlane.forVault(o, o.vaultName))).map(contactOut));
    },
  );

  withVault(
    command(
      contact,
      "delete",
      "Remove a certificate contact",
      `${sample} delete --vault-name myvault --email admin@contoso.com`,
    ),
  )
    .requiredOption("--email <address>", "e-mail address of the contact to remove")
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      const all = await getContacts(dp);
      const contacts = all.filter((c) => c.email?.toLowerCase() !== o.email.toLowerCase());
      if (contacts.length === all.length) throw new CliError(`contact '${o.email}' not found.`);
      if (contacts.length === 0) await dp.call("DELETE", "/certificates/contacts");
      else await dp.call("PUT", "/certificates/contacts", { contacts });
      printResult(contacts.map(contactOut));
    });
}

function issuerCommands(issuer: Command): void {
  const sample = "kluis keyvault certificate issuer";
  const issuerPath = (name: string) => `/certificates/issuers/${encodeURIComponent(name)}`;
  const issuerCommand = (name: string, description: string, example: string) =>
    withVault(command(issuer, name, description, `${sample} ${example}`)).requiredOption(
      "--issuer-name <name>",
      "name of the issuer",
    );
  const withIssuerOptions = (cmd: Command) =>
    cmd
      .option("--account-id <id>", "the account id at the provider")
      .option("--password <password>", "the account password at the provider")
      .option("--organization-id <id>", "the organization id at the provider")
      .option("--disabled", "disable the issuer")
      .option("--enabled <bool>", "enable or disable the issuer", booleanArgument("--enabled"));
  const issuerBody = (o: Json) => {
    const credentials = {
      ...(o.accountId ? { account_id: o.accountId } : {}),
      ...(o.password ? { pwd: o.password } : {}),
    };
    return {
      ...(o.providerName ? { provider: o.providerName } : {}),
      ...(Object.keys(credentials).length ? { credentials } : {}),
      ...(o.organizationId ? { org_details: { id: o.organizationId } } : {}),
      ...attributesBody({ enabled: o.enabled as boolean | undefined, disabled: o.disabled as boolean | undefined }),
    };
  };

  withIssuerOptions(
    issuerCommand(
      "create",
      "Create a certificate issuer",
      "create --vault-name myvault --issuer-name myissuer --provider-name Test",
    ),
  )
    .requiredOption("-p, --provider-name <provider>", "the issuer provider, e.g. DigiCert, GlobalSign, Test")
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      printResult(issuerOut((await dp.call("PUT", issuerPath(o.issuerName), issuerBody(o))) as IssuerBundle));
    });

  withIssuerOptions(
    issuerCommand(
      "update",
      "Update a certificate issuer",
      "update --vault-name myvault --issuer-name myissuer --account-id acct1",
    ),
  )
    .option("-p, --provider-name <provider>", "the issuer provider")
    .action(async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      printResult(issuerOut((await dp.call("PATCH", issuerPath(o.issuerName), issuerBody(o))) as IssuerBundle));
    });

  issuerCommand("show", "Get a certificate issuer", "show --vault-name myvault --issuer-name myissuer").action(
    async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      printResult(issuerOut((await dp.call("GET", issuerPath(o.issuerName))) as IssuerBundle));
    },
  );

  issuerCommand("delete", "Delete a certificate issuer", "delete --vault-name myvault --issuer-name myissuer").action(
    async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      printResult(issuerOut((await dp.call("DELETE", issuerPath(o.issuerName))) as IssuerBundle));
    },
  );

  withVault(command(issuer, "list", "List the certificate issuers", `${sample} list --vault-name myvault`)).action(
    async (o) => {
      const dp = DataPlane.forVault(o, o.vaultName);
      printResult(
        (await dp.list<IssuerItem>("/certificates/issuers")).map((i) => ({
          id: i.id,
          name: i.id.split("/").pop(),
          provider: i.provider ?? null,
        })),
      );
    },
  );
}
