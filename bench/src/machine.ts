import os from "node:os";

/** The 1-minute load average, as every part reports it before and after it runs. */
export const load1 = () => Number(os.loadavg()[0]!.toFixed(2));

/** What a part's results say about the machine they were measured on. */
export interface BenchMachine {
  cpus: number;
  cpuModel: string;
  node: string;
  loadAtStart: number;
  loadAtEnd: number;
}

/** The machine now, for a part that started at `loadAtStart`. */
export function benchMachine(loadAtStart: number): BenchMachine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    node: process.version,
    loadAtStart,
    loadAtEnd: load1(),
  };
}
