import { pino, type DestinationStream } from 'pino';

/**
 * Where log lines go: pino's SonicBoom, fed one Buffer per line, collecting lines up to `BATCH_BYTES` (or for at
 * most `BATCH_MS`) and writing them with one synchronous write.
 *
 * Why batched and synchronous: SonicBoom's asynchronous mode hands every write to a libuv thread-pool thread and
 * back; with a line per login and few lines per event-loop turn, that is a thread switch or two per login on a
 * CPU the event loop is using. At saturation the audit line cost the bridge ~10 % of its CPU per login that way
 * (~45 µs; the same run without the audit line, or with this destination, saved the same). A write of 8 KiB to a
 * file or a pipe costs a few µs once per ~20 logins. The price: a line reaches the file up to `BATCH_MS` after it
 * was logged (lines still pending are written on exit), and a destination that blocks (a pipe nobody reads)
 * blocks the process, as pino's own default destination does.
 *
 * Why not `pino.destination()` in its string mode: SonicBoom appends each line to the pending chunk and measures
 * that whole chunk with `Buffer.byteLength` on every write, which makes V8 flatten (copy) up to 16 KB per line.
 * Under load that was ~8 KB of garbage per login and a sixth of everything a login allocated.
 * In buffer mode SonicBoom keeps a list of Buffers with their lengths and joins them once per write.
 */
export interface LogDestination extends DestinationStream {
  /** Write what is pending, then call back (pino's `logger.flush()` ends up here). */
  flush(callback?: (err?: Error) => void): void;
  /** Write what is pending before returning (exit paths). */
  flushSync(): void;
}

/** Lines are written when this much is pending… */
const BATCH_BYTES = 8192;
/** …or at the next tick of a timer with this period, so none waits longer than this. */
const BATCH_MS = 100;

export function logDestination(options: { dest: number | string; mkdir?: boolean }): LogDestination {
  const boom = pino.destination({
    dest: options.dest,
    mkdir: options.mkdir ?? false,
    sync: true,
    minLength: BATCH_BYTES,
    periodicFlush: BATCH_MS,
    contentMode: 'buffer',
  });
  flushOnExit(boom);
  // SonicBoom's types only know its string mode; in buffer mode `write` takes the Buffer.
  const writeBuffer = boom.write.bind(boom) as unknown as (line: Buffer) => boolean;
  return {
    write(line: string) {
      writeBuffer(Buffer.from(line, 'utf8'));
    },
    flush(callback) {
      boom.flush(callback);
    },
    flushSync() {
      boom.flushSync();
    },
  };
}

/** pino flushes only its asynchronous destinations on exit; these hold up to BATCH_BYTES too. */
interface Flushable {
  flushSync(): void;
  destroyed?: boolean;
}
const pendingAtExit = new Set<WeakRef<Flushable>>();

function flushOnExit(destination: Flushable): void {
  if (pendingAtExit.size === 0) {
    process.once('exit', () => {
      for (const ref of pendingAtExit) {
        const live = ref.deref();
        if (live && !live.destroyed) {
          try {
            live.flushSync();
          } catch {
            // A destination that can no longer be written (closed pipe) has nothing to say at exit.
          }
        }
      }
    });
  }
  pendingAtExit.add(new WeakRef(destination));
}

/**
 * pino's ISO timestamp (`,"time":"2026-11-23T07:50:47.123Z"`), with the part up to the seconds made once per
 * second: `Date#toISOString` cost ~4 µs per line here, on every login's audit line.
 */
export function isoTimestamp(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    // "2026-11-23T07:50:47." — toISOString always has exactly three fraction digits.
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const millis = now - second * 1000;
  return `,"time":"${cachedPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z"`;
}

let cachedSecond = Number.NaN;
let cachedPrefix = '';
