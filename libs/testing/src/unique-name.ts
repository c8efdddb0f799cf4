import { randomBytes } from 'node:crypto';

/** A name no other test uses: topics, groups, subjects and databases get one each. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
