import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The app's own folder (views/, public/): next to src/ when run from source; when run compiled
 * from dist/ (benchmarks, production builds), the source tree's, which the build does not copy.
 */
const APP_DIR =
  [
    join(__dirname, '..'),
    join(__dirname, '..', '..', '..', '..', 'apps', 'compliance-dashboard'),
  ].find((dir) => existsSync(join(dir, 'views'))) ?? join(__dirname, '..');

/** A path under the app's folder. */
export const appFile = (...parts: string[]): string => join(APP_DIR, ...parts);
