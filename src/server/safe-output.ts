// The server's stdout and stderr (its logs, its start-up banner), written so that a failing output never stops the
// server: a full disk (ENOSPC), a reader that went away (EPIPE) or one that stopped reading costs lines, not
// requests. Pino's default destination would retry in a loop or throw instead.
import { fstatSync, writeSync } from "node:fs";
import { isatty } from "node:tty";

export interface LineSink {
  write(text: string): void;
}

/** Past this much output waiting for a slow reader, lines are dropped rather than held in memory. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

export function safeOutput(fd: 1 | 2): LineSink {
  const stream = fd === 1 ? process.stdout : process.stderr;
  let failed = false;
  // Anything else writing to the stream (a warning) must not turn its failure into an uncaught exception either.
  stream.on("error", () => (failed = true));
  const stat = fstatSync(fd);
  if (stat.isFile() || (stat.isCharacterDevice() && !isatty(fd))) {
    // A file or device: one write per line, each on its own, so that logging resumes once the disk has room again.
    return {
      write(text) {
        try {
          writeSync(fd, text);
        } catch {
          // dropped
        }
      },
    };
  }
  // A pipe, socket or terminal: Node's stream queues what the reader has not taken yet; once it fails, it stays failed.
  return {
    write(text) {
      if (!failed && !stream.destroyed && stream.writableLength <= MAX_PENDING_BYTES) stream.write(text);
    },
  };
}
