/**
 * Regular expressions from the rules file run on every login with IdP-controlled input, inside the process that
 * answers Kayako. JavaScript's engine backtracks, so a pattern such as `(a+)+$` can take exponential time. We keep
 * it sensible, not perfect: bounded pattern length, no repetition of a group that itself repeats (the usual
 * cause), and bounded input length. Overlapping alternatives under repetition (`(a|a)*`) are not detected.
 */
export const MAX_PATTERN_LENGTH = 256;
/** Longer claim values never match a regex (explain says so). */
export const MAX_REGEX_INPUT_LENGTH = 1024;

/** The pattern must match the whole value: an operator writing `admin` does not mean `notadmin`. */
export function compileRulePattern(pattern: string, ignoreCase: boolean): { regex: RegExp } | { error: string } {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { error: `regex is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  const flags = ignoreCase ? 'i' : '';
  try {
    // Compiled alone first, so an unbalanced ")" cannot close the anchoring group below.
    new RegExp(pattern, flags);
  } catch (err) {
    return { error: `invalid regex: ${(err as Error).message}` };
  }
  if (hasNestedRepetition(pattern)) {
    return {
      error: 'regex repeats a group that itself repeats (like (a+)+), which can take exponential time; rewrite it without the nesting',
    };
  }
  return { regex: new RegExp(`^(?:${pattern})$`, flags) };
}

/** True when a repeated group (`*`, `+`, `{n,}`, `{n,m}` with m > 1) contains a repetition itself. */
export function hasNestedRepetition(pattern: string): boolean {
  const groupRepeats: boolean[] = [];
  let previousWasRepeatingGroup = false;
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      i += 2;
      previousWasRepeatingGroup = false;
    } else if (c === '[') {
      i = skipCharacterClass(pattern, i);
      previousWasRepeatingGroup = false;
    } else if (c === '(') {
      groupRepeats.push(false);
      i = skipGroupPrefix(pattern, i + 1);
      previousWasRepeatingGroup = false;
    } else if (c === ')') {
      const inner = groupRepeats.pop() ?? false;
      if (inner) markEnclosingGroup(groupRepeats);
      previousWasRepeatingGroup = inner;
      i += 1;
    } else {
      const quantifier = readQuantifier(pattern, i);
      if (quantifier) {
        if (quantifier.repeats && previousWasRepeatingGroup) return true;
        if (quantifier.repeats) markEnclosingGroup(groupRepeats);
        i = quantifier.end;
      } else {
        i += 1;
      }
      previousWasRepeatingGroup = false;
    }
  }
  return false;
}

function markEnclosingGroup(groupRepeats: boolean[]): void {
  if (groupRepeats.length > 0) groupRepeats[groupRepeats.length - 1] = true;
}

function skipCharacterClass(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i += 1;
  if (pattern[i] === ']') i += 1; // a leading "]" is literal
  while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Skips `?:`, `?=`, `?!`, `?<=`, `?<!`, `?<name>` so their `?` is not read as a quantifier. */
function skipGroupPrefix(pattern: string, start: number): number {
  if (pattern[start] !== '?') return start;
  const named = /^\?<[A-Za-z_$][\w$]*>/.exec(pattern.slice(start));
  if (named) return start + named[0].length;
  const prefix = /^\?(?::|=|!|<=|<!)/.exec(pattern.slice(start));
  return prefix ? start + prefix[0].length : start;
}

function readQuantifier(pattern: string, start: number): { repeats: boolean; end: number } | undefined {
  const c = pattern[start];
  let end: number;
  let repeats: boolean;
  if (c === '*' || c === '+' || c === '?') {
    end = start + 1;
    repeats = c !== '?';
  } else if (c === '{') {
    const braces = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(start));
    if (!braces) return undefined;
    end = start + braces[0].length;
    const max = braces[2] === undefined ? Number(braces[1]) : braces[3] === '' ? Infinity : Number(braces[3]);
    repeats = max > 1;
  } else {
    return undefined;
  }
  if (pattern[end] === '?') end += 1; // lazy
  return { repeats, end };
}
