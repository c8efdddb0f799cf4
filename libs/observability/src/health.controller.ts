import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { APP_CONFIG, type AppConfig } from '@consent-ledger/config';
import { KafkaLifecycle, type ConsumerLiveness } from '@consent-ledger/kafka';
import { DataSource } from 'typeorm';

/** DI token: an app that consumes provides `{ liveness(): ConsumerLiveness }` under it. */
export const CONSUMER_LIVENESS = Symbol('CONSUMER_LIVENESS');

export interface ConsumerLivenessSource {
  liveness(): ConsumerLiveness;
}

const CHECK_TIMEOUT_MS = 3_000;

/**
 * `/health`: the broker, the schema registry and (for apps that use one) the database each
 * answer, or the app is down.
 */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly kafka: KafkaLifecycle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(CONSUMER_LIVENESS) private readonly consumer?: ConsumerLivenessSource,
    @Optional() private readonly dataSource?: DataSource,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness and readiness of the broker, the registry and the database' })
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.broker(),
      () => this.registry(),
      ...(this.dataSource
        ? [() => this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS })]
        : []),
      ...(this.consumer ? [() => this.consumerHealth(this.consumer!)] : []),
    ]);
  }

  private async broker(): Promise<HealthIndicatorResult<'broker'>> {
    const session = this.indicators.check('broker');
    try {
      const admin = await this.kafka.sharedAdmin();
      const cluster = await admin.describeCluster();
      return session.up({ clusterId: cluster.clusterId, brokers: cluster.brokers.length });
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }

  private consumerHealth(source: ConsumerLivenessSource): HealthIndicatorResult<'consumer'> {
    const session = this.indicators.check('consumer');
    const liveness = source.liveness();
    const details = {
      restarts: liveness.restarts,
      lastBatchAt: liveness.lastBatchAt?.toISOString() ?? null,
      lag: Object.fromEntries(liveness.lag),
    };
    return liveness.running ? session.up(details) : session.down(details);
  }

  private async registry(): Promise<HealthIndicatorResult<'registry'>> {
    const session = this.indicators.check('registry');
    try {
      const response = await fetch(`${this.config.schemaRegistry.url}/subjects`, {
        signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
      });
      return response.ok ? session.up() : session.down({ message: `HTTP ${response.status}` });
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}
