import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ConfigFileError } from '../config/file-errors.js';
import { loadRulesFile, parseRules, readRulesText, rulesContentHash } from './load.js';
import type { RuleSet } from './rule-set.js';

export interface RulesWatcher {
  /** The last good rules: a broken edit never replaces them. */
  current(): RuleSet;
  close(): void;
}

export interface RulesWatchHooks {
  onReload(rules: RuleSet): void;
  /** Once per distinct broken content (or read failure), not on every poll. */
  onError(error: ConfigFileError | Error): void;
}

/** Editors write in steps (truncate, then write); waiting a moment avoids parsing the half-written file. */
const SETTLE_MS = 100;

/**
 * Loads the file (throwing if it is broken: there is no last good version yet), then reloads it on change.
 * Kubernetes swaps a mounted ConfigMap by renaming a `..data` symlink in the directory, which a watch on the file
 * itself never sees; so the directory is watched, and a poll that compares content hashes catches whatever the
 * watch misses (network filesystems, inotify limits).
 */
export async function watchRulesFile(path: string, hooks: RulesWatchHooks, pollMs = 2000): Promise<RulesWatcher> {
  let current = await loadRulesFile(path);
  /** What failed last (content hash or read error), so one broken version is reported once. */
  let lastFailure: string | undefined;
  /**
   * A failure counts once it has lasted a moment: a reader can catch a file between truncation and write, and
   * that passing state is not worth an error.
   */
  let suspect: { key: string; since: number } | undefined;
  let closed = false;
  let checking = false;
  let again = false;

  const reloadIfChanged = async () => {
    let text: string;
    try {
      text = await readRulesText(path);
    } catch (err) {
      fail(`read:${(err as Error).message}`, err as Error);
      return;
    }
    const hash = rulesContentHash(text);
    if (hash === current.contentHash) {
      lastFailure = suspect = undefined;
      return;
    }
    let next: RuleSet;
    try {
      next = parseRules(text, path);
    } catch (err) {
      fail(hash, err as Error);
      return;
    }
    if (closed) return;
    current = next;
    lastFailure = suspect = undefined;
    hooks.onReload(next);
  };

  const fail = (key: string, error: Error) => {
    if (closed || key === lastFailure) return;
    if (suspect?.key !== key) {
      suspect = { key, since: Date.now() };
      soon();
      return;
    }
    if (Date.now() - suspect.since < SETTLE_MS) {
      soon();
      return;
    }
    suspect = undefined;
    lastFailure = key;
    hooks.onError(error);
  };

  /** One check at a time; a change noticed during a check triggers one more afterwards. */
  const check = async () => {
    if (closed) return;
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        await reloadIfChanged();
      } while (again && !closed);
    } catch (err) {
      hooks.onError(err as Error); // only a throwing onReload hook gets here
    } finally {
      checking = false;
    }
  };

  let settle: NodeJS.Timeout | undefined;
  const soon = () => {
    clearTimeout(settle);
    settle = setTimeout(() => void check(), SETTLE_MS);
    settle.unref();
  };

  const name = basename(path);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
      if (!changed || changed === name || changed.startsWith('..')) soon();
    });
    // The poll still runs; a watcher that fails (e.g. inotify limit) is simply dropped.
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }
  const poll = setInterval(() => void check(), pollMs);
  poll.unref();

  return {
    current: () => current,
    close: () => {
      closed = true;
      clearInterval(poll);
      clearTimeout(settle);
      watcher?.close();
    },
  };
}

