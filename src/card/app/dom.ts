/** Makes an element with attributes and children; text is always set as text, never as HTML. */
export function el(
  tag: string,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== "") node.setAttribute(name, value);
    else if (name === "novalidate") node.setAttribute(name, "");
  }
  node.append(...children);
  return node;
}
