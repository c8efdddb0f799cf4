// Preloaded into an app by `npm run bench -- propagation --profile DIR` (NODE_OPTIONS=--import …):
// SIGWINCH (which NestJS does not treat as a shutdown signal, unlike SIGUSR2) starts a V8 CPU
// profile, the next SIGWINCH writes it to
// $CPU_PROFILE_DIR/<CPU_PROFILE_LABEL>-<pid>.cpuprofile, so the profile covers the load window
// only. Open it in Chrome DevTools or summarise it with bench/profile-summary.ts.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import process from 'node:process';

const session = new Session();
session.connect();
let profiling = false;
process.on('SIGWINCH', () => {
  if (!profiling) {
    profiling = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 500 }, () =>
        session.post('Profiler.start'),
      ),
    );
    return;
  }
  profiling = false;
  session.post('Profiler.stop', (error, result) => {
    if (error) return;
    const label = process.env.CPU_PROFILE_LABEL || 'app';
    const file = join(process.env.CPU_PROFILE_DIR || '.', `${label}-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
  });
});
