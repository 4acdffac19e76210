import { InvalidInput } from './errors';

// Characters no input may carry: C0 and C1 controls, and UTF-16 surrogates outside a pair (PostgreSQL's text and
// jsonb cannot hold NUL or a lone surrogate at all; the rest has no place in a name, an email, an id or a reason).
// Tab and line breaks are allowed only where a field is multi-line. Each alternative matches one or two code units
// with no quantifier, so a test is one linear pass however hostile the string.
// eslint-disable-next-line no-control-regex -- finding control characters is this pattern's job
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LINE_BREAK_OR_TAB = /[\t\n\r]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What storage cannot hold at all, anywhere: NUL and lone surrogates. Linear. */
export function unstorableCharacter(value: string): string | undefined {
  if (value.includes('\u0000')) return 'a NUL character';
  if (LONE_SURROGATE.test(value)) return 'an unpaired UTF-16 surrogate';
  return undefined;
}

/** Why `value` is not clean text (or undefined if it is): controls, lone surrogates, line breaks unless allowed. */
export function unacceptableCharacter(value: string, multiline = false): string | undefined {
  const unstorable = unstorableCharacter(value);
  if (unstorable) return unstorable;
  if (CONTROL.test(value)) return 'a control character';
  if (!multiline && LINE_BREAK_OR_TAB.test(value)) return 'a tab or line break';
  return undefined;
}

/**
 * A text input, trimmed: at most `max` characters as sent (the length is checked before anything else looks at
 * the string), no control characters or lone surrogates, and not blank.
 */
export function requireText(
  raw: string,
  field: string,
  { max, multiline = false }: { max: number; multiline?: boolean },
): string {
  if (raw.length > max) throw new InvalidInput(`${field} may have at most ${max} characters, got ${raw.length}`, field);
  // Surrounding whitespace (a pasted tab or line break included) is trimmed away before the characters are judged.
  const text = raw.trim();
  const bad = unacceptableCharacter(text, multiline);
  if (bad) throw new InvalidInput(`${field} must not contain ${bad}`, field);
  if (text.length === 0) throw new InvalidInput(`${field} must not be empty`, field);
  return text;
}

/** Like requireText, but a missing or blank value is simply absent. */
export function optionalText(
  raw: string | null | undefined,
  field: string,
  options: { max: number; multiline?: boolean },
): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (raw.length <= options.max && raw.trim().length === 0) return undefined;
  return requireText(raw, field, options);
}

/** An id a client sends (taken as is, not trimmed): 1 to `max` characters, no control characters. */
export function requireId(raw: string, field: string, max: number): string {
  if (raw.length === 0) throw new InvalidInput(`${field} must not be empty`, field);
  if (raw.length > max) throw new InvalidInput(`${field} may have at most ${max} characters, got ${raw.length}`, field);
  const bad = unacceptableCharacter(raw);
  if (bad) throw new InvalidInput(`${field} must not contain ${bad}`, field);
  return raw;
}
