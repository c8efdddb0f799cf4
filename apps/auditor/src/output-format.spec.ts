import { formatRows } from './output-format';

const rows = [
  { subjectId: 's-1', allowed: true, at: new Date('2026-03-29T00:30:00Z'), note: 'a, "quoted"' },
  { subjectId: 's-22', allowed: false, at: null, extra: { k: 1 } },
];

describe('formatRows', () => {
  it('aligns a table with every column any row has', () => {
    expect(formatRows(rows, 'table').split('\n')).toEqual([
      'subjectId  allowed  at                        note         extra',
      '---------  -------  ------------------------  -----------  -------',
      's-1        true     2026-03-29T00:30:00.000Z  a, "quoted"',
      's-22       false                                           {"k":1}',
      '',
    ]);
  });

  it('quotes CSV per RFC 4180 with a header', () => {
    expect(formatRows(rows, 'csv')).toBe(
      'subjectId,allowed,at,note,extra\n' +
        's-1,true,2026-03-29T00:30:00.000Z,"a, ""quoted""",\n' +
        's-22,false,,,"{""k"":1}"\n',
    );
  });

  it('writes one JSON object per line for NDJSON and an array for JSON', () => {
    const lines = formatRows(rows, 'ndjson').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).subjectId)).toEqual(['s-1', 's-22']);
    expect(JSON.parse(formatRows(rows, 'json'))).toHaveLength(2);
  });

  it('escapes a CSV cell that a spreadsheet would run as a formula', () => {
    const csv = formatRows([{ note: '=HYPERLINK("http://x")', id: '+1', safe: 'a=b' }], 'csv');
    expect(csv).toBe('note,id,safe\n"\'=HYPERLINK(""http://x"")",\'+1,a=b\n');
  });

  it('shows control characters in a table as U+FFFD, so a cell cannot drive the terminal', () => {
    const table = formatRows([{ actor: 'agent\u001b]0;pwned\u0007', next: 'x' }], 'table');
    expect([...table].filter((character) => character < ' ' && character !== '\n')).toEqual([]);
    expect(table).toContain('agent\ufffd]0;pwned\ufffd');
  });
});
