import { pino, type DestinationStream } from 'pino';

/**
 * Where log lines go: pino's SonicBoom (asynchronous writes, flushed on exit), fed one Buffer per line.
 *
 * Why not `pino.destination()` as it comes: in its string mode SonicBoom appends each line to the pending chunk
 * and measures that whole chunk with `Buffer.byteLength` on every write, which makes V8 flatten (copy) up to
 * 16 KB per line. Under load that was ~8 KB of garbage per login and a sixth of everything a login allocated
 * (docs/benchmarks.md). In buffer mode SonicBoom keeps a list of Buffers with their lengths and joins them once
 * per write to the file.
 */
export interface LogDestination extends DestinationStream {
  /** Write what is pending, then call back (pino's `logger.flush()` ends up here). */
  flush(callback?: (err?: Error) => void): void;
  /** Write what is pending before returning (exit paths). */
  flushSync(): void;
}

export function logDestination(options: { dest: number | string; mkdir?: boolean }): LogDestination {
  const boom = pino.destination({ dest: options.dest, mkdir: options.mkdir ?? false, sync: false, contentMode: 'buffer' });
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
