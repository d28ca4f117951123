import type { Sealer } from "../store/seal.js";
import type { SharedStore } from "../store/store.js";

/** A one-time page's address, wherever a setup's snapshot holds it. */
const PAGE_URL = /https?:\/\/[^\s"\\]+\/once\/[A-Za-z0-9_-]{43}/g;
const SEALED = "sealed-page-url:";

/** A setup's snapshot with every page address sealed: a stolen row or backup opens no page. */
export function sealPageUrls(snapshot: unknown, sealer: Sealer, wizardId: string): unknown {
  const text = JSON.stringify(snapshot);
  if (!text.includes("/once/")) return snapshot;
  return JSON.parse(text.replace(PAGE_URL, (url) => SEALED + sealer.seal(url, wizardId)));
}

/** The snapshot as the setup wrote it; an address sealed under another key stays unusable. */
export function openPageUrls(snapshot: unknown, sealer: Sealer, wizardId: string): unknown {
  const text = JSON.stringify(snapshot);
  if (!text.includes(SEALED)) return snapshot;
  return JSON.parse(text, (_key, value) =>
    typeof value === "string" && value.startsWith(SEALED)
      ? (sealer.open(value.slice(SEALED.length), wizardId) ?? value)
      : value,
  );
}

/** The shared store with setups' page addresses sealed on the way in and opened on the way out. */
export function withSealedPageUrls(store: SharedStore, sealer: Sealer): SharedStore {
  return {
    ...store,
    saveWizard: (id, owner, snapshot, version) =>
      store.saveWizard(id, owner, sealPageUrls(snapshot, sealer, id), version),
    loadWizard: async (id, owner) => {
      const loaded = await store.loadWizard(id, owner);
      return loaded.state === "found"
        ? { ...loaded, snapshot: openPageUrls(loaded.snapshot, sealer, id) }
        : loaded;
    },
  };
}
