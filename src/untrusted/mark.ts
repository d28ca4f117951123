/**
 * Text that comes from outside this process (names people typed, upstream error messages,
 * sender payloads) is data. Before a model reads it, characters that hide or reorder text
 * are removed and its length is capped, so it cannot smuggle instructions past a reader.
 */

import { looksLikeSecret, REDACTED, redactSecrets } from "./secret-shapes.js";

// C0/C1 controls (tab and newline kept where allowed), zero-width and joiners, bidi
// embeddings/overrides/isolates, the BOM, interlinear annotations and the Unicode tag block.
const HIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g;
const LINE_BREAKS = /[\t\n]/g;

export const MAX_NAME_CHARS = 120;
export const MAX_MESSAGE_CHARS = 400;

/**
 * One line of untrusted text: hidden characters removed, breaks turned into spaces, anything
 * shaped like a secret replaced, capped.
 */
export function cleanLine(value: string, maxChars = MAX_NAME_CHARS): string {
  const visible = redactSecrets(value.replace(HIDDEN, "").replace(LINE_BREAKS, " ").trim());
  return visible.length > maxChars ? `${visible.slice(0, maxChars - 1)}…` : visible;
}

// A header-shaped key names a credential whatever its value looks like.
const CREDENTIAL_KEY = /^(?:proxy-)?authorization$/i;

/** A JSON object's entries, with the value of an `Authorization` key removed whatever its shape. */
function entriesOf(value: object): [string, unknown][] {
  return Object.entries(value).map(([key, item]) => [
    key,
    typeof item === "string" && CREDENTIAL_KEY.test(key.trim()) ? REDACTED : item,
  ]);
}

/** Every string inside a JSON value cleaned (keys too), for payloads a model may read. */
export function cleanJson(value: unknown, maxChars = MAX_MESSAGE_CHARS): unknown {
  if (typeof value === "string") return cleanLine(value, maxChars);
  if (Array.isArray(value)) return value.map((item) => cleanJson(item, maxChars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      entriesOf(value).map(([key, item]) => [cleanLine(key, maxChars), cleanJson(item, maxChars)]),
    );
  }
  return value;
}

export { looksLikeSecret };

const MARKUP = /[<>&]/g;
const ENTITIES: Readonly<Record<string, string>> = { "<": "&lt;", ">": "&gt;", "&": "&amp;" };
const ENTITY = /&(lt|gt|amp);/g;
const CHARACTERS: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&" };
const JSON_MARKUP = /[<>&]/g;

/** The tag around one string a person or a sender controls, wherever a model reads it. */
export const UNTRUSTED_TAG = "untrusted";
/** The fence around a sender's JSON body. */
export const SENDER_DATA_FENCE = "untrusted-sender-data";
/** Fenced sender data is cut after this many characters. */
export const MAX_FENCED_CHARS = 2000;

/**
 * One string a person or a sender controls, cleaned and marked for a model: inside the mark
 * `<`, `>` and `&` are entities, so no text in it can close the mark, open another, or pass
 * for an escaped tag.
 */
export function markUntrusted(value: string, maxChars = MAX_NAME_CHARS): string {
  const inside = cleanLine(value, maxChars).replace(MARKUP, (mark) => ENTITIES[mark] ?? "");
  return `<${UNTRUSTED_TAG}>${inside}</${UNTRUSTED_TAG}>`;
}

/**
 * A JSON value a person or a sender wrote, for a model: every string in it marked, keys too,
 * and the value of an `Authorization` key removed. Numbers, booleans and null stay as they are.
 */
export function markJson(value: unknown, maxChars = MAX_MESSAGE_CHARS): unknown {
  if (typeof value === "string") return markUntrusted(value, maxChars);
  if (Array.isArray(value)) return value.map((item) => markJson(item, maxChars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      entriesOf(value).map(([key, item]) => [markUntrusted(key), markJson(item, maxChars)]),
    );
  }
  return value;
}

const MARKED = new RegExp(`<${UNTRUSTED_TAG}>([^<>]*)</${UNTRUSTED_TAG}>`, "g");

/**
 * Text marked for a model, as a person reads it: the marks dropped and the entities inside
 * turned back, in one pass. Only for display: what a model reads keeps its marks.
 */
export function unmarkForPerson(text: string): string {
  return text.replace(MARKED, (_all, inner: string) =>
    inner.replace(ENTITY, (_entity, name: string) => CHARACTERS[name] ?? ""),
  );
}

/** The two marks, as a model may copy them loose into its own reply. */
export const MARKS = [`<${UNTRUSTED_TAG}>`, `</${UNTRUSTED_TAG}>`] as const;

/** A model's reply as a person reads it: whole marks unmarked, stray ones dropped too. */
export function plainForPerson(text: string): string {
  return MARKS.reduce((out, mark) => out.replaceAll(mark, ""), unmarkForPerson(text));
}

// CommonMark lets a backslash escape any ASCII punctuation; these are the ones that format.
const MARKDOWN_PUNCTUATION = /[\\`*_[\]|~]/g;

/**
 * One string a person or a sender controls, for a Markdown document a person reads: cleaned,
 * `<`, `>` and `&` as entities and formatting characters escaped, so it shows as typed.
 */
export function markdownLine(value: string, maxChars = MAX_NAME_CHARS): string {
  return cleanLine(value, maxChars)
    .replace(MARKUP, (mark) => ENTITIES[mark] ?? "")
    .replace(MARKDOWN_PUNCTUATION, (mark) => `\\${mark}`);
}

/**
 * A sender's JSON body as a fenced block a model reads as data. `<`, `>` and `&` inside are
 * written as JSON escapes: the JSON means the same, and no tag can form inside the fence.
 */
export function fenceSenderData(value: unknown, maxChars = MAX_FENCED_CHARS): string {
  const text = JSON.stringify(cleanJson(value, 500)) ?? "null";
  const capped = text.length > maxChars ? `${text.slice(0, maxChars)}… (cut)` : text;
  const inert = capped.replace(
    JSON_MARKUP,
    (mark) => `\\u${mark.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `<${SENDER_DATA_FENCE}>\n${inert}\n</${SENDER_DATA_FENCE}>`;
}

// Argument names are snake_case words; any other key was typed by someone and is marked.
const ARGUMENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** The dotted paths of every string in `value` that looks like a secret; a secret-shaped key is named redacted. */
export function secretPaths(value: unknown, path = ""): string[] {
  if (typeof value === "string") return looksLikeSecret(value) ? [path || "(arguments)"] : [];
  if (Array.isArray(value))
    return value.flatMap((item, index) => secretPaths(item, `${path}[${index}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => {
      const named = ARGUMENT_NAME.test(key) && !looksLikeSecret(key) ? key : markUntrusted(key);
      return [
        ...(looksLikeSecret(key) ? [path ? `${path}.${named}` : named] : []),
        ...secretPaths(item, path ? `${path}.${named}` : named),
      ];
    });
  }
  return [];
}
