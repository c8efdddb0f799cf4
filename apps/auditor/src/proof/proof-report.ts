import { esc, table } from '../html';
import type { ConsentProof } from './proof';

/** A self-contained, printable HTML proof of consent for one person. */
export function renderProofHtml(proof: ConsentProof): string {
  const events = proof.events.map(({ event, position, hash, linkIntact, notice }) => {
    const noticeText =
      notice === null
        ? '<p class="none">No notice was shown with this event.</p>'
        : 'registered' in notice
          ? `<p class="warn">Notice ${esc(event.notice?.noticeId)} v${esc(event.notice?.version)} is not in the notice registry; only its hash is known: ${esc(event.notice?.textSha256)}</p>`
          : `<p>Notice <b>${esc(notice.noticeId)}</b> version ${esc(notice.version)}${notice.title ? ` — ${esc(notice.title)}` : ''} (${esc(notice.language)}), SHA-256 ${esc(notice.textSha256)} ${notice.textMatches ? '<span class="ok">matches the hash recorded with the event</span>' : '<span class="warn">DOES NOT match the hash recorded with the event</span>'}</p><blockquote>${esc(notice.text)}</blockquote>`;
    return `<section class="event">
<h3>${esc(event.action)} ${esc(event.purpose)} — ${esc(event.occurredAt)}</h3>
${table(
  ['field', 'value'],
  [
    ['event id', event.eventId],
    ['acted at (person)', event.occurredAt],
    ['recorded at (system)', event.recordedAt],
    ['jurisdiction', event.jurisdiction],
    ['legal basis', event.legalBasis],
    ['channel', event.channel],
    ['method', event.method],
    ['actor', `${event.actor.type}${event.actor.id ? ` ${event.actor.id}` : ''}`],
    ['expires at', event.expiresAt],
    ['age band', event.ageBand],
    ['evidence: IP address hash', event.evidence?.ipAddressHash],
    ['evidence: user agent', event.evidence?.userAgent],
    ['evidence: reference', event.evidence?.reference],
    ['idempotency key', event.idempotencyKey],
    ['log position', `${position.topic} partition ${position.partition} offset ${position.offset}`],
    ['event hash (SHA-256)', hash],
    ['links to', event.previousEventHash ?? '(first event of the subject)'],
    ['chain link', linkIntact ? 'intact' : 'BROKEN'],
  ],
)}
${noticeText}
</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Proof of consent — ${esc(proof.subjectId)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#111}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #bbb;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eee}blockquote{border-left:4px solid #999;margin:.5em 0;padding:.3em 1em;white-space:pre-wrap;background:#fafafa}
.ok{color:#0a6b0a}.warn{color:#b00020;font-weight:bold}.none{color:#666}.event{page-break-inside:avoid;border-top:1px solid #ccc;margin-top:1em}
@media print{body{margin:0}}
</style></head><body>
<h1>Proof of consent</h1>
${table(
  ['', ''],
  [
    ['subject', proof.subjectId],
    ['generated at', proof.generatedAt],
    ['consent policy version', proof.policyVersion],
    ['events', proof.events.length],
    ['hash chain', proof.chainIntact ? 'intact' : 'BROKEN — see the events marked BROKEN'],
  ],
)}
<h2>What is allowed now</h2>
${table(
  ['purpose', 'allowed', 'reason', 'basis', 'regime', 'decided by', 'choice', 'event'],
  proof.current.map((row) => [
    row.purpose,
    row.allowed ? 'yes' : 'no',
    row.reason,
    row.basis,
    row.regime,
    row.decidedBy,
    row.choiceAction,
    row.choiceEventId,
  ]),
)}
<h2>Events, in the order they were logged</h2>
${events.join('\n')}
<h2>What each downstream system was told</h2>
${table(
  ['delivered at', 'system', 'purpose', 'told', 'because of event'],
  proof.deliveries.map((d) => [
    d.deliveredAt,
    d.sink,
    d.purpose,
    d.allowed ? 'allow' : 'suppress',
    d.causeEventId,
  ]),
)}
<h2>Uses of this person's data that were asked about</h2>
${table(
  [
    'at',
    'kind',
    'purpose',
    'asked by',
    'campaign',
    'job',
    'manifest',
    'answer',
    'reason',
    'deciding event',
  ],
  proof.usage.map((u) => [
    u.decidedAt,
    u.kind,
    u.purpose,
    u.askedBy,
    u.campaignId,
    u.jobId,
    u.manifestId,
    u.allowed ? 'allowed' : 'denied',
    u.reason,
    u.decidingEventId,
  ]),
)}
</body></html>
`;
}
