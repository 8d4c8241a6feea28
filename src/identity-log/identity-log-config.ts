import { z } from 'zod';

/**
 * `identityLog:` in the config file. Off unless the operator turns it on: it keeps who signed in (no password,
 * no token), which is personal data, for `loginshare-bridge diff` to preview a rules change against.
 */
export const identityLogConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Per realm: the oldest entries are overwritten once the log is full. */
    maxEntries: z.number().int().min(10).max(100_000).default(1_000),
    /** An entry is forgotten after this long. */
    retentionHours: z.number().int().min(1).max(24 * 90).default(168),
    /** A person is recorded at most once per this many minutes, so frequent users do not crowd out the rest. */
    minIntervalMinutes: z.number().int().min(0).max(24 * 60).default(60),
    /** Claims kept with each entry (dotted paths, for `when.claims` and templates); none by default. */
    claims: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .default({ enabled: false, maxEntries: 1_000, retentionHours: 168, minIntervalMinutes: 60, claims: [] });

export type IdentityLogConfig = z.output<typeof identityLogConfigSchema>;
