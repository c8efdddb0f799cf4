import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A local file of keys (JSON, mode 0600, its folder 0700), read, or created with `create()` when
 * missing. Instances starting at the same moment agree: the first to write it wins and the others
 * read what it wrote.
 */
export function readOrCreateKeyFile<T>(path: string, create: () => T): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const created = create();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    // 'wx': another instance starting at the same moment may have written it first; keep theirs.
    writeFileSync(path, JSON.stringify(created, null, 2), { mode: 0o600, flag: 'wx' });
    return created;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    throw error;
  }
}

/** Writes a key file anew (a rotation), mode 0600. */
export function writeKeyFile(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2), { mode: 0o600 });
}
