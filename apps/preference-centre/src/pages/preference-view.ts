import { compareVersions } from '@consent-ledger/consent-domain';
import type { HistoryEvent, PurposeState } from '../ledger/consent-api.client';
import { message } from '../texts/centre-texts';
import type { CentreTexts } from '../texts/centre-texts';
import type { Locale } from '../texts/locales';

/**
 * How a purpose is offered: a switch (consent, opt-in or opt-out by regime), the opt-out requests
 * US state laws word for themselves, or a contract purpose shown as such, never as a switch.
 */
export type PurposeKind = 'switch' | 'opt-out-request' | 'contract';

/** One purpose as the page shows it, in the person's language. */
export interface PurposeRow {
  readonly id: string;
  readonly title: string;
  readonly explanation: string;
  readonly whenOff: string;
  readonly dataCategories: readonly string[];
  readonly kind: PurposeKind;
  /** The law's wording of an opt-out request (CCPA/CPRA and the other US state laws). */
  readonly requestLabel?: string;
  readonly on: boolean;
  readonly stateText: string;
  /** What the button does next, and its words; none for a contract purpose. */
  readonly nextAction?: 'GRANT' | 'WITHDRAW';
  readonly actionLabel?: string;
  /**
   * On under an older version of the notice the centre shows (a re-consent request brought the
   * person here): a second button agrees again under the current version.
   */
  readonly confirmLabel?: string;
}

/** What a purpose needs of the policy: its basis and the data categories it uses. */
export interface PurposePolicy {
  readonly basis: string;
  readonly dataCategories: readonly string[];
  readonly usCategory: string;
}

/** The US regimes whose laws word their own opt-out requests. */
const US_OPT_OUT_REGIMES = new Set(['CCPA_CPRA', 'US_STATE_OPT_OUT']);

/** Which opt-out request a purpose is, where the law words one (null: a plain switch). */
function optOutRequestKey(policy: PurposePolicy, regime: string): string | null {
  if (!US_OPT_OUT_REGIMES.has(regime)) return null;
  if (policy.usCategory === 'sale_sharing') return 'optOut.doNotSell';
  // California alone has "limit the use"; other states ask opt-in for sensitive data.
  if (policy.usCategory === 'sensitive' && regime === 'CCPA_CPRA') return 'optOut.limitSensitive';
  return null;
}

/** A date as the person reads it in their language ("7 December 2026"). */
export function readableDate(iso: string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(
    new Date(iso),
  );
}

/** The words for where a purpose stands. */
function stateText(state: PurposeState, texts: CentreTexts, locale: Locale): string {
  const t = (key: string, values?: Record<string, string>) => message(texts, locale, key, values);
  const choice = state.choice;
  if (state.reason === 'CONSENT_EXPIRED' && choice?.expiresAt)
    return t('state.expired', { date: readableDate(choice.expiresAt, locale) });
  if (!choice) return state.allowed ? t('state.defaultOn') : t('state.defaultOff');
  const since = t('state.since', { date: readableDate(choice.occurredAt, locale) });
  return `${state.allowed ? t('state.on') : t('state.off')} ${since}`;
}

/**
 * The rows of the page, in the order of the texts file: what each purpose is, in plain words, where
 * it stands and since when, and what the person can do about it.
 */
export function purposeRows(
  states: readonly PurposeState[],
  policies: ReadonlyMap<string, PurposePolicy>,
  texts: CentreTexts,
  locale: Locale,
): PurposeRow[] {
  const t = (key: string, values?: Record<string, string>) => message(texts, locale, key, values);
  const byPurpose = new Map(states.map((state) => [state.purpose, state]));
  return texts.purposes.flatMap(({ id, texts: words }): PurposeRow[] => {
    const state = byPurpose.get(id);
    const policy = policies.get(id);
    if (!state || !policy) return [];
    const common = {
      id,
      ...words[locale],
      dataCategories: policy.dataCategories.map((category) => t(`data.${category}`)),
    };
    if (policy.basis !== 'consent')
      return [{ ...common, kind: 'contract', on: true, stateText: t('contract.note') }];
    const requestKey = optOutRequestKey(policy, state.regime);
    if (requestKey) return [{ ...common, ...optOutRequest(state, t(requestKey), texts, locale) }];
    const confirm = state.allowed && restsOnOlderNotice(state, texts.notice);
    return [
      {
        ...common,
        kind: 'switch',
        on: state.allowed,
        stateText: confirm
          ? `${stateText(state, texts, locale)}. ${t('state.olderNotice')}`
          : stateText(state, texts, locale),
        nextAction: state.allowed ? 'WITHDRAW' : 'GRANT',
        actionLabel: state.allowed ? t('action.switchOff') : t('action.switchOn'),
        ...(confirm ? { confirmLabel: t('action.keepOn') } : {}),
      },
    ];
  });
}

/** Whether the purpose is on by a grant under an older version of the notice the centre shows. */
function restsOnOlderNotice(
  state: PurposeState,
  notice: { readonly noticeId: string; readonly version: string },
): boolean {
  const cited = state.choice?.notice;
  return (
    state.choice?.action === 'GRANT' &&
    cited?.noticeId === notice.noticeId &&
    compareVersions(cited.version, notice.version) < 0
  );
}

/** An opt-out request as the law words it: on while the person has not opted out. */
function optOutRequest(
  state: PurposeState,
  requestLabel: string,
  texts: CentreTexts,
  locale: Locale,
): Omit<PurposeRow, 'id' | 'title' | 'explanation' | 'whenOff' | 'dataCategories'> {
  const t = (key: string, values?: Record<string, string>) => message(texts, locale, key, values);
  const optedOut = !state.allowed;
  const since = state.choice
    ? t('state.since', { date: readableDate(state.choice.occurredAt, locale) })
    : '';
  return {
    kind: 'opt-out-request',
    requestLabel,
    on: state.allowed,
    stateText: optedOut ? t('optOut.active', { since }).trim() : t('optOut.inactive'),
    nextAction: optedOut ? 'GRANT' : 'WITHDRAW',
    actionLabel: optedOut ? t('optOut.cancel') : t('optOut.request'),
  };
}

/** One line of the history table. */
export interface HistoryRow {
  readonly when: string;
  readonly what: string;
  readonly choice: string;
  readonly how: string;
}

/** The person's choices, newest first, with purpose titles in their language. */
export function historyRows(
  events: readonly HistoryEvent[],
  texts: CentreTexts,
  locale: Locale,
): HistoryRow[] {
  const titles = new Map(
    texts.purposes.map((purpose) => [purpose.id, purpose.texts[locale].title]),
  );
  return [...events]
    .sort((a, b) => b.occurredAt.localeCompare(a.occurredAt))
    .map((event) => ({
      when: readableDate(event.occurredAt, locale),
      what: titles.get(event.purpose) ?? event.purpose,
      choice: message(texts, locale, `history.${event.action}`),
      how: message(texts, locale, `method.${event.method}`),
    }));
}
