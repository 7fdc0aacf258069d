// Key versions' private keys as opened from their sealed rows, kept per version: every sign, decrypt or unwrap would
// otherwise open its key again (AES-GCM and a copy), and parse it again (keys/crypto-operations.ts keeps the parsed key
// for as long as this holds the bytes it parsed). An entry serves a read only while the row's envelope and sealing
// context are the ones it was opened from, so a changed, purged or restored version never meets stale bytes; soft
// delete and purge of a key or a vault drop its entries at once. Bounded; memory only (docs/security.md).

const OPENED_KEYS_MAX = 1000;

interface Opened {
  envelope: string;
  context: string;
  plain: Buffer;
}

export class OpenedKeys {
  private readonly entries = new Map<string, Opened>();

  /** What `envelope` opens to in `context` (by `open`), or what it opened to before. */
  open(vault: string, nameKey: string, version: string, envelope: string, context: string, open: () => Buffer): Buffer {
    const id = `${vault}\n${nameKey}\n${version}`;
    const hit = this.entries.get(id);
    if (hit && hit.envelope === envelope && hit.context === context) return hit.plain;
    const plain = open();
    if (!hit && this.entries.size >= OPENED_KEYS_MAX) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, { envelope, context, plain });
    return plain;
  }

  /** Drops a vault's keys, or with `nameKey` one key's versions. */
  forget(vault: string, nameKey?: string): void {
    const prefix = nameKey === undefined ? `${vault}\n` : `${vault}\n${nameKey}\n`;
    for (const id of this.entries.keys()) if (id.startsWith(prefix)) this.entries.delete(id);
  }
}
