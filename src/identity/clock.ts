// The server's clock for scheduled work (purge, lifetime actions, audit retention). Tests start the server with
// --test-clock and shift it (POST /kluis/clock, administrators only) to see renewals, rotations and purges without
// waiting months; without the flag the shift cannot be set and the clock is the system's.
export class Clock {
  /** As given: offsetSeconds * 1000 / 1000 is not always it (340304.48807254806 is not, in doubles). */
  private offset = 0;

  constructor(readonly shiftable = false) {}

  /** Whole milliseconds, as every stored time is (PostgreSQL's bigint columns refuse a fraction). */
  now(): number {
    return Math.round(Date.now() + this.offset * 1000);
  }

  get offsetSeconds(): number {
    return this.offset;
  }

  shift(offsetSeconds: number): void {
    if (!this.shiftable) throw new Error("the clock is shifted only under --test-clock");
    this.offset = offsetSeconds;
  }
}
