// Calendar dates as YYYY-MM-DD strings (UTC), for release dates and template cutoffs.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (m === null) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/** `date` plus `days` (negative: earlier). */
export function addDays(date: string, days: number): string {
  if (!isDate(date)) throw new RangeError(`not a YYYY-MM-DD date: '${date}'`);
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
