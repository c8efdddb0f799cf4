import type { KafkaSettings } from '@consent-ledger/config';
import { scanLog } from './direct-fetch/log-scanner';
import type { LogReader, LogReadRequest } from './log-reader';

/**
 * Reads with Fetch requests of its own sent straight to each partition's leader (`scanLog`): no
 * consumer group, no object per record, each record batch's CRC-32C checked. Plaintext and TLS;
 * not SASL.
 */
export class DirectFetchLogReader implements LogReader {
  readonly kind = 'direct-fetch';

  constructor(
    private readonly kafka: KafkaSettings,
    private readonly clientIdSuffix: string,
  ) {}

  read(request: LogReadRequest): Promise<{ firstFetchAt: number }> {
    return scanLog({
      kafka: this.kafka,
      clientIdSuffix: this.clientIdSuffix,
      topic: request.topic,
      ranges: request.spans,
      onRecords: (partition, records) =>
        request.onRecords(partition, records).then(() => undefined),
    });
  }
}
