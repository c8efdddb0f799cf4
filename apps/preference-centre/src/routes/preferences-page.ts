import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CentreContext } from '../centre-context';
import { historyRows, purposeRows } from '../pages/preference-view';
import type { PurposePolicy } from '../pages/preference-view';

type Query = Record<string, string | undefined>;

/** How long the page after a change waits for the ledger's views to show it. */
const READ_YOUR_WRITES_MS = 3_000;

/** The main page and the confirmation page, built from where the person stands. */
export class PreferencesPage {
  constructor(
    private readonly centre: CentreContext,
    private readonly policies: ReadonlyMap<string, PurposePolicy>,
  ) {}

  async show(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const session = this.centre.session(request);
    if (!session) return this.centre.problem(request, reply, 401, 'sessionExpired');
    const locale = this.centre.locale(request, reply);
    const { parts } = this.centre;
    const gpc =
      request.headers['sec-gpc'] === '1' || (request.query as Query).gpc === '1'
        ? await parts.choices.honourGpc(session, this.centre.evidence(request))
        : { outcome: 'none' as const, eventIds: [] };
    const jurisdiction = await parts.choices.jurisdictionOf(session);
    // The history after the consents: once these show the change, so does the history.
    const consents = await this.consentsShowing(session.subjectId, jurisdiction, [
      ...((request.query as Query).events ?? '').split(','),
      ...gpc.eventIds,
    ]);
    const events = await parts.api.history(session.subjectId);
    const purposes = purposeRows(consents.purposes, this.policies, parts.texts, locale);
    const html = parts.pages.render(
      'preferences',
      {
        locale,
        title: this.centre.t(locale, 'page.title'),
        csrf: session.csrf,
        path: '/preferences',
      },
      {
        purposes,
        saved: this.savedMessage(request.query as Query, purposes, locale),
        gpc:
          gpc.outcome === 'none'
            ? undefined
            : { state: gpc.outcome, text: this.centre.t(locale, `gpc.${gpc.outcome}`) },
        notice: await this.notice(consents.purposes),
        history: historyRows(events, parts.texts, locale),
        formNonce: randomBytes(6).toString('hex'),
      },
    );
    await this.centre.sendPage(reply, 200, html);
  }

  async confirmWithdrawAll(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const session = this.centre.session(request);
    if (!session) return this.centre.problem(request, reply, 401, 'sessionExpired');
    const locale = this.centre.locale(request, reply);
    const { parts } = this.centre;
    const consents = await parts.api.consents(
      session.subjectId,
      await parts.choices.jurisdictionOf(session),
    );
    const on = purposeRows(consents.purposes, this.policies, parts.texts, locale).filter(
      (row) => row.kind !== 'contract' && row.on,
    );
    const html = parts.pages.render(
      'confirm-withdraw-all',
      {
        locale,
        title: this.centre.t(locale, 'confirm.title'),
        csrf: session.csrf,
        path: '/preferences/withdraw-all',
      },
      {
        purposes: on.map((row) => row.title),
        systems: parts.systems.map((system) => this.centre.t(locale, `system.${system}`)),
        formNonce: randomBytes(6).toString('hex'),
      },
    );
    await this.centre.sendPage(reply, 200, html);
  }

  private savedMessage(
    query: Query,
    purposes: ReturnType<typeof purposeRows>,
    locale: 'en' | 'de' | 'fr' | 'es',
  ) {
    if (query.saved === 'all') return this.centre.t(locale, 'savedAll');
    const row = purposes.find((purpose) => purpose.id === query.saved);
    if (!row) return undefined;
    const state = this.centre.t(locale, query.on === '1' ? 'state.on' : 'state.off').toLowerCase();
    return this.centre.t(locale, 'saved', { title: row.title, state });
  }

  /**
   * The person's consents once they show the events just recorded (ids from the redirect): the
   * ledger's views apply an event within milliseconds, and the page the person sees right after
   * a change must show it. Waits at most READ_YOUR_WRITES_MS, then shows what there is.
   */
  private async consentsShowing(subjectId: string, jurisdiction: string, ids: readonly string[]) {
    const wanted = ids.filter((id) => /^[0-9a-f-]{36}$/.test(id));
    const deadline = Date.now() + READ_YOUR_WRITES_MS;
    for (;;) {
      const consents = await this.centre.parts.api.consents(subjectId, jurisdiction);
      const shown = new Set(consents.purposes.map((state) => state.choice?.eventId));
      if (wanted.every((id) => shown.has(id)) || Date.now() >= deadline) return consents;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** The notice of the person's latest grant, else the one a grant here would refer to. */
  private async notice(
    states: ReadonlyArray<{
      choice: {
        action: string;
        occurredAt: string;
        notice: { noticeId: string; version: string } | null;
      } | null;
    }>,
  ) {
    const latest = states
      .flatMap((state) =>
        state.choice?.action === 'GRANT' && state.choice.notice ? [state.choice] : [],
      )
      .sort((a, b) => b.occurredAt.localeCompare(a.occurredAt))[0];
    const { noticeId, version } = latest?.notice ?? this.centre.parts.texts.notice;
    const notice = await this.centre.parts.api.notice(noticeId, version);
    return notice && { ...notice, paragraphs: notice.text.split(/\n{2,}|\n/).filter(Boolean) };
  }
}
