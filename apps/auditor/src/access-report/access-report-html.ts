import { esc, table } from '../html';
import type { AccessReport } from './access-report';

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:1em auto;max-width:50em;padding:0 1em;color:#111}
table{border-collapse:collapse;margin:.5em 0 1.5em;display:block;overflow-x:auto}td,th{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eee}blockquote{border-left:4px solid #777;margin:.5em 0;padding:.3em 1em;white-space:pre-wrap;background:#f6f6f6}
.none{color:#555}`;

const purposes = (report: AccessReport) =>
  table(
    ['purpose', 'what it is for', 'data it uses', 'allowed now', 'why', 'your choice'],
    report.purposes.map((p) => [
      p.purpose,
      p.description,
      p.dataCategories.join(', ') || 'none',
      p.basis === 'contract'
        ? 'yes (needed to serve you, not a matter of consent)'
        : p.allowed
          ? 'yes'
          : 'no',
      p.reason,
      p.decidedBy ? `${p.decidedBy.action} on ${when(p.decidedBy.at)}` : 'no choice made',
    ]),
  );

const choices = (report: AccessReport) =>
  table(
    ['when', 'purpose', 'choice', 'how', 'notice shown'],
    report.choices.map((c) => [
      when(c.at),
      c.purpose,
      c.action,
      `${c.channel}, ${c.method}`,
      c.notice ? `${c.notice.noticeId} version ${c.notice.version}` : 'none',
    ]),
  );

const notices = (report: AccessReport) =>
  report.notices.length === 0
    ? '<p class="none">None.</p>'
    : report.notices
        .map(
          (n) =>
            `<h3>${esc(n.title ?? n.noticeId)} (version ${esc(n.version)})</h3>${
              n.text === null
                ? `<p class="none">Its text is not in our notice registry; we hold its fingerprint (SHA-256 ${esc(n.textSha256)}).</p>`
                : `<blockquote lang="${esc(n.language ?? 'en')}">${esc(n.text)}</blockquote>`
            }`,
        )
        .join('\n');

const told = (report: AccessReport) =>
  table(
    ['when', 'system', 'purpose', 'what they were told'],
    report.downstreamSystemsTold.map((t) => [
      when(t.at),
      t.system,
      t.purpose,
      t.told === 'allowed' ? 'may use your data' : 'must not use your data',
    ]),
  );

const uses = (report: AccessReport) =>
  table(
    ['when', 'for', 'purpose', 'campaign, job or training run', 'answer'],
    report.uses.map((u) => [
      when(u.at),
      u.kind,
      u.purpose,
      u.campaignId ?? u.jobId ?? u.manifestId ?? '—',
      u.allowed ? 'allowed' : 'refused',
    ]),
  );

/**
 * The access report as a page a person can read: plain words, one section per question they may
 * ask, every value escaped; it reads on a phone (viewport, tables that scroll) and to a screen
 * reader (a language, headings in order, column headers).
 */
export function renderAccessReportHtml(report: AccessReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your consent record</title><style>${STYLE}</style></head><body>
<main>
<h1>Your consent record</h1>
<p>This is everything we hold about the choices you made about your data, as of ${esc(when(report.generatedAt))}. You are identified here only by a pseudonymous id: <code>${esc(report.subjectId)}</code>.</p>
<h2>Where you stand, purpose by purpose</h2>
${purposes(report)}
<h2>Every choice you made</h2>
${choices(report)}
<h2>The notices you were shown</h2>
${notices(report)}
<h2>What we told other systems</h2>
${told(report)}
<h2>When your data was asked about</h2>
${uses(report)}
<p>${report.recordIntact ? 'The record of your choices is intact: each entry is linked to the one before it, so none can be removed or changed unnoticed.' : 'Warning: the record of your choices does not link up; we are looking into it.'}</p>
</main>
</body></html>
`;
}
