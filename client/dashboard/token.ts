/** The admin token: from the link `npm start` prints, from this tab's storage, or typed in. */

/** Key in sessionStorage: per tab, gone when the tab closes, never sent anywhere by the browser. */
export const TOKEN_STORAGE_KEY = 'pulse.adminToken';

/** What {@link createTokenStore} needs of `window`, so the logic runs against fakes too. */
export interface TokenEnvironment {
  readonly location: Pick<Location, 'hash' | 'pathname' | 'search'>;
  readonly history: Pick<History, 'replaceState' | 'state'>;
  readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

/** Reads, keeps and forgets the admin token of this tab. */
export interface TokenStore {
  /** The current token, or `null` when the admin must paste one. */
  get(): string | null;
  /** Keeps a token (trimmed) for this tab; an empty one is forgotten. */
  set(token: string): void;
  /** Forgets the token (sign out, or a token the server refused). */
  clear(): void;
}

/**
 * The token of a fragment such as `#token=eyJ…`, or `null`. The token travels
 * in the fragment because browsers never send fragments to servers, proxies
 * or logs; a query string would leak it.
 */
export function tokenFromFragment(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token')?.trim();
  return token ? token : null;
}

/**
 * Takes a token out of the address bar (so it is not bookmarked, shared or
 * left in history) into sessionStorage, and serves it from there afterwards.
 * Storage may throw (disabled, private mode); the token then lives in memory.
 */
export function createTokenStore({ location, history, storage }: TokenEnvironment): TokenStore {
  let current = tokenFromFragment(location.hash);
  if (current !== null) {
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
    attempt(() => storage.setItem(TOKEN_STORAGE_KEY, current ?? ''));
  } else {
    current = attempt(() => storage.getItem(TOKEN_STORAGE_KEY)) ?? null;
  }
  return {
    get: () => current,
    set: (token) => {
      const trimmed = token.trim();
      current = trimmed === '' ? null : trimmed;
      attempt(() => (current === null ? storage.removeItem(TOKEN_STORAGE_KEY) : storage.setItem(TOKEN_STORAGE_KEY, current)));
    },
    clear: () => {
      current = null;
      attempt(() => storage.removeItem(TOKEN_STORAGE_KEY));
    },
  };
}

function attempt<T>(action: () => T): T | undefined {
  try {
    return action();
  } catch {
    return undefined;
  }
}
