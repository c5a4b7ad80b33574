import { type CheckableItem, normalizeText, numericAnswerValue } from "./checking.ts";
import { ALL_NUMBER_FORMS, readNumber, sameNumber } from "./numbers.ts";

// Numbers as they appear in prose: mixed numbers, fractions, decimals, percents, integers.
const NUMBER_TOKEN =
  /-?\d+\s\d+\s?\/\s?\d+|-?\d+\s?\/\s?\d+|-?\d*\.\d+%?|-?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?|-?\d+%?/g;

/**
 * Whether a text gives away an item's answer: the value in any numeric form (3/4, 6/8, 0.75,
 * 75%), the correct choice's text or label, the accepted text answers, or the expression. For
 * numbers, single-digit integers are not counted: they are too common in hints ("multiply both
 * by 2") to mean anything on their own.
 */
export function revealsAnswer(item: CheckableItem, text: string): boolean {
  switch (item.type) {
    case "numeric": {
      const value = numericAnswerValue(item);
      if (value === undefined) return false;
      return mentionsNumber(text, value, item.unit === "percent");
    }
    case "choice": {
      const index = item.choices.findIndex((c) => normalizeText(c) === normalizeText(item.answer));
      const label = "abcdefgh"[index];
      const byLabel = new RegExp(
        `\\b(?:option|choice|answer|pick|choose)\\s*\\(?(?:${label}|${index + 1})\\)?(?![\\w/])`,
        "i",
      );
      if (byLabel.test(text)) return true;
      const asNumber = readNumber(item.answer);
      if (asNumber && mentionsNumber(text, asNumber.value, false)) return true;
      return containsPhrase(text, item.answer);
    }
    case "text":
      return [item.answer, ...item.alternatives].some((answer) =>
        containsPhrase(text, answer, item.caseSensitive),
      );
    case "expression":
      return normalizeText(text)
        .replace(/\s+/g, "")
        .includes(normalizeText(item.answer).replace(/\s+/g, ""));
  }
}

function mentionsNumber(
  text: string,
  value: ReturnType<typeof numericAnswerValue> & object,
  isPercent: boolean,
): boolean {
  for (const token of text.match(NUMBER_TOKEN) ?? []) {
    const read = readNumber(isPercent ? token.replace(/%$/, "") : token, {
      ...ALL_NUMBER_FORMS,
      percent: !isPercent,
    });
    if (!read || !sameNumber(read.value, value)) continue;
    const isSmallInteger = read.form === "integer" && Math.abs(Number(read.value)) < 10;
    if (!isSmallInteger) return true;
  }
  return false;
}

function containsPhrase(text: string, phrase: string, caseSensitive = false): boolean {
  const needle = normalizeText(phrase, caseSensitive);
  if (needle.length < 2) return false;
  const haystack = normalizeText(text, caseSensitive);
  const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, "u").test(haystack);
}
