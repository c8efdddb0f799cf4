import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConsentPolicy } from './consent-policy.loader';

describe('loadConsentPolicy', () => {
  it('loads the shipped default taxonomy with the purposes DESIGN.md lists', () => {
    const { taxonomy, policy } = loadConsentPolicy({
      file: 'deploy/policy/consent-policy.yaml',
      strictestEverywhere: false,
    });
    for (const id of [
      'transactional',
      'marketing.email',
      'marketing.sms',
      'marketing.push',
      'personalization.recommendations',
      'analytics.behavioral',
      'ads.targeted',
      'data.sale_sharing',
      'ml.training',
      'sensitive.processing',
    ]) {
      expect(taxonomy.purposes.has(id)).toBe(true);
    }
    expect(taxonomy.purposes.get('marketing')?.children).toEqual([
      'marketing.email',
      'marketing.sms',
      'marketing.push',
    ]);
    expect(policy.version).toBe(taxonomy.version);
  });

  it('names the bad entry of an invalid file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.yaml');
    writeFileSync(
      file,
      'version: "1"\npurposes:\n  - { id: a.b, description: x, basis: consent, dataCategories: [behavioural], usCategory: other }\n',
    );
    expect(() => loadConsentPolicy({ file, strictestEverywhere: false })).toThrow(
      /'a.b' has no parent 'a' defined/,
    );
    writeFileSync(
      file,
      'version: "1"\npurposes:\n  - { id: a, description: x, basis: maybe, dataCategories: [behavioural], usCategory: other }\n',
    );
    expect(() => loadConsentPolicy({ file, strictestEverywhere: false })).toThrow(
      /purposes.0.basis/,
    );
  });
});
