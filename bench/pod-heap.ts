/**
 * The V8 heap Node gives itself inside a container with a memory limit, as node flags, so the benchmark measures
 * the bridge as it runs in the Helm chart's pod rather than with the heap a large machine would give it.
 *
 * Node sizes the heap from the smaller of the machine's memory and the cgroup limit (libuv's
 * `uv_get_constrained_memory`), through V8's `Heap::HeapSizeFromPhysicalMemory` on 64-bit Linux without pointer
 * compression: the old generation gets half the memory, at least 256 MiB and at most 4 GiB; each of the young
 * generation's two semi-spaces gets 1/256 of the old generation while that is at most 256 MiB, 1/128 above, between
 * 1 and 64 MiB. With the chart's 256 MiB limit that is a 256 MiB old generation and 1 MiB semi-spaces, where a
 * 24 GiB machine gives 4 GiB and 64 MiB.
 */
export const CHART_MEMORY_LIMIT_MIB = 256;

/** What deploy/Dockerfile's ENTRYPOINT gives node on top of Node's own sizing (a test keeps the two in step). */
export const IMAGE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16'];

/**
 * What deploy/Dockerfile's ENV gives node's allocator (a test keeps the two in step): glibc makes a malloc arena
 * per thread that allocates (the main thread, libuv's pool running WebCrypto, V8's workers), each holding freed
 * memory of its own; two arenas keep about 10 MB less resident under load at no measurable cost in CPU.
 */
export const IMAGE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** The environment of a process of the image in a pod (none of the image's settings for a limit of 0). */
export function podEnv(limitMiB: number): NodeJS.ProcessEnv {
  return limitMiB <= 0 ? process.env : { ...process.env, ...IMAGE_ENV };
}

/** The heap of a process of the image in a pod with this memory limit: Node's sizing, then the image's flags. */
export function podHeapFlags(limitMiB: number): string[] {
  if (limitMiB <= 0) return [];
  const oldMiB = Math.min(4096, Math.max(256, Math.floor(limitMiB / 2)));
  const semiMiB = Math.min(64, Math.max(1, Math.floor(oldMiB / (oldMiB <= 256 ? 256 : 128))));
  // A later --max-semi-space-size wins over Node's own, as in the image.
  return [`--max-old-space-size=${oldMiB}`, `--max-semi-space-size=${semiMiB}`, ...IMAGE_NODE_FLAGS];
}
