// `kluis eventgrid event-subscription create|show|list|update|delete` with az's flags and output (the resource with its
// properties flattened, as az prints it); `kluis eventgrid dead-letter list`, Kluis's own (administrators only).
import type { Command } from "commander";
import { connect, withConnection, type ConnectionOptions } from "../client.js";
import { CliError } from "../errors.js";
import { Management } from "../management.js";
import { listIn, objectIn, type JsonObject } from "../answers.js";
import { printResult } from "../output.js";

/** az's --event-delivery-schema values (case-insensitive), as the REST API spells them. */
const SCHEMAS: Record<string, string> = {
  eventgridschema: "EventGridSchema",
  cloudeventschemav1_0: "CloudEventSchemaV1_0",
};

/** A resource, or a destination, with its `properties` (an object, when there) at the top level. */
function lifted(answer: unknown): JsonObject {
  const { properties, ...rest } = objectIn(answer);
  return properties === undefined ? rest : { ...rest, ...objectIn(properties) };
}

/** az prints an event subscription with its properties, and its destination's, at the top level. */
function flattened(answer: unknown): JsonObject {
  const shown = lifted(answer);
  return shown.destination === undefined ? shown : { ...shown, destination: lifted(shown.destination) };
}

function subscriptionPath(sourceResourceId: string | undefined, name?: string): string {
  if (!sourceResourceId) throw new CliError("the following arguments are required: --source-resource-id");
  if (
    !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i.test(
      sourceResourceId,
    )
  )
    throw new CliError(
      "--source-resource-id must be a vault's resource id (kluis keyvault show -n V --query id -o tsv).",
    );
  return `${sourceResourceId}/providers/Microsoft.EventGrid/eventSubscriptions${name === undefined ? "" : `/${name}`}`;
}

const integer = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new CliError(`argument ${flag}: invalid int value: '${value}'`);
  return n;
};

function checkEndpointType(type: unknown): void {
  if (String(type).toLowerCase() !== "webhook")
    throw new CliError("argument --endpoint-type: Kluis delivers to webhooks only.");
}

/** The options create and update share: az's. */
const filterOptions = (cmd: Command) =>
  cmd
    .option("--endpoint-type <type>", "webhook (the only type Kluis delivers to)", "webhook")
    .option("--included-event-types <types...>", "event types to deliver, e.g. Microsoft.KeyVault.SecretNearExpiry")
    .option("--subject-begins-with <prefix>", "deliver events whose subject (the object's name) starts so")
    .option("--subject-ends-with <suffix>", "deliver events whose subject ends so");

