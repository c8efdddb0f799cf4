import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system) a process has used so far, from /proc; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start at state; utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Pids of the processes whose /proc/<pid>/<file> satisfies `matches`. */
function pidsWhere(file: 'comm' | 'cmdline', matches: (text: string) => boolean): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return matches(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Pids of the processes whose command name is `name` (e.g. every PostgreSQL backend). */
export const pidsNamed = (name: string) => pidsWhere('comm', (comm) => comm.trim() === name);

/** Pids of the processes started with `-D<property>` (the stack marks its Java processes so). */
export const pidsWithArgument = (property: string) =>
  pidsWhere('cmdline', (cmdline) => cmdline.split('\0').includes(`-D${property}`));

/** Machine-wide busy CPU seconds so far (all cores), from /proc/stat. */
function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const values = ticks.map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return (values.reduce((sum, value) => sum + value, 0) - idle) / 100;
}

/**
 * CPU used by named groups of processes between start() and stop(): where a benchmark's load
 * spends the machine. A group's pids are looked up at both ends; a process that ended in
 * between is not counted (pooled connections live through a run).
 */
export class CpuMeter {
  private startedAt = 0;
  private readonly before = new Map<string, Map<number, number>>();
  private machineBefore = 0;

  constructor(private readonly groups: Readonly<Record<string, () => readonly number[]>>) {}

  start(): void {
    this.startedAt = performance.now();
    this.machineBefore = machineBusySeconds();
    for (const [name, pids] of Object.entries(this.groups))
      this.before.set(name, new Map(pids().map((pid) => [pid, cpuSeconds(pid)])));
  }

  /** CPU seconds per group, the machine's total, and the wall-clock seconds measured. */
  stop(): { wallSeconds: number; machineBusySeconds: number; groups: Record<string, number> } {
    const groups: Record<string, number> = {};
    for (const [name, pids] of Object.entries(this.groups)) {
      const before = this.before.get(name)!;
      groups[name] = pids().reduce(
        (sum, pid) => sum + Math.max(0, cpuSeconds(pid) - (before.get(pid) ?? 0)),
        0,
      );
    }
    return {
      wallSeconds: (performance.now() - this.startedAt) / 1000,
      machineBusySeconds: machineBusySeconds() - this.machineBefore,
      groups,
    };
  }
}
