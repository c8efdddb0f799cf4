import { Counter, Gauge, Histogram } from 'prom-client';

/** The projector's Prometheus metrics (registered once per process). */
export const projectorMetrics = {
  eventsApplied: new Counter({
    name: 'projector_events_applied_total',
    help: 'Consent events applied to the read model',
  }),
  duplicates: new Counter({
    name: 'projector_events_duplicate_total',
    help: 'Events skipped because the read model already held them (same id or idempotency key)',
  }),
  deadLetters: new Counter({
    name: 'projector_dead_letters_total',
    help: 'Records sent to the dead-letter topic',
    labelNames: ['code'],
  }),
  batchSeconds: new Histogram({
    name: 'projector_batch_duration_seconds',
    help: 'Time to apply the batches of one fetch (every partition it returned), writes included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  }),
  lag: new Gauge({
    name: 'projector_consumer_lag',
    help: 'Records between the last applied offset and the high watermark',
    labelNames: ['partition'],
  }),
  outboxPublished: new Counter({
    name: 'projector_outbox_published_total',
    help: 'Decision changes published to the state and suppression topics',
  }),
  restarts: new Gauge({
    name: 'projector_consumer_restarts',
    help: 'Times the consumer was rebuilt after a crash',
  }),
};
