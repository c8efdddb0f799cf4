import type { EntityManager } from 'typeorm';

const JURISDICTIONS = [
  'DE',
  'FR',
  'GB',
  'IT',
  'ES',
  'NL',
  'BE',
  'AT',
  'PL',
  'SE',
  'IE',
  'PT',
  'DK',
  'FI',
  'CZ',
  'US-CA',
  'US-VA',
  'US-CO',
  'US-TX',
  'BR',
  'CA',
  'AU',
  'JP',
  'IN',
  'ZA',
  'MX',
  'CH',
  'NO',
  'SG',
  'KR',
];
const PURPOSES = [
  'marketing',
  'marketing.email',
  'marketing.sms',
  'marketing.push',
  'personalization',
  'personalization.recommendations',
  'analytics',
  'analytics.behavioral',
  'ads',
  'ads.targeted',
  'data',
  'data.sale_sharing',
  'ml',
  'ml.training',
  'sensitive',
  'sensitive.processing',
];
/** Purposes each subject has a standing on (the others: never asked). */
const ASKED_PER_SUBJECT = 3;

const array = (values: readonly string[]) => `ARRAY[${values.map((v) => `'${v}'`).join(',')}]`;

/**
 * Fills the dashboard's tables in the shape the projector leaves them, by SQL (10 million events
 * through the projector would take the bench most of an hour and measure the projector, not the
 * dashboard). Returns what it made.
 */
export async function fillDashboardTables(
  manager: EntityManager,
  subjects: number,
  events: number,
  progress: (step: string) => void,
) {
  const j = array(JURISDICTIONS);
  const p = array(PURPOSES);
  progress(`subjects: ${subjects}`);
  await manager.query(
    `INSERT INTO consent_subject (subject_id, jurisdiction, event_count)
     SELECT 'sc-' || lpad(i::text, 8, '0'), (${j})[1 + i % ${JURISDICTIONS.length}], ${Math.round(events / subjects)}
       FROM generate_series(0, $1 - 1) AS i`,
    [subjects],
  );
  progress(`standings: ${subjects * ASKED_PER_SUBJECT}`);
  await manager.query(
    `INSERT INTO consent_standing (subject_id, purpose, standing, jurisdiction, since)
     SELECT 'sc-' || lpad(i::text, 8, '0'), (${p})[1 + (i * 7 + k * 5) % ${PURPOSES.length}],
            CASE WHEN r < 0.6 THEN 'ACTIVE' WHEN r < 0.85 THEN 'WITHDRAWN' WHEN r < 0.95 THEN 'EXPIRED' ELSE 'LAPSED_NOTICE' END,
            (${j})[1 + i % ${JURISDICTIONS.length}], now() - (r * interval '365 days')
       FROM generate_series(0, $1 - 1) AS i, generate_series(0, ${ASKED_PER_SUBJECT - 1}) AS k,
            LATERAL (SELECT random() AS r) AS x`,
    [subjects],
  );
  await fillCounters(manager, p, progress);
  progress('daily tallies: a year per purpose, jurisdiction and shard');
  await manager.query(
    `INSERT INTO consent_daily_tally (shard, day, purpose, jurisdiction, grants, declines, revocations, active_change)
     SELECT shard, current_date - d, pu, ju, (random() * 40)::int, (random() * 20)::int, (random() * 8)::int, (random() * 30)::int - 5
       FROM generate_series(0, 5) AS shard, generate_series(0, 364) AS d, unnest(${p}) AS pu, unnest(${j}) AS ju`,
  );
  await fillEvents(manager, subjects, events, progress);
  await manager.query('ANALYZE');
  return { subjects, events, jurisdictions: JURISDICTIONS.length, purposes: PURPOSES.length };
}

/** The events (the last 300,000 in the last five minutes), and the deliveries of those. */
async function fillEvents(
  manager: EntityManager,
  subjects: number,
  events: number,
  progress: (step: string) => void,
) {
  const recent = Math.min(300_000, events);
  for (let from = 0; from < events; from += 1_000_000) {
    progress(`events ${from} to ${Math.min(events, from + 1_000_000)}`);
    await manager.query(
      `INSERT INTO consent_event (event_id, subject_id, purpose, action, jurisdiction, legal_basis, channel, method,
                                  occurred_at, recorded_at, actor_type, idempotency_key, source_topic, source_partition, source_offset)
       SELECT gen_random_uuid(), 'sc-' || lpad((i % $3)::text, 8, '0'), 'marketing.email',
              CASE WHEN i % 3 = 0 THEN 'WITHDRAW' ELSE 'GRANT' END, 'DE', 'CONSENT', 'WEB', 'BANNER', t, t, 'SUBJECT',
              'k-' || i, 'consent.events.v1', i % 6, i / 6
         FROM generate_series($1::bigint, $2::bigint - 1) AS i,
              LATERAL (SELECT CASE WHEN i >= $4::bigint THEN now() - (($5::bigint - i) * interval '1 millisecond')
                                   ELSE now() - interval '400 days' + (i * interval '3 seconds') END AS t) AS x`,
      [from, Math.min(events, from + 1_000_000), subjects, events - recent, events],
    );
  }
  progress(`deliveries: ${recent} withdrawals and grants in the last five minutes`);
  await manager.query(
    `INSERT INTO sink_delivery (sink, subject_id, purpose, allowed, cause_event_id, source_offset, delivered_at)
     SELECT 'email-platform', subject_id, purpose, action = 'GRANT', event_id, source_offset,
            recorded_at + random() * interval '80 milliseconds'
       FROM consent_event WHERE recorded_at > now() - interval '6 minutes'`,
  );
}

/** The counters the standings add up to (never asked: every subject of the jurisdiction without one). */
async function fillCounters(manager: EntityManager, p: string, progress: (step: string) => void) {
  progress('counters');
  await manager.query(
    `INSERT INTO consent_standing_count (shard, purpose, jurisdiction, standing, subjects)
     SELECT abs(hashtext(subject_id)) % 6, purpose, jurisdiction, standing, count(*)
       FROM consent_standing GROUP BY 1, 2, 3, 4`,
  );
  await manager.query(
    `INSERT INTO consent_standing_count (shard, purpose, jurisdiction, standing, subjects)
     SELECT 0, pu, js.jurisdiction, 'NEVER_ASKED', js.n - coalesce(asked.n, 0)
       FROM unnest(${p}) AS pu
       CROSS JOIN (SELECT jurisdiction, count(*) AS n FROM consent_subject GROUP BY 1) AS js
       LEFT JOIN (SELECT purpose, jurisdiction, sum(subjects) AS n FROM consent_standing_count GROUP BY 1, 2) AS asked
              ON asked.purpose = pu AND asked.jurisdiction = js.jurisdiction`,
  );
}
