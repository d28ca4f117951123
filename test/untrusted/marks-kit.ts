import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";
import { textOf } from "../helpers/mcp.js";

// A mark's inside never holds < or >; in JSON text a fence's line breaks are written \n.
const MARK = /<untrusted>([^<>]*)<\/untrusted>/g;
const FENCE = /<untrusted-sender-data>(?:\n|\\n)([^<>]*?)(?:\n|\\n)<\/untrusted-sender-data>/g;

/** What a model reads of a result: its text and its structured content, as JSON text. */
export function modelReads(result: CallToolResult): string[] {
  return [textOf(result), JSON.stringify(result.structuredContent ?? null)];
}

/** The text with every well-formed mark and fence taken out. */
export function outsideMarks(text: string): string {
  return text.replace(MARK, " ").replace(FENCE, " ");
}

/** What each mark in a text holds. */
export function marksIn(text: string): string[] {
  return [...text.matchAll(MARK)].map((match) => match[1] as string);
}

/**
 * Every mark in `text` is whole and unambiguous (no bare `&` inside: each is one of the three
 * entities), no tag is left outside a mark, and none of `canaries` is outside one.
 */
export function expectWellMarked(text: string, canaries: readonly string[] = []): void {
  const outside = outsideMarks(text);
  expect(outside, "a mark tag outside a whole mark: broken or forged").not.toMatch(/<\/?untrusted/);
  for (const canary of canaries) {
    expect(outside, `${canary} reached the model unmarked`).not.toContain(canary);
  }
  for (const inside of marksIn(text)) {
    expect(inside.replace(/&(?:lt|gt|amp);/g, ""), `a bare & in a mark: ${inside}`).not.toContain(
      "&",
    );
  }
}
