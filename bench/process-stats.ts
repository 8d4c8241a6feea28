/**
 * CPU and memory of a benchmark process, as the orchestrator asks for them between phases. The peak RSS is
 * sampled here every 50 ms, because `resourceUsage().maxRSS` cannot be reset between phases.
 */
export interface ProcessStats {
  /** User + system CPU time since the process started, microseconds. */
  cpuMicros: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /** Highest RSS seen since the last `resetPeak`. */
  peakRssBytes: number;
}

export interface StatsCommands {
  stats: { args: { gc?: boolean }; result: ProcessStats };
  resetPeak: { args: null; result: null };
}

let peak = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 50);
sampler.unref();

export function statsHandlers(): { stats(args: { gc?: boolean }): Promise<ProcessStats>; resetPeak(): Promise<null> } {
  return {
    async stats({ gc }) {
      // Only processes started with --expose-gc can settle their heap before a reading.
      const collect = (globalThis as { gc?: () => void }).gc;
      if (gc && collect) {
        collect();
        await new Promise((resolve) => setImmediate(resolve));
        collect();
      }
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      peak = Math.max(peak, memory.rss);
      return { cpuMicros: cpu.user + cpu.system, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal, externalBytes: memory.external, peakRssBytes: peak };
    },
    async resetPeak() {
      peak = process.memoryUsage.rss();
      return null;
    },
  };
}
