import { unmarkForPerson } from "../../untrusted/mark.js";

/**
 * Makes an element with attributes and children; text is always set as text, never as HTML,
 * and names a model reads marked as untrusted are shown to the person unmarked.
 */
export function el(
  tag: string,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== "") node.setAttribute(name, unmarkForPerson(value));
    else if (name === "novalidate") node.setAttribute(name, "");
  }
  node.append(
    ...children.map((child) => (typeof child === "string" ? unmarkForPerson(child) : child)),
  );
  return node;
}
