// The typed edge of a route: Fastify's router fills the parameters its path names (strings), its query parser the
// query. Given as a route's generic (`app.get<Route<"name">>(...)`), handlers read `req.params.name` without a cast.

/** A query string as Fastify's parser gives it: a repeated key becomes a list. */
export type Query = Record<string, string | string[] | undefined>;

/** A route whose path names the parameters `P`. */
export interface Route<P extends string = never> {
  Params: { [K in P]: string };
  Querystring: Query;
}

/** One handler registered with and without the version (`/keys/:name` and `/keys/:name/:version`). */
export interface VersionRoute {
  Params: { name: string; version?: string };
  Querystring: Query;
}
