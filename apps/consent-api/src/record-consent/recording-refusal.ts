import type { RecordingViolation } from '@consent-ledger/consent-domain';
import { AppError } from '@consent-ledger/http';

/** The answer to a command the decider refused: it fails alone, the rest of the group goes on. */
export function refusal(violation: RecordingViolation): AppError {
  if (violation.code === 'CONSENT.IDEMPOTENCY_KEY_REUSED')
    return new AppError(
      violation.code,
      'Idempotency key reused',
      `Key '${violation.idempotencyKey}' was already used for a different event of subject '${violation.subjectId}'.`,
      [
        {
          field: 'idempotencyKey',
          code: violation.code,
          message: 'already used with different content',
        },
      ],
    );
  if (violation.code === 'SUBJECT.ERASED')
    return new AppError(
      violation.code,
      'Subject erased',
      `Subject '${violation.subjectId}' was erased at their request; nothing of theirs is recorded again and every purpose stays denied.`,
      [{ field: 'subjectId', code: violation.code, message: 'this subject was erased' }],
    );
  // Validation should have caught it first.
  return new AppError(
    violation.code,
    'Event cannot be serialised',
    `The event for subject '${violation.subjectId}' with key '${violation.idempotencyKey}' does not fit the event schema: ${violation.reason}`,
  );
}
