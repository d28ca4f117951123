/**
 * Blocks of a Markdown page that a script writes: the text between `<!-- generated:NAME -->`
 * and `<!-- /generated:NAME -->`. The rest of the page is written by hand.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

function markers(name: string): { open: string; close: string } {
  return { open: `<!-- generated:${name} -->`, close: `<!-- /generated:${name} -->` };
}

/** The text of block `name` in `page`, without its markers; throws when the page has none. */
export function blockContent(page: string, name: string): string {
  const { open, close } = markers(name);
  const start = page.indexOf(open);
  const end = page.indexOf(close);
  if (start < 0 || end < start) throw new Error(`the page has no block "${open}" … "${close}"`);
  return page.slice(start + open.length, end);
}

/** `page` with block `name` holding `content` (set off by blank lines). */
export function replaceBlock(page: string, name: string, content: string): string {
  const { open } = markers(name);
  const current = blockContent(page, name);
  const start = page.indexOf(open) + open.length;
  return `${page.slice(0, start)}\n\n${content.trim()}\n\n${page.slice(start + current.length)}`;
}

/** The names of every generated block in `page`, in page order. */
export function blockNames(page: string): string[] {
  return [...page.matchAll(/<!-- generated:([a-z0-9/-]+) -->/g)].map((match) => match[1] ?? "");
}

/** A Markdown table cell: pipes escaped, line breaks as spaces. */
export function cell(text: string): string {
  return prose(text)
    .replaceAll("|", "\\|")
    .replace(/\s*\n\s*/g, " ");
}

/** Text for Markdown prose: an angle bracket is written as an entity, so `<untrusted>` shows. */
export function prose(text: string): string {
  return text.replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** One table row with its cells trimmed and separator cells shortened, as a formatter may pad them. */
function tableRow(line: string): string {
  const cells = line
    .trim()
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((text) => text.trim().replace(/^(:?)-+(:?)$/, "$1---$2"));
  return `|${cells.join("|")}|`;
}

/**
 * Markdown as a formatter leaves its meaning: table cells without padding, no trailing
 * spaces, no doubled blank lines. Generated blocks are compared in this form.
 */
export function normalizeMarkdown(text: string): string {
  return text
    .split("\n")
    .map((line) => (line.trimStart().startsWith("|") ? tableRow(line) : line.trimEnd()))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Formats written files the way `npm run format` does, so `biome check` stays clean. */
export function formatFiles(root: string, paths: readonly string[]): void {
  execFileSync(join(root, "node_modules", ".bin", "biome"), ["format", "--write", ...paths], {
    cwd: root,
    stdio: "ignore",
  });
}
