// Administrator routes: the audit log (`kluis monitor audit list|verify|tail`) and, under --test-clock, the clock shift.
import type { FastifyInstance } from "fastify";
import { requireAdministrator } from "../authorization/management.js";
import { isJsonObject } from "../http/body.js";
import { badParameter } from "../http/errors.js";
import { queryText } from "../http/route.js";
import type { ServerContext } from "../identity/context.js";
import { parseEntry, verifyAudit } from "./chain.js";

const MAX_TOP = 10_000;

export async function auditRoutes(app: FastifyInstance, ctx: ServerContext, sweepNow: () => Promise<unknown>) {
  app.addHook("onRequest", requireAdministrator(ctx));

  app.get("/kluis/audit", async (req) => {
    const q = (name: string) => queryText(req, name);
    const topText = q("top");
    const top = topText === undefined ? 1000 : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP)
      throw badParameter(`top must be an integer from 1 to ${MAX_TOP}.`);
    const sinceText = q("since");
    const since = sinceText === undefined ? undefined : Date.parse(sinceText);
    if (since !== undefined && Number.isNaN(since)) throw badParameter("since must be an ISO 8601 date and time.");
    // Entries are kept by the caller's object id; an application id or a user's sign-in name is looked up.
    const callerText = q("caller");
    const caller = callerText === undefined ? undefined : await callerObjectId(ctx, callerText);
    await ctx.audit?.flush(); // what this node has queued counts too
    const [vault, operationName] = [q("vault"), q("operation")];
    const rows = await ctx.store.audit.list({ vault, caller, operationName, since, limit: top });
    const entry = (text: string) => {
      const parsed = parseEntry(text);
      return isJsonObject(parsed) ? parsed : {};
    };
    return { value: rows.map((r) => ({ nodeId: r.nodeId, seq: r.seq, ...entry(r.entry) })) };
  });

  app.get("/kluis/audit/verify", async () => {
    await ctx.audit?.flush();
    return verifyAudit(ctx.store);
  });

  if (!ctx.clock.shiftable) return; // without --test-clock, /kluis/clock is Not Found
  app.post("/kluis/clock", async (req) => {
    const offset = isJsonObject(req.body) ? req.body.offsetSeconds : undefined;
    if (typeof offset !== "number" || !Number.isFinite(offset) || Math.abs(offset) > 100 * 365 * 86_400) {
      throw badParameter("offsetSeconds must be a number of seconds (at most 100 years either way).");
    }
    ctx.clock.shift(offset);
    // The scheduled work runs at once at the new time, so that a test sees its effect when this answers.
    await sweepNow();
    return { offsetSeconds: ctx.clock.offsetSeconds, now: new Date(ctx.clock.now()).toISOString() };
  });
}

async function callerObjectId(ctx: ServerContext, id: string): Promise<string> {
  const principal = await ctx.store.principals.getByAppId(id);
  if (principal) return principal.objectId;
  return (await ctx.store.users.getByPrincipalName(id))?.objectId ?? id;
}
