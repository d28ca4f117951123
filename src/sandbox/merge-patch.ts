/**
 * Applies an RFC 7396 JSON merge patch: objects merge key by key, `null` removes a key,
 * anything else (arrays included) replaces the target. Every key is data: `__proto__` is
 * kept as an own key, never followed to a prototype.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> = {};
  if (target !== null && typeof target === "object" && !Array.isArray(target)) {
    for (const [key, value] of Object.entries(target)) setOwn(result, key, value);
  }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else
      setOwn(
        result,
        key,
        applyMergePatch(Object.hasOwn(result, key) ? result[key] : undefined, value),
      );
  }
  return result;
}

// Plain assignment to `__proto__` would replace the prototype and drop the key.
function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
