import { InvalidAsOfError, resolveAsOf, zoneOffsetMinutes } from './as-of-time';

const instant = (text: string, zone?: string) => resolveAsOf(text, zone).instant.toISOString();

describe('resolveAsOf', () => {
  it('takes a date-time with an offset or Z exactly, whatever zone is given', () => {
    expect(instant('2026-03-29T01:30:00+01:00')).toBe('2026-03-29T00:30:00.000Z');
    expect(instant('2026-03-29T01:30:00.250Z', 'America/New_York')).toBe(
      '2026-03-29T01:30:00.250Z',
    );
  });

  it('reads a local date-time in the given zone, on either side of a change', () => {
    // Europe/Berlin: +01:00 until 2026-03-29 02:00, then +02:00.
    expect(instant('2026-03-29T01:59:59', 'Europe/Berlin')).toBe('2026-03-29T00:59:59.000Z');
    expect(instant('2026-03-29T03:00', 'Europe/Berlin')).toBe('2026-03-29T01:00:00.000Z');
    // America/New_York: -05:00 until 2026-03-08 02:00, then -04:00.
    expect(instant('2026-03-08T01:30', 'America/New_York')).toBe('2026-03-08T06:30:00.000Z');
    expect(instant('2026-03-08T03:30[America/New_York]')).toBe('2026-03-08T07:30:00.000Z');
  });

  it('refuses a wall time the clocks skipped, naming the change', () => {
    expect(() => resolveAsOf('2026-03-29T02:30', 'Europe/Berlin')).toThrow(
      /does not exist in Europe\/Berlin.*\+01:00 to \+02:00/,
    );
  });

  it('refuses a wall time the clocks showed twice, offering both readings', () => {
    expect(() => resolveAsOf('2026-10-25T02:30', 'Europe/Berlin')).toThrow(
      /happened twice in Europe\/Berlin.*2026-10-25T02:30\+02:00 or 2026-10-25T02:30\+01:00/,
    );
    // Either reading, with its offset, is exact and an hour apart.
    expect(instant('2026-10-25T02:30+02:00')).toBe('2026-10-25T00:30:00.000Z');
    expect(instant('2026-10-25T02:30+01:00')).toBe('2026-10-25T01:30:00.000Z');
  });

  it('reads a date alone as the end of that day in the zone', () => {
    expect(instant('2026-03-29', 'Europe/Berlin')).toBe('2026-03-29T21:59:59.999Z');
    expect(instant('2026-12-31', 'UTC')).toBe('2026-12-31T23:59:59.999Z');
    expect(resolveAsOf('2026-03-29', 'Europe/Berlin').explanation).toMatch(/end of 2026-03-29/);
  });

  it('reads a date alone as the start of that day for the start of a range', () => {
    const start = (text: string, zone: string) =>
      resolveAsOf(text, zone, 'start-of-day').instant.toISOString();
    expect(start('2026-03-29', 'Europe/Berlin')).toBe('2026-03-28T23:00:00.000Z');
    expect(start('2026-03-30', 'Europe/Berlin')).toBe('2026-03-29T22:00:00.000Z');
    // Chile skips midnight when summer time starts: the day begins when the clocks jump.
    expect(start('2026-09-06', 'America/Santiago')).toBe('2026-09-06T04:00:00.000Z');
    expect(zoneOffsetMinutes('America/Santiago', new Date('2026-09-06T04:00:00Z'))).toBe(-180);
  });

  it('refuses ambiguity and nonsense with a clear error', () => {
    expect(() => resolveAsOf('2026-03-29T01:30')).toThrow(/no offset and no time zone/);
    expect(() => resolveAsOf('2026-02-30', 'UTC')).toThrow(/not a valid calendar/);
    expect(() => resolveAsOf('yesterday', 'UTC')).toThrow(InvalidAsOfError);
    expect(() => resolveAsOf('2026-03-29T01:30', 'Mars/Olympus')).toThrow(/not a time zone/);
  });
});
