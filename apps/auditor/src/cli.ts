import { Command } from 'commander';
import { UnknownPurposeError } from '@consent-ledger/consent-domain';
import { EXIT_FAILURE, EXIT_USAGE, UsageError } from './cli/cli-support';
import { addReplayCommand } from './cli/replay.command';
import { addVerifyCommand } from './cli/verify.command';
import { addCheckpointCommand } from './cli/checkpoint.command';
import { addProofCommand } from './cli/proof.command';
import { addExportCommand } from './cli/export.command';
import { addUsageCommand } from './cli/usage.command';
import { LogReaderUnavailableError, UnknownTopicError } from './replay-options';

export function auditorProgram(): Command {
  const program = new Command('auditor')
    .description(
      'Consent Ledger auditor: replay the consent log to any moment, verify it, prove consent, export events.\n' +
        'Reads the same settings as the apps (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL, …).',
    )
    .showHelpAfterError()
    .exitOverride();
  addReplayCommand(program);
  addVerifyCommand(program);
  addCheckpointCommand(program);
  addProofCommand(program);
  addExportCommand(program);
  addUsageCommand(program);
  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await auditorProgram().parseAsync([...argv]);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return;
    if (code?.startsWith('commander.')) {
      process.exitCode = EXIT_USAGE;
      return;
    }
    if (
      error instanceof UsageError ||
      error instanceof UnknownPurposeError ||
      error instanceof UnknownTopicError ||
      error instanceof LogReaderUnavailableError
    ) {
      process.stderr.write(`auditor: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(
      `auditor failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = EXIT_FAILURE;
  }
}

if (require.main === module) void main(process.argv);
