// No answer shows a write before it is durable. On SQLite a group's COMMIT is visible to every later read as soon as
// it returns, but its fsync runs afterwards, on a libuv pool thread (store/wal-sync.ts); the writes themselves are
// answered after it. A read served meanwhile (the new version of a secret, a list holding it) could tell a client of
// a write that a power loss then undoes. So every answer's send waits for the fsync that was in flight or pending when
// it was made, which covers every read that went into it.
//
// Here rather than in the store: one place covers every route and every read path (the immediate reads, Kysely's,
// those inside transactions), and the check is a comparison of two counters when nothing waits for the disk, which is
// the case but under a write load. An answer that waits is at most one fsync late.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Store } from "../store/store.js";

export function answerWhenDurable(app: FastifyInstance, store: Pick<Store, "durable">): void {
  // A failed fsync fails the answer: what it would show may be lost. The error handler's answer (500) comes back
  // through here and goes out: it shows nothing stored.
  const failed = new WeakSet<FastifyRequest>();
  app.addHook("onSend", (req, _reply, payload, done) => {
    const durable = failed.has(req) ? undefined : store.durable();
    if (!durable) return done(null, payload);
    durable.then(
      () => done(null, payload),
      (err: unknown) => {
        failed.add(req);
        done(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
