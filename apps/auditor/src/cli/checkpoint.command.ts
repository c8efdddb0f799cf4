import type { Command } from 'commander';
import { EXIT_FAILURE, outputOption, emit, withAuditor } from './cli-support';

/** `auditor checkpoint`. */
export function addCheckpointCommand(program: Command): void {
  program
    .command('checkpoint')
    .description(
      'Export the latest signed checkpoint of the chain heads with its leaves (JSON), to keep outside the system; `verify --checkpoint <file>` measures any copy of the log against it',
    )
    .addOption(outputOption)
    .action(async (options) => {
      const exported = await withAuditor((auditor) => auditor.latestCheckpoint());
      if (!exported) {
        process.stderr.write(
          'no checkpoint has been taken yet (the API takes one every CHAIN_CHECKPOINT_INTERVAL_MS)\n',
        );
        process.exitCode = EXIT_FAILURE;
        return;
      }
      emit(`${JSON.stringify(exported)}\n`, options.output);
      process.stderr.write(
        `checkpoint ${exported.checkpoint.checkpointId} of ${exported.checkpoint.createdAt}: ${exported.checkpoint.subjectCount} heads, root ${exported.checkpoint.merkleRoot}, key ${exported.checkpoint.keyId}\n`,
      );
    });
}
