import { randomBytes } from "node:crypto";

/** Escapes text for HTML element content and quoted attribute values. */
export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A fresh nonce for one response: the page's only script and style run under it. */
export function pageNonce(): string {
  return randomBytes(16).toString("base64");
}
