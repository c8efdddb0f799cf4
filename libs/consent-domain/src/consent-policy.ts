/** Deployment-wide rules that change what a choice means, versioned with the taxonomy. */
export interface ConsentPolicy {
  readonly version: string;
  /** Treat everyone as under GDPR, whatever their jurisdiction. */
  readonly strictestEverywhere: boolean;
  /**
   * Per notice id, the oldest version whose grants still count. A grant given under an older
   * version is stale and needs re-consent.
   */
  readonly minimumNoticeVersions: Readonly<Record<string, string>>;
}

export const defaultPolicy: ConsentPolicy = {
  version: 'default',
  strictestEverywhere: false,
  minimumNoticeVersions: {},
};

/** Compares dotted versions numerically where they are numbers: 1.10 > 1.9. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
