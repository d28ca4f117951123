import type { Sealer } from "../setup-store/seal.js";
import type { SetupStore } from "../setup-store/setup-store.js";

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

/** The setup store with setups' page addresses sealed on the way in and opened on the way out. */
export function withSealedPageUrls(store: SetupStore, sealer: Sealer): SetupStore {
  return {
    ...store,
    setupsOf(owner) {
      const rows = store.setupsOf(owner);
      return {
        save: (id, snapshot, version) => rows.save(id, sealPageUrls(snapshot, sealer, id), version),
        load: async (id) => {
          const loaded = await rows.load(id);
          return loaded.state === "found"
            ? { ...loaded, snapshot: openPageUrls(loaded.snapshot, sealer, id) }
            : loaded;
        },
      };
    },
  };
}
