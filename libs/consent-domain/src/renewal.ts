import type { ProposedEvent } from './consent-event.validation';
import type { PurposeTaxonomy } from './purpose-taxonomy';

/**
 * The months after which a grant of `purposeId` must be renewed: the shortest period of the
 * purpose, its ancestors (whose rule covers it) and its descendants (which the grant decides
 * too); null when none of them asks for renewal.
 */
export function renewalMonths(taxonomy: PurposeTaxonomy, purposeId: string): number | null {
  // Asked for every grant the API accepts: worked out once per taxonomy and purpose.
  let known = renewalsByTaxonomy.get(taxonomy);
  if (!known) renewalsByTaxonomy.set(taxonomy, (known = new Map()));
  if (!known.has(purposeId)) known.set(purposeId, shortestRenewal(taxonomy, purposeId));
  return known.get(purposeId)!;
}

const renewalsByTaxonomy = new WeakMap<PurposeTaxonomy, Map<string, number | null>>();

function shortestRenewal(taxonomy: PurposeTaxonomy, purposeId: string): number | null {
  let shortest: number | null = null;
  const consider = (id: string) => {
    const months = taxonomy.purposes.get(id)?.renewEveryMonths;
    if (months !== undefined && (shortest === null || months < shortest)) shortest = months;
  };
  for (
    let id: string | null = purposeId;
    id !== null;
    id = taxonomy.purposes.get(id)?.parent ?? null
  )
    consider(id);
  const below = [...(taxonomy.purposes.get(purposeId)?.children ?? [])];
  for (let id = below.pop(); id !== undefined; id = below.pop()) {
    consider(id);
    below.push(...(taxonomy.purposes.get(id)?.children ?? []));
  }
  return shortest;
}

/** `months` calendar months after `from`, in UTC; the 31st of January + 1 is the 28th (29th). */
export function addMonths(from: Date, months: number): Date {
  const day = from.getUTCDate();
  const shifted = new Date(from.getTime());
  shifted.setUTCDate(1);
  shifted.setUTCMonth(shifted.getUTCMonth() + months);
  const lastDay = new Date(
    Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, 0),
  ).getUTCDate();
  shifted.setUTCDate(Math.min(day, lastDay));
  return shifted;
}

/**
 * A grant as the policy lets it stand: where its purpose must be renewed, it expires that many
 * months after it was given, or at the expiry the channel sent if that is sooner. Other events
 * are returned as they are.
 */
export function withRenewal<E extends ProposedEvent>(event: E, taxonomy: PurposeTaxonomy): E {
  if (event.action !== 'GRANT') return event;
  const months = renewalMonths(taxonomy, event.purpose);
  if (months === null) return event;
  const renewal = addMonths(event.occurredAt, months);
  if (event.expiresAt !== null && event.expiresAt.getTime() <= renewal.getTime()) return event;
  return { ...event, expiresAt: renewal };
}
