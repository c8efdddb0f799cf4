import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { diffPolicies } from '@consent-ledger/consent-domain';
import { parseConsentPolicy } from './consent-policy.loader';

const DEFAULT_FILE = 'deploy/policy/consent-policy.yaml';
const usage = `usage: npm run policy:diff -- <before> [<after>]
  each side is a file path, or git:<rev> for ${DEFAULT_FILE} at that revision
  <after> defaults to ${DEFAULT_FILE} as it is now
  e.g. npm run policy:diff -- git:HEAD        (what your uncommitted edit changes)
       npm run policy:diff -- git:v1.2 git:v1.3
exit status: 0 no change or a versioned change, 1 content changed but version did not, 2 bad use`;

/** Reads one side: a file, or the policy file at a git revision. */
function read(side: string): { label: string; text: string } {
  if (side.startsWith('git:')) {
    const revision = side.slice(4) || 'HEAD';
    const text = execFileSync('git', ['show', `${revision}:${DEFAULT_FILE}`], { encoding: 'utf8' });
    return { label: `${DEFAULT_FILE} at ${revision}`, text };
  }
  return { label: side, text: readFileSync(side, 'utf8') };
}

/** `npm run policy:diff`: what a change of the consent policy does, for review. */
function main(): number {
  const [beforeSide, afterSide = DEFAULT_FILE] = process.argv.slice(2);
  if (!beforeSide || beforeSide === '--help' || beforeSide === '-h') {
    process.stdout.write(`${usage}\n`);
    return beforeSide ? 0 : 2;
  }
  const sides = [read(beforeSide), read(afterSide)].map(({ label, text }) => ({
    label,
    ...parseConsentPolicy(text, { file: label, strictestEverywhere: false }),
  }));
  const [before, after] = sides as [(typeof sides)[0], (typeof sides)[0]];
  const diff = diffPolicies(before, after);
  process.stdout.write(
    `--- ${before.label} (version ${before.policy.version}, sha256 ${before.digest.slice(0, 12)})\n`,
  );
  process.stdout.write(
    `+++ ${after.label} (version ${after.policy.version}, sha256 ${after.digest.slice(0, 12)})\n`,
  );
  if (diff.changes.length === 0) {
    process.stdout.write('no change to the policy\n');
    return 0;
  }
  diff.changes.forEach((change) => process.stdout.write(`${change}\n`));
  if (diff.versionNotBumped) {
    process.stderr.write(
      `\nthe policy changed but its version did not: set a new \`version\` so that decisions made under each can be told apart\n`,
    );
    return 1;
  }
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(
    `policy:diff failed: ${error instanceof Error ? error.message : String(error)}\n${usage}\n`,
  );
  process.exitCode = 2;
}
