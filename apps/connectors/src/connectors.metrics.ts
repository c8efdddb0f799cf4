import { Counter, Histogram } from 'prom-client';

/** The connectors' Prometheus metrics (registered once per process). */
export const connectorMetrics = {
  propagationSeconds: new Histogram({
    name: 'connector_propagation_seconds',
    help: 'Cause event accepted -> vendor acknowledged the update',
    labelNames: ['sink'],
    buckets: [0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.5, 1, 2, 5, 10, 30],
  }),
  delivered: new Counter({
    name: 'connector_updates_delivered_total',
    help: 'Updates the vendor acknowledged',
    labelNames: ['sink'],
  }),
  skipped: new Counter({
    name: 'connector_updates_skipped_total',
    help: 'Updates already delivered (re-publish or re-consume)',
    labelNames: ['sink'],
  }),
  retries: new Counter({
    name: 'connector_vendor_retries_total',
    help: 'Retried vendor calls',
    labelNames: ['sink', 'code'],
  }),
  deadLetters: new Counter({
    name: 'connector_dead_letters_total',
    help: 'Updates dead-lettered after bounded retries or a refusal',
    labelNames: ['sink', 'code'],
  }),
};
