/** Data a purpose uses; connectors and anonymisation key off these. */
export const dataCategories = [
  'behavioural',
  'demographic',
  'transactional',
  'preference',
] as const;
export type DataCategory = (typeof dataCategories)[number];

/**
 * How US opt-out laws classify a purpose. `sale_sharing` and `targeted_advertising` are the CCPA
 * "sale or sharing" rights (and GPC's scope); `sensitive` needs opt-in outside California.
 */
export const usPrivacyCategories = [
  'sale_sharing',
  'targeted_advertising',
  'profiling',
  'sensitive',
  'other',
] as const;
export type UsPrivacyCategory = (typeof usPrivacyCategories)[number];

/** One node of the taxonomy as written in the purposes file. */
export interface PurposeDefinition {
  readonly id: string;
  readonly description: string;
  /** `contract`: needed to serve the customer (transactional); never needs consent. */
  readonly basis: 'consent' | 'contract';
  readonly dataCategories: readonly DataCategory[];
  readonly usCategory: UsPrivacyCategory;
  /**
   * A grant covering this purpose lapses this many months after it was given (ML training every
   * 12 months, say), whatever expiry the channel sent, if later; its descendants inherit it.
   */
  readonly renewEveryMonths?: number;
}

export interface Purpose extends PurposeDefinition {
  /** Parent id, from the dotted id (`marketing` for `marketing.email`), or null at the root. */
  readonly parent: string | null;
  readonly children: readonly string[];
}

/** The validated, hierarchical purpose taxonomy. */
export interface PurposeTaxonomy {
  readonly version: string;
  readonly purposes: ReadonlyMap<string, Purpose>;
}

export class TaxonomyError extends Error {
  readonly code = 'CONSENT.INVALID_TAXONOMY';
}

const purposeIdPattern = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;

function parentOf(id: string): string | null {
  const cut = id.lastIndexOf('.');
  return cut < 0 ? null : id.slice(0, cut);
}

/**
 * Builds the taxonomy. Ids are dotted paths; every parent must be defined too, so withdrawing
 * `marketing` has a defined meaning for `marketing.email`.
 */
export function createTaxonomy(
  version: string,
  definitions: readonly PurposeDefinition[],
): PurposeTaxonomy {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const definition of definitions) {
    if (!purposeIdPattern.test(definition.id))
      problems.push(`'${definition.id}' is not a dotted lowercase id`);
    if (ids.has(definition.id)) problems.push(`'${definition.id}' is defined twice`);
    ids.add(definition.id);
  }
  for (const id of ids) {
    const parent = parentOf(id);
    if (parent !== null && !ids.has(parent))
      problems.push(`'${id}' has no parent '${parent}' defined`);
  }
  if (problems.length > 0)
    throw new TaxonomyError(`Invalid purpose taxonomy: ${problems.join('; ')}`);

  const purposes = new Map<string, Purpose>(
    definitions.map((definition) => [
      definition.id,
      {
        ...definition,
        parent: parentOf(definition.id),
        children: definitions
          .filter((other) => parentOf(other.id) === definition.id)
          .map((other) => other.id),
      },
    ]),
  );
  return { version, purposes };
}

/** The purpose, or undefined when the taxonomy does not know it. */
export function findPurpose(taxonomy: PurposeTaxonomy, id: string): Purpose | undefined {
  return taxonomy.purposes.get(id);
}

/** The purpose and its ancestors, nearest first: `marketing.email`, `marketing`. */
export function lineageOf(taxonomy: PurposeTaxonomy, id: string): string[] {
  const lineage: string[] = [];
  for (
    let current: string | null = id;
    current !== null;
    current = taxonomy.purposes.get(current)?.parent ?? null
  ) {
    lineage.push(current);
  }
  return lineage;
}
