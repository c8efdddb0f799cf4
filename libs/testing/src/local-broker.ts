import { readdirSync, readFileSync } from 'node:fs';

/** The pid of the Kafka broker that deploy/local/stack.sh started (its command line carries a marker). */
export function localBrokerPid(): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (commandLine.includes('consent-ledger.stack=kafka') && commandLine.includes('kafka.Kafka'))
        return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  throw new Error(
    'No broker started by deploy/local/stack.sh is running; this test freezes the local broker and needs it.',
  );
}

/**
 * Freezes the local broker (SIGSTOP), as a hung or partitioned broker looks to its clients, until
 * the returned function resumes it (SIGCONT).
 */
export function freezeLocalBroker(): () => void {
  const pid = localBrokerPid();
  process.kill(pid, 'SIGSTOP');
  let resumed = false;
  return () => {
    if (resumed) return;
    resumed = true;
    process.kill(pid, 'SIGCONT');
  };
}
