export * from './log-reader';
export * from './create-log-reader';
export * from './direct-fetch.reader';
export * from './kafkajs-consumer.reader';
export { canScanLog, scanLog, type LogScanOptions } from './direct-fetch/log-scanner';
export { RecordBatchCursor, RecordBatchError } from './direct-fetch/record-batch-cursor';
export { crc32c } from './direct-fetch/crc32c';
