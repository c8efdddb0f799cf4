import { EVERY_PURPOSE } from '@consent-ledger/consent-domain';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

const topicSchema = z.object({
  name: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'must be a legal Kafka topic name'),
  partitions: z.number().int().min(1),
  replicationFactor: z.number().int().min(1).optional(),
  minInsyncReplicas: z.number().int().min(1).optional(),
  valueSchema: z.string().min(1).optional(),
  config: z.record(z.string(), z.string()).default({}),
});

const topicFileSchema = z.object({
  defaults: z.object({
    replicationFactor: z.number().int().min(1),
    minInsyncReplicas: z.number().int().min(1),
  }),
  topics: z.array(topicSchema).min(1),
  perPurposeTopics: z
    .array(topicSchema.extend({ name: z.string().regex(/\{purpose\}/, 'must contain {purpose}') }))
    .default([]),
});

/** One topic as it must exist on the cluster, after defaults and overrides are applied. */
export interface TopicDefinition {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs, including min.insync.replicas. */
  readonly config: Readonly<Record<string, string>>;
  /** Name of the Avro record in schemas/ that values of this topic carry, if any. */
  readonly valueSchema?: string;
}

/**
 * Reads the declarative topic list. `replicationFactorOverride` (KAFKA_REPLICATION_FACTOR) lets a
 * single-broker development cluster run the production list; min.insync.replicas is capped to
 * the replication factor so that acks=all can still succeed. `topicPrefix` is prepended to
 * every name; per-purpose templates are expanded for each of `purposes`.
 */
export function readTopicDefinitions(
  path: string,
  replicationFactorOverride?: number,
  topicPrefix = '',
  purposes: readonly string[] = [],
): TopicDefinition[] {
  const parsed = topicFileSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message}`,
    );
    throw new Error(`Invalid topic list ${path}:\n  ${problems.join('\n  ')}`);
  }
  const { defaults, topics: fixed, perPurposeTopics } = parsed.data;
  const expanded = perPurposeTopics.flatMap((template) =>
    purposes.map((purpose) => ({ ...template, name: template.name.replace('{purpose}', purpose) })),
  );
  return [...fixed, ...expanded].map((topic) => {
    const replicationFactor =
      replicationFactorOverride ?? topic.replicationFactor ?? defaults.replicationFactor;
    const minInsyncReplicas = Math.min(
      topic.minInsyncReplicas ?? defaults.minInsyncReplicas,
      replicationFactor,
    );
    return {
      name: `${topicPrefix}${topic.name}`,
      partitions: topic.partitions,
      replicationFactor,
      config: { ...topic.config, 'min.insync.replicas': String(minInsyncReplicas) },
      ...(topic.valueSchema ? { valueSchema: topic.valueSchema } : {}),
    };
  });
}

/** The names of the topics the apps use, with the configured prefix. */
export interface ConsentTopics {
  /** The source of truth: every consent event, keyed by subject id. */
  readonly events: string;
  /** Compacted current decision per subject and purpose. */
  readonly state: string;
  /** What could not be processed, with the reason in headers. */
  readonly deadLetter: string;
  /** Updates a connector could not deliver, with the reason in headers. */
  readonly sinkDeadLetter: string;
  /** The usage log: decisions asked and training manifest entries. */
  readonly usage: string;
  /** Signed checkpoints of the chain heads (JSON). */
  readonly checkpoints: string;
  /** Allow/suppress changes for one purpose. */
  readonly suppression: (purpose: string) => string;
  /** Erasures (decision records for every purpose, '*'): downstream systems delete the person. */
  readonly erasures: string;
  /** Managed API keys (JSON, compacted): every app admits what it holds. */
  readonly apiKeys: string;
  /** Re-consent campaigns, requests, reminders and lapse notices (JSON, key subjectId). */
  readonly lifecycle: string;
  /** Team webhook notifications whose attempts ran out (JSON, reason in headers). */
  readonly webhookDeadLetter: string;
}

/**
 * Where downstream systems hear of a decision change: the purpose's suppression topic, or the
 * erasures topic for an erasure.
 */
export function downstreamTopic(topics: ConsentTopics, purpose: string): string {
  return purpose === EVERY_PURPOSE ? topics.erasures : topics.suppression(purpose);
}

export function consentTopics(topicPrefix: string): ConsentTopics {
  return {
    events: `${topicPrefix}consent.events.v1`,
    state: `${topicPrefix}consent.state.v1`,
    deadLetter: `${topicPrefix}consent.events.dlq.v1`,
    sinkDeadLetter: `${topicPrefix}consent.sink.dlq.v1`,
    usage: `${topicPrefix}consent.decisions.v1`,
    checkpoints: `${topicPrefix}consent.chain-checkpoints.v1`,
    suppression: (purpose: string) => `${topicPrefix}consent.suppression.${purpose}.v1`,
    erasures: `${topicPrefix}consent.erasures.v1`,
    apiKeys: `${topicPrefix}consent.api-keys.v1`,
    lifecycle: `${topicPrefix}consent.lifecycle.v1`,
    webhookDeadLetter: `${topicPrefix}consent.webhooks.dlq.v1`,
  };
}
