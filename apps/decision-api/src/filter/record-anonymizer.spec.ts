import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDataFieldRules } from '@consent-ledger/config';
import { generalize, RecordAnonymizer } from './record-anonymizer';

describe('generalize', () => {
  it.each([
    [37, '30-39'],
    [7, '0-9'],
    [1234.5, '1000-1999'],
    [-42, '-50--41'],
    ['1987-04-02', '1987'],
    ['2026-11-22T10:00:00Z', '2026'],
    ['SW1A 1AA', 'SW*'],
    ['NY', '*'],
    [true, null],
    [{ nested: 1 }, null],
  ])('%p -> %p', (value, expected) => {
    expect(generalize(value)).toEqual(expected);
  });
});

describe('RecordAnonymizer with the shipped data-fields file', () => {
  const rules = loadDataFieldRules('deploy/policy/data-fields.yaml');
  const anonymizer = new RecordAnonymizer(rules, 'a-test-key-of-16-chars');

  it('treats each field by its category and nulls fields the file does not list', () => {
    const result = anonymizer.anonymize({
      subjectId: 'person-1',
      email: 'a@b.c',
      age: 44,
      postcode: '10115',
      lifetimeValue: 250.5,
      pageViews: 12,
      country: 'DE',
      somethingNew: 'secret',
      missing: null,
    });
    expect(result).toEqual({
      subjectId: expect.stringMatching(/^[0-9a-f]{64}$/),
      email: null,
      age: '40-49',
      postcode: '10*',
      lifetimeValue: '200-299',
      pageViews: null,
      country: 'DE',
      somethingNew: null,
      missing: null,
    });
  });

  it('hashes with the key: same input same token, another key another token', () => {
    const token = anonymizer.anonymize({ subjectId: 'person-1' }).subjectId;
    expect(anonymizer.anonymize({ subjectId: 'person-1' }).subjectId).toBe(token);
    expect(anonymizer.anonymize({ subjectId: 'person-2' }).subjectId).not.toBe(token);
    const other = new RecordAnonymizer(rules, 'another-key-of-16-chars');
    expect(other.anonymize({ subjectId: 'person-1' }).subjectId).not.toBe(token);
  });

  it('refuses a field whose category has no treatment', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fields-')), 'fields.yaml');
    writeFileSync(
      file,
      'version: "1"\ntreatments: { contact: null }\nfields: { email: contakt }\n',
    );
    expect(() => loadDataFieldRules(file)).toThrow(/field 'email' names category 'contakt'/);
  });
});
