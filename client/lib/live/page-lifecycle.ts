/**
 * Where the client learns that the page was hidden, shown or is unloading:
 * an `EventTarget`-like object with `visibilityState`. In a browser it is
 * built from `window` and `document` ({@link browserPageLifecycle}); tests
 * pass a plain fake. `document` itself fits too (without `pagehide`).
 */
export interface PageLifecycle {
  /** `'hidden'` while the page is not shown; anything else counts as visible. */
  readonly visibilityState: string;
  addEventListener(type: string, listener: (event: { readonly type: string }) => void): void;
  removeEventListener(type: string, listener: (event: { readonly type: string }) => void): void;
}

/** What happened to the page. */
export type PageChange = 'visible' | 'hidden' | 'unloading';

/** The events listened to, once per page however many clients watch it. */
export const PAGE_EVENTS = ['visibilitychange', 'pagehide', 'pageshow', 'beforeunload'] as const;

type PageListener = (event: { readonly type: string }) => void;

interface Registration {
  readonly handlers: Set<(change: PageChange) => void>;
  readonly listener: PageListener;
}

// One registration per page: clients created and started any number of
// times share its single set of DOM listeners, which go away with the last.
const registrations = new WeakMap<PageLifecycle, Registration>();

function changeOf(page: PageLifecycle, type: string): PageChange {
  if (type === 'pagehide') return 'hidden';
  if (type === 'beforeunload') return 'unloading';
  return page.visibilityState === 'hidden' ? 'hidden' : 'visible';
}

function register(page: PageLifecycle): Registration {
  const handlers = new Set<(change: PageChange) => void>();
  const listener: PageListener = (event) => {
    const change = changeOf(page, event.type);
    for (const handler of [...handlers]) handler(change);
  };
  for (const type of PAGE_EVENTS) page.addEventListener(type, listener);
  return { handlers, listener };
}

/**
 * Calls `handler` on every change of `page` until the returned function is
 * called. Adding the same handler again changes nothing.
 */
export function watchPage(page: PageLifecycle, handler: (change: PageChange) => void): () => void {
  const registration = registrations.get(page) ?? register(page);
  registrations.set(page, registration);
  registration.handlers.add(handler);
  return () => {
    registration.handlers.delete(handler);
    if (registration.handlers.size > 0 || registrations.get(page) !== registration) return;
    registrations.delete(page);
    for (const type of PAGE_EVENTS) page.removeEventListener(type, registration.listener);
  };
}

let browserPage: PageLifecycle | null | undefined;

/**
 * The browser's page lifecycle (`visibilitychange` on `document`, the rest
 * on `window`), or null outside a browser. Always the same object, so that
 * every client in the page shares one set of listeners.
 */
export function browserPageLifecycle(): PageLifecycle | null {
  if (browserPage !== undefined) return browserPage;
  if (typeof window === 'undefined' || typeof document === 'undefined') return (browserPage = null);
  const targetOf = (type: string): EventTarget => (type === 'visibilitychange' ? document : window);
  browserPage = {
    get visibilityState() {
      return document.visibilityState;
    },
    addEventListener: (type, listener) => targetOf(type).addEventListener(type, listener),
    removeEventListener: (type, listener) => targetOf(type).removeEventListener(type, listener),
  };
  return browserPage;
}
