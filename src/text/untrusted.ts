/**
 * Text that comes from outside this process (names people typed, upstream error messages,
 * sender payloads) is data. Before a model reads it, characters that hide or reorder text
 * are removed and its length is capped, so it cannot smuggle instructions past a reader.
 */

import { looksLikeSecret } from "./secrets.js";

// C0/C1 controls (tab and newline kept where allowed), zero-width and joiners, bidi
// embeddings/overrides/isolates, the BOM, interlinear annotations and the Unicode tag block.
const HIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;
const LINE_BREAKS = /[\t\n]/g;

export const MAX_NAME_CHARS = 120;
export const MAX_MESSAGE_CHARS = 400;

/** One line of untrusted text: hidden characters removed, breaks turned into spaces, capped. */
export function cleanLine(value: string, maxChars = MAX_NAME_CHARS): string {
  const visible = value.replace(HIDDEN, "").replace(LINE_BREAKS, " ").trim();
  return visible.length > maxChars ? `${visible.slice(0, maxChars - 1)}…` : visible;
}

/** Every string inside a JSON value cleaned (keys too), for payloads a model may read. */
export function cleanJson(value: unknown, maxChars = MAX_MESSAGE_CHARS): unknown {
  if (typeof value === "string") return cleanLine(value, maxChars);
  if (Array.isArray(value)) return value.map((item) => cleanJson(item, maxChars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        cleanLine(key, maxChars),
        cleanJson(item, maxChars),
      ]),
    );
  }
  return value;
}

export { looksLikeSecret };

/** The dotted paths of every string in `value` that looks like a secret. */
export function secretPaths(value: unknown, path = ""): string[] {
  if (typeof value === "string") return looksLikeSecret(value) ? [path || "(arguments)"] : [];
  if (Array.isArray(value))
    return value.flatMap((item, index) => secretPaths(item, `${path}[${index}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => [
      ...(looksLikeSecret(key) ? [path || "(arguments)"] : []),
      ...secretPaths(item, path ? `${path}.${key}` : key),
    ]);
  }
  return [];
}
