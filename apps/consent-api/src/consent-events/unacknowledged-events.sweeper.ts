import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@consent-ledger/config';
import { ConsentEventWriter } from './consent-event.writer';

/**
 * Sends again, every KAFKA_ACK_TIMEOUT_MS (at least every second), the events Kafka did not
 * acknowledge when they were written, until it holds them: a client told "outcome unknown" that
 * never retries still gets its event written, once in effect (an exact repeat by event id is
 * applied once everywhere).
 */
@Injectable()
export class UnacknowledgedEventsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UnacknowledgedEventsSweeper.name);
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly writer: ConsentEventWriter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.sweep(),
      Math.max(1_000, this.config.kafka.ackTimeoutMs),
    );
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One sweep; returns how many subjects' events were sent again and acknowledged. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      const settled = await this.writer.resendUnacknowledged();
      if (settled > 0)
        this.logger.log({ msg: 'unacknowledged events sent again', subjects: settled });
      return settled;
    } catch (error) {
      this.logger.warn({
        msg: 'unacknowledged events not yet acknowledged; the next sweep sends them again',
        error: (error as Error).message,
      });
      return 0;
    } finally {
      this.sweeping = false;
    }
  }
}