export function eventgridCommands(program: Command): void {
  const eventgrid = program.command("eventgrid").description("Event Grid event subscriptions on vaults");
  const subscriptions = eventgrid.command("event-subscription").description("A vault's event subscriptions");
  const mgmt = (o: ConnectionOptions) => new Management(connect(o));
  const named = (cmd: Command) =>
    withConnection(cmd)
      .requiredOption("-n, --name <name>", "name of the event subscription")
      .option("--source-resource-id <id>", "the vault's resource id");

  filterOptions(named(subscriptions.command("create")).requiredOption("--endpoint <url>", "https URL of the webhook"))
    .description("Create an event subscription (the endpoint must answer Event Grid's validation handshake)")
    .option("--subject-case-sensitive", "match subjects case-sensitively")
    .option(
      "--max-delivery-attempts <n>",
      "attempts before dead-lettering, 1-30 (default 30)",
      integer("--max-delivery-attempts"),
    )
    .option("--event-ttl <minutes>", "minutes an event is retried, 1-1440 (default 1440)", integer("--event-ttl"))
    .option("--event-delivery-schema <schema>", "eventgridschema or cloudeventschemav1_0")
    .option("--labels <labels...>", "labels of the subscription")
    .addHelpText(
      "after",
      "\nExample:\n  kluis eventgrid event-subscription create -n certs --source-resource-id $(kluis keyvault show -n myvault --query id -o tsv) \\\n" +
        "    --endpoint https://hooks.example.com/kv --included-event-types Microsoft.KeyVault.CertificateNearExpiry",
    )
    .action(async (o) => {
      checkEndpointType(o.endpointType);
      let schema: string | undefined;
      if (o.eventDeliverySchema !== undefined) {
        schema = SCHEMAS[String(o.eventDeliverySchema).toLowerCase()];
        if (!schema) throw new CliError(`argument --event-delivery-schema: invalid choice: '${o.eventDeliverySchema}'`);
      }
      const body = {
        properties: {
          destination: { endpointType: "WebHook", properties: { endpointUrl: o.endpoint } },
          filter: {
            includedEventTypes: o.includedEventTypes,
            subjectBeginsWith: o.subjectBeginsWith,
            subjectEndsWith: o.subjectEndsWith,
            isSubjectCaseSensitive: o.subjectCaseSensitive === true,
          },
          retryPolicy: { maxDeliveryAttempts: o.maxDeliveryAttempts, eventTimeToLiveInMinutes: o.eventTtl },
          eventDeliverySchema: schema,
          labels: o.labels,
        },
      };
      // As az's poller: the PUT answers Creating, the resource then says Succeeded.
      const m = mgmt(o);
      const path = subscriptionPath(o.sourceResourceId, o.name);
      await m.call("PUT", path, body);
      printResult(flattened(await m.call("GET", path)));
    });

  filterOptions(named(subscriptions.command("update")).option("--endpoint <url>", "new https URL of the webhook"))
    .description("Change an event subscription (a new endpoint must answer Event Grid's validation handshake again)")
    .option("--labels <labels...>", "labels of the subscription (replace the current ones)")
    .action(async (o) => {
      checkEndpointType(o.endpointType);
      // Event Grid's update body is flat; what is left out stays as it is.
      const filter = {
        includedEventTypes: o.includedEventTypes,
        subjectBeginsWith: o.subjectBeginsWith,
        subjectEndsWith: o.subjectEndsWith,
      };
      const body = {
        ...(o.endpoint !== undefined
          ? { destination: { endpointType: "WebHook", properties: { endpointUrl: o.endpoint } } }
          : {}),
        ...(Object.values(filter).some((v) => v !== undefined) ? { filter } : {}),
        ...(o.labels !== undefined ? { labels: o.labels } : {}),
      };
      // As az's poller: the PATCH answers Updating, the resource then says Succeeded.
      const m = mgmt(o);
      const path = subscriptionPath(o.sourceResourceId, o.name);
      await m.call("PATCH", path, body);
      printResult(flattened(await m.call("GET", path)));
    });

  named(subscriptions.command("show"))
    .description("Show an event subscription")
    .option("--include-signing-key", "also print the key deliveries' Kluis-Signature header is made with")
    .action(async (o) => {
      const m = mgmt(o);
      const path = subscriptionPath(o.sourceResourceId, o.name);
      const shown = flattened(await m.call("GET", path));
      if (o.includeSigningKey) Object.assign(shown, await m.call("POST", `${path}/getSigningKey`));
      printResult(shown);
    });

  withConnection(subscriptions.command("list"))
    .description("List a vault's event subscriptions")
    .option("--source-resource-id <id>", "the vault's resource id")
    .action(async (o) => {
      printResult(listIn(await mgmt(o).call("GET", subscriptionPath(o.sourceResourceId))).map(flattened));
    });

  named(subscriptions.command("delete"))
    .description("Delete an event subscription and the deliveries queued for it")
    .action(async (o) => {
      await mgmt(o).call("DELETE", subscriptionPath(o.sourceResourceId, o.name));
    });

  withConnection(eventgrid.command("dead-letter").command("list"))
    .description("Deliveries that ran out of attempts or time, newest first (administrators only)")
    .option("--vault <name>", "those of one vault")
    .option("--top <n>", "at most this many (default 100)")
    .action(async (o) => {
      const q = new URLSearchParams();
      if (o.vault) q.set("vault", o.vault);
      if (o.top) q.set("top", o.top);
      printResult(listIn(await mgmt(o).call("GET", `/kluis/events/deadLetters?${q}`)));
    });
}
