import { Option } from 'commander';
import type { Command } from 'commander';
import { renderProofHtml } from '../proof/proof-report';
import { EXIT_FINDINGS, outputOption, subjectId, emit, withAuditor } from './cli-support';

/** `auditor proof`. */
export function addProofCommand(program: Command): void {
  program
    .command('proof')
    .description(
      'Everything that shows what a person agreed to: events, notices shown, evidence, what each system was told',
    )
    .requiredOption('--subject <id>', 'the subject', subjectId)
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['json', 'html'])
        .default('json'),
    )
    .addOption(outputOption)
    .action(async (options) => {
      const proof = await withAuditor((auditor) => auditor.proof(options.subject));
      if (proof.events.length === 0)
        process.stderr.write(`no consent events are recorded for ${options.subject}\n`);
      emit(
        options.format === 'html' ? renderProofHtml(proof) : `${JSON.stringify(proof, null, 2)}\n`,
        options.output,
      );
      if (!proof.chainIntact) {
        process.stderr.write('the subject’s hash chain is BROKEN: see the events marked so\n');
        process.exitCode = EXIT_FINDINGS;
      }
    });
}
