import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG } from '@consent-ledger/config';
import type { AppConfig } from '@consent-ledger/config';
import { ConsentEventWriter } from './consent-event.writer';
import { PeriodicSweep } from '@consent-ledger/observability';

/**
 * Sends again, every KAFKA_ACK_TIMEOUT_MS (at least every second), the events Kafka did not
 * acknowledge when they were written, until it holds them: a client told "outcome unknown" that
 * never retries still gets its event written, once in effect (an exact repeat by event id is
 * applied once everywhere).
 */
@Injectable()
export class UnacknowledgedEventsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UnacknowledgedEventsSweeper.name);
  private readonly periodic = new PeriodicSweep(
    this.logger,
    () => this.sendAgain(),
    'unacknowledged events not yet acknowledged; the next sweep sends them again',
  );

  constructor(
    private readonly writer: ConsentEventWriter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(Math.max(1_000, this.config.kafka.ackTimeoutMs));
  }

  onApplicationShutdown(): void {
    this.periodic.stop();
  }

  /** One sweep; returns how many subjects' events were sent again and acknowledged. */
  sweep(): Promise<number> {
    return this.periodic.run();
  }

  private async sendAgain(): Promise<number> {
    const settled = await this.writer.resendUnacknowledged();
    if (settled > 0)
      this.logger.log({ msg: 'unacknowledged events sent again', subjects: settled });
    return settled;
  }
}
