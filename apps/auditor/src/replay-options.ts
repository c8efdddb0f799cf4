/**
 * The auditor's choices and refusals that its CLI needs before it loads anything heavy (the CLI
 * starts a replay's worker threads first, and loads the database and Kafka libraries after): the
 * log reader's port alone, without its adapters.
 */
export {
  logReaderKinds,
  LogReaderUnavailableError,
  UnknownTopicError,
  type LogReaderKind,
} from '@consent-ledger/log-reader/log-reader';

export const timeAxes = ['recorded', 'occurred'] as const;
export type TimeAxis = (typeof timeAxes)[number];
