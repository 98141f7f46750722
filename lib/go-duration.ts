// Go's time.ParseDuration, the way metav1.Duration reads a JSON string (pure).
// Exact nanoseconds as a bigint, so that durations compare by value ("2000h" = "2000h0m0s" =
// "120000m") without floating-point error; the fraction of a component is scaled as Go scales it.

const UNIT_NANOSECONDS = new Map<string, bigint>([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n], // micro sign
  ["\u03bcs", 1_000n], // Greek mu
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);

const MAX = 1n << 63n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** The duration in nanoseconds, or undefined where Go's time.ParseDuration returns an error (no unit, an unknown unit, out of int64's range). */
export function goDurationNanoseconds(text: string): bigint | undefined {
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return undefined;
  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) return undefined;
    let i = 0;
    let whole = 0n;
    while (isDigit(s[i])) {
      whole = whole * 10n + BigInt(s[i]);
      if (whole > MAX) return undefined;
      i++;
    }
    const hasWhole = i > 0;
    let fraction = 0n;
    let scale = 1;
    let hasFraction = false;
    if (s[i] === ".") {
      i++;
      const start = i;
      let overflow = false;
      // Digits past int64's precision are read but ignored, as Go's leadingFraction does.
      while (isDigit(s[i])) {
        if (!overflow) {
          const next = fraction * 10n + BigInt(s[i]);
          if (next > MAX) overflow = true;
          else {
            fraction = next;
            scale *= 10;
          }
        }
        i++;
      }
      hasFraction = i > start;
    }
    if (!hasWhole && !hasFraction) return undefined;
    const unitStart = i;
    while (i < s.length && s[i] !== "." && !isDigit(s[i])) i++;
    const unit = UNIT_NANOSECONDS.get(s.slice(unitStart, i));
    if (unitStart === i || unit === undefined) return undefined;
    s = s.slice(i);
    if (whole > MAX / unit) return undefined;
    let value = whole * unit;
    if (fraction > 0n) {
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > MAX) return undefined;
    }
    total += value;
    if (total > MAX) return undefined;
  }
  if (negative) return -total;
  return total > MAX - 1n ? undefined : total;
}
