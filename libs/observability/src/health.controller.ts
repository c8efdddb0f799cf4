import {
  Controller,
  Get,
  Headers,
  Inject,
  Optional,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';
import { API_KEY_SOURCE, APP_CONFIG } from '@consent-ledger/config';
import type { ApiKeySource, AppConfig } from '@consent-ledger/config';
import { ApiKeyAuthenticator } from '@consent-ledger/http';
import { KafkaLifecycle } from '@consent-ledger/kafka';
import type { ConsumerLiveness } from '@consent-ledger/kafka';
import { DataSource } from 'typeorm';

/** DI token: an app that consumes provides `{ liveness(): ConsumerLiveness }` under it. */
export const CONSUMER_LIVENESS = Symbol('CONSUMER_LIVENESS');

export interface ConsumerLivenessSource {
  liveness(): ConsumerLiveness;
}

const CHECK_TIMEOUT_MS = 3_000;

/**
 * What `/health` answers: `ok`, `degraded` (working, but a dependency it can do without for a
 * while is down: the schema registry), or `error`; with the detail for an operations key.
 */
type HealthStatus = HealthCheckResult['status'] | 'degraded';
type HealthReport =
  | (Omit<HealthCheckResult, 'status'> & {
      readonly status: HealthStatus;
      readonly degraded?: HealthIndicatorResult;
    })
  | { readonly status: HealthStatus };

/**
 * `/health`: the broker and (for apps that use one) the database each answer, and the consumer
 * runs, or the app is down (503). The schema registry down makes it `degraded` (200): every app
 * keeps the schemas it has used, so writes, projections and deliveries go on; only a schema it has
 * not seen yet cannot be resolved. Anyone (a load balancer's probe) learns the status; the detail
 * (cluster id, consumer lag, error messages) is for a key with the `operations` scope.
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
    @Optional() @Inject(API_KEY_SOURCE) keySource?: ApiKeySource,
  ) {
    this.authenticator = new ApiKeyAuthenticator(config.apiKeys, keySource);
  }

  private readonly authenticator: ApiKeyAuthenticator;

  @Get()
  @ApiOperation({
    summary: 'Liveness and readiness of the broker, the database and the schema registry',
    description:
      '200 `{ status: "ok" }`, 200 `{ status: "degraded" }` when the schema registry is down (the app keeps working with the schemas it has), or 503 `{ status: "error" }`; with an API key holding the operations scope, every check with its detail.',
  })
  async check(@Headers() headers: IncomingHttpHeaders): Promise<HealthReport> {
    const detailed = this.mayReadDetail(headers);
    const [registry, result] = await Promise.all([
      this.registry(),
      this.health
        .check([
          () => this.broker(),
          ...(this.dataSource
            ? [() => this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS })]
            : []),
          ...(this.consumer ? [() => this.consumerHealth(this.consumer!)] : []),
        ])
        .catch((error: unknown) => {
          if (!(error instanceof ServiceUnavailableException)) throw error;
          return error;
        }),
    ]);
    const registryUp = registry.registry?.status === 'up';
    if (result instanceof ServiceUnavailableException) {
      const failed = result.getResponse() as HealthCheckResult;
      throw new ServiceUnavailableException(
        detailed
          ? { ...failed, details: { ...failed.details, ...registry } }
          : { status: failed.status },
      );
    }
    const status: HealthStatus = registryUp ? result.status : 'degraded';
    if (!detailed) return { status };
    return {
      ...result,
      status,
      details: { ...result.details, ...registry },
      ...(registryUp ? { info: { ...result.info, ...registry } } : { degraded: registry }),
    };
  }

  /** A presented key with the operations scope; anything else (none, unknown) sees no detail. */
  private mayReadDetail(headers: IncomingHttpHeaders): boolean {
    try {
      this.authenticator.authenticate(headers, ['operations']);
      return true;
    } catch {
      return false;
    }
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

  /**
   * Whether the registry answers: its global compatibility setting, a call whose cost does not
   * grow with the subjects it holds (listing the subjects did, and with a registry of thousands a
   * probe every second from every app kept it and its database busy). /health asked while a
   * probe is in flight shares it; the next one asks again, so a registry that went away shows
   * at once.
   */
  private registry(): Promise<HealthIndicatorResult<'registry'>> {
    this.registryProbe ??= this.probeRegistry().finally(() => {
      this.registryProbe = undefined;
    });
    return this.registryProbe;
  }

  private registryProbe?: Promise<HealthIndicatorResult<'registry'>>;

  private async probeRegistry(): Promise<HealthIndicatorResult<'registry'>> {
    const session = this.indicators.check('registry');
    try {
      const response = await fetch(`${this.config.schemaRegistry.url}/config`, {
        signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
      });
      await response.arrayBuffer();
      return response.ok ? session.up() : session.down({ message: `HTTP ${response.status}` });
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}
