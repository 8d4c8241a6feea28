// Placeholder: starts nothing yet. The real-server harness (redis-server, slapd, Keycloak) replaces this.
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
