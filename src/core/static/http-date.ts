const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** IMF-fixdate, e.g. `Tue, 15 Nov 1994 08:12:31 GMT` (what `toUTCString` produces). */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

const IMF_FIXDATE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC_850 = /^[A-Za-z]+, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Parses the three HTTP-date forms RFC 9110 §5.6.7 requires recipients to accept; null for
 * anything else (a conditional header with an invalid date is ignored). `nowMs` (the Clock
 * port's wall time) places RFC 850's two-digit years.
 */
export function parseHttpDate(text: string, nowMs: number): number | null {
  const value = text.trim();
  let match = IMF_FIXDATE.exec(value);
  if (match !== null) return utc(Number(match[3]), match[2], Number(match[1]), match[4], match[5], match[6]);
  match = RFC_850.exec(value);
  if (match !== null) {
    // Two-digit years: RFC 9110 says a date more than 50 years ahead is in the past century.
    const twoDigits = Number(match[3]);
    const currentYear = new Date(nowMs).getUTCFullYear();
    let year = 2000 + twoDigits;
    if (year > currentYear + 50) year -= 100;
    return utc(year, match[2], Number(match[1]), match[4], match[5], match[6]);
  }
  match = ASCTIME.exec(value);
  if (match !== null) return utc(Number(match[6]), match[1], Number(match[2].trim()), match[3], match[4], match[5]);
  return null;
}

function utc(year: number, monthName: string, day: number, hours: string, minutes: string, seconds: string): number | null {
  const month = MONTHS.indexOf(monthName);
  if (month === -1 || day < 1 || day > 31) return null;
  const h = Number(hours);
  const m = Number(minutes);
  const s = Number(seconds);
  if (h > 23 || m > 59 || s > 60) return null;
  return Date.UTC(year, month, day, h, m, s);
}
