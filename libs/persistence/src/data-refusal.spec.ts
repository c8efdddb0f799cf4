import { dataRefusalReason, isDataRefusal } from './data-refusal';

describe('a database refusal', () => {
  it.each([
    ['22021', true],
    ['22P05', true],
    ['22001', true],
    ['54000', true],
    ['08006', false],
    ['40001', false],
    ['57P01', false],
    ['CL001', false],
  ])('SQLSTATE %s is a refusal of the data: %s', (code, refused) => {
    expect(isDataRefusal(Object.assign(new Error('x'), { code }))).toBe(refused);
  });

  it('is not a refusal when the error carries no SQLSTATE (a socket error)', () => {
    expect(isDataRefusal(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isDataRefusal(new Error('no code'))).toBe(false);
  });

  it('gives its reason without the server message, which may quote the value', () => {
    const error = Object.assign(new Error('invalid input syntax: "alice@example.com"'), {
      code: '22P02',
    });
    expect(dataRefusalReason(error)).toBe(
      'PostgreSQL refused the record: SQLSTATE 22P02 (invalid text representation)',
    );
    expect(dataRefusalReason(error)).not.toContain('alice');
  });
});
