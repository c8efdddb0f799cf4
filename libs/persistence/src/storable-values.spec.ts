import { unstorableValueIn } from './storable-values';

describe('values PostgreSQL can store', () => {
  it('accepts ordinary text, numbers, dates, nulls and nested records', () => {
    expect(
      unstorableValueIn({
        subjectId: 's-1',
        allowed: true,
        sourceOffset: 3,
        effectiveAt: new Date(),
        decidedBy: null,
        nested: { list: ['a', 'b'] },
      }),
    ).toBeUndefined();
  });

  it('names the field that holds NUL', () => {
    expect(unstorableValueIn({ actor: { id: 'agent\u0000x' } })).toBe(
      'actor.id holds NUL (U+0000)',
    );
    expect(unstorableValueIn({ list: ['ok', 'n\u0000'] })).toBe('list[1] holds NUL (U+0000)');
  });

  it('names a text over the bound and a date that is not one', () => {
    expect(unstorableValueIn({ subjectId: 'x'.repeat(11) }, 10)).toBe(
      'subjectId is 11 characters long (at most 10)',
    );
    expect(unstorableValueIn({ at: new Date(Number.NaN) })).toBe('at is not a valid date');
  });
});
