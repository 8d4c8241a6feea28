/**
 * `${NAME}` in the config file is replaced by the environment variable NAME (secrets stay out of the file);
 * `${NAME:-fallback}` gives a default. A missing variable without a default is a config error, not an empty
 * secret.
 */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface MissingVariable {
  path: PropertyKey[];
  name: string;
  /** Set, to the empty string (as an unfilled secret in a Kubernetes manifest is). */
  empty: boolean;
}

export function substituteEnv(
  data: unknown,
  env: NodeJS.ProcessEnv,
  missing: MissingVariable[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof data === 'string') {
    return data.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      missing.push({ path, name, empty: value === '' });
      return '';
    });
  }
  if (Array.isArray(data)) return data.map((item, i) => substituteEnv(item, env, missing, [...path, i]));
  if (data !== null && typeof data === 'object') {
    return Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, substituteEnv(value, env, missing, [...path, key])]),
    );
  }
  return data;
}
