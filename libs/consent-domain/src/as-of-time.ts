/**
 * Turns what an auditor types for "as of" into one instant, without guessing:
 * - an ISO-8601 date-time with `Z` or an offset is exact;
 * - a local date-time (no offset) needs a time zone, given separately or as an RFC 9557 suffix
 *   (`2026-10-25T02:30[Europe/Berlin]`); a wall time the clocks skipped (spring forward) is
 *   refused, and one they showed twice (fall back) is refused unless the offset says which;
 * - a date alone means the end of that day in the zone (the state after everything that day), or,
 *   for the start of a range, its first instant (`[from, to)` with dates is whole days).
 */
export class InvalidAsOfError extends Error {
  readonly code = 'AUDIT.INVALID_AS_OF';
}

export interface ResolvedAsOf {
  readonly instant: Date;
  /** How the text was read, e.g. "2026-10-25T02:30 in Europe/Berlin (+01:00)". */
  readonly explanation: string;
}

const withOffset =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})(\[[^\]]+\])?$/i;
const localDateTime =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?(?:\[([^\]]+)\])?$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new InvalidAsOfError(
        `'${timeZone}' is not a time zone this system knows (use an IANA name such as Europe/Berlin)`,
      );
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's offset from UTC at an instant, in minutes (east positive). */
export function zoneOffsetMinutes(timeZone: string, instant: Date): number {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return Math.round((wall - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

const formatOffset = (minutes: number) => {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
};

/** The instants at which the zone's clocks showed this wall time: none, one, or two. */
export function instantsForWallTime(timeZone: string, wallAsUtcMs: number): Date[] {
  const day = 86_400_000;
  const offsets = new Set(
    [wallAsUtcMs - day, wallAsUtcMs, wallAsUtcMs + day].map((ms) =>
      zoneOffsetMinutes(timeZone, new Date(ms)),
    ),
  );
  const instants = [...offsets]
    .map((offset) => wallAsUtcMs - offset * 60_000)
    .filter((ms) => zoneOffsetMinutes(timeZone, new Date(ms)) * 60_000 === wallAsUtcMs - ms);
  return [...new Set(instants)].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/** What a date without a time stands for. */
export type DateMeaning = 'end-of-day' | 'start-of-day';

export function resolveAsOf(
  text: string,
  timeZone?: string,
  dateMeans: DateMeaning = 'end-of-day',
): ResolvedAsOf {
  const trimmed = text.trim();
  if (withOffset.test(trimmed)) {
    const instant = new Date(trimmed.replace(/\[[^\]]+\]$/, ''));
    if (Number.isNaN(instant.getTime()))
      throw new InvalidAsOfError(`'${text}' is not a valid date-time`);
    return { instant, explanation: `${trimmed} = ${instant.toISOString()}` };
  }
  const match = localDateTime.exec(trimmed);
  if (!match) {
    throw new InvalidAsOfError(
      `'${text}' is not an ISO-8601 date or date-time (e.g. 2026-03-29T01:30:00+01:00, or 2026-03-29T01:30 with a time zone)`,
    );
  }
  const [, year, month, day, hour, minute, second, millis, suffixZone] = match;
  const zone = suffixZone ?? timeZone;
  if (!zone) {
    throw new InvalidAsOfError(
      `'${text}' has no offset and no time zone: add one (Z, +01:00) or give the time zone (e.g. --time-zone Europe/Berlin)`,
    );
  }
  const dateOnly = hour === undefined;
  const endOfDay = dateOnly && dateMeans === 'end-of-day';
  const wall = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    dateOnly ? (endOfDay ? 23 : 0) : Number(hour),
    dateOnly ? (endOfDay ? 59 : 0) : Number(minute),
    dateOnly ? (endOfDay ? 59 : 0) : Number(second ?? 0),
    dateOnly ? (endOfDay ? 999 : 0) : Number((millis ?? '0').padEnd(3, '0')),
  );
  const check = new Date(wall);
  if (
    Number.isNaN(wall) ||
    check.getUTCMonth() !== Number(month) - 1 ||
    check.getUTCDate() !== Number(day) ||
    (!dateOnly && (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 59))
  ) {
    throw new InvalidAsOfError(`'${text}' is not a valid calendar date-time`);
  }
  const candidates = instantsForWallTime(zone, wall);
  const wallText = trimmed.replace(/\[[^\]]+\]$/, '');
  if (dateOnly) {
    // A day is never ambiguous: its first instant, or its last. Where the clocks skip midnight
    // the day starts when they jump (the old offset's midnight).
    const instant =
      candidates.length === 0
        ? new Date(wall - zoneOffsetMinutes(zone, new Date(wall - 86_400_000)) * 60_000)
        : endOfDay
          ? candidates[candidates.length - 1]!
          : candidates[0]!;
    const offset = formatOffset(zoneOffsetMinutes(zone, instant));
    return {
      instant,
      explanation: `${endOfDay ? 'end' : 'start'} of ${wallText} in ${zone} (${offset}) = ${instant.toISOString()}`,
    };
  }
  if (candidates.length === 0) {
    const before = zoneOffsetMinutes(zone, new Date(wall - 86_400_000));
    const after = zoneOffsetMinutes(zone, new Date(wall + 86_400_000));
    throw new InvalidAsOfError(
      `${wallText} does not exist in ${zone}: the clocks skipped it when the offset changed from ${formatOffset(before)} to ${formatOffset(after)}; give an offset or another time`,
    );
  }
  if (candidates.length > 1) {
    const choices = candidates.map(
      (instant) => `${wallText}${formatOffset(zoneOffsetMinutes(zone, instant))}`,
    );
    throw new InvalidAsOfError(
      `${wallText} happened twice in ${zone} (the clocks went back): say which with its offset, ${choices.join(' or ')}`,
    );
  }
  const instant = candidates[0]!;
  const offset = formatOffset(zoneOffsetMinutes(zone, instant));
  return { instant, explanation: `${wallText} in ${zone} (${offset}) = ${instant.toISOString()}` };
}
