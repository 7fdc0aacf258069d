// The typed edge of a route: Fastify's router fills the parameters its path names (strings), its query parser the
// query. Given as a route's generic (`app.get<Route<"name">>(...)`), handlers read `req.params.name` without a cast.
import type { FastifyRequest } from "fastify";
import { isJsonObject } from "./body.js";
import { badParameter } from "./errors.js";

/** A query string as Fastify's parser gives it: a repeated key becomes a list. */
export type Query = Record<string, string | string[] | undefined>;

/** A route whose path names the parameters `P`. */
export interface Route<P extends string = never> {
  Params: { [K in P]: string };
  Querystring: Query;
}

/**
 * The options of a GET route that answers HEAD too: a page a browser or a link checker may ask (the sign-in pages,
 * the web UI) or a health probe. The server turns Fastify's automatic HEAD twins off (app.ts): the APIs answer only
 * the methods their specifications define.
 */
export const ANSWERS_HEAD = { exposeHeadRoute: true } as const;

/** One handler registered with and without the version (`/keys/:name` and `/keys/:name/:version`). */
export interface VersionRoute {
  Params: { name: string; version?: string };
  Querystring: Query;
}

/**
 * A path parameter of a request whose handler is not typed by its route (a hook, or a helper shared by routes): the
 * router fills the parameters the path names with strings, so another value means the route names no such one.
 */
export function pathParam(req: FastifyRequest, name: string): string {
  const value = routeParam(req, name);
  if (value === undefined) throw new Error(`The route ${req.routeOptions.url ?? ""} has no parameter ${name}.`);
  return value;
}

/** A path parameter that only some of the routes a hook sees name: undefined on the others. */
export function routeParam(req: FastifyRequest, name: string): string | undefined {
  const params: unknown = req.params;
  const value = isJsonObject(params) ? params[name] : undefined;
  return typeof value === "string" ? value : undefined;
}

/** A query parameter given at most once; a repeated one (a list) is a 400. */
export function queryText(req: FastifyRequest, name: string): string | undefined {
  const value = queryOf(req)[name];
  if (Array.isArray(value)) throw badParameter(`${name} must be given once.`);
  return typeof value === "string" ? value : undefined;
}

/** A request URL's path: what comes before its query string. */
export function urlPath(url: string): string {
  const query = url.indexOf("?");
  return query < 0 ? url : url.slice(0, query);
}

/** A request's parsed query string, whatever its route's type says: its values are strings or lists of them. */
export function queryOf(req: FastifyRequest): Record<string, unknown> {
  const query: unknown = req.query;
  return isJsonObject(query) ? query : {};
}
