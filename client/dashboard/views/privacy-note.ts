import type { PrivacyPolicy } from '../../lib/operations.js';
import { byTestId, setAttr, setText } from '../dom.js';

/** What the users table's addresses are, in each `IP_MODE`: the label shown above the table. */
export const IP_MODE_LABELS: Readonly<Record<PrivacyPolicy['ipMode'], string>> = {
  FULL: 'IP addresses: stored in full',
  TRUNCATE: 'IP addresses: truncated to /24 and /48',
  HASH: 'IP addresses: pseudonymised daily',
  DROP: 'IP addresses: not stored',
};

/** The label's tooltip: what the values in the IP column are, and how long history is kept. */
export function privacyDetail({ ipMode, historyMaxAgeMs }: PrivacyPolicy): string {
  const addresses: Record<PrivacyPolicy['ipMode'], string> = {
    FULL: 'The IP column shows each address as the application reported it.',
    TRUNCATE: 'The IP column shows networks only: the first three bytes of an IPv4 address, the first three groups of an IPv6 one.',
    HASH: 'The IP column shows pseudonyms: the same address has the same one for a UTC day, and a new one the next day.',
    DROP: 'Pulse keeps no addresses: the IP column stays empty.',
  };
  return `${addresses[ipMode]} Changes are kept ${formatDuration(historyMaxAgeMs)} for resuming.`;
}

/** `600000` → "10 min", `86400000` → "24 h", `5000` → "5 s". */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** The small label saying what Pulse keeps of an address. */
export interface PrivacyNoteView {
  /** Shows the policy, or hides the label (`null`: not known, e.g. signed out). */
  show(policy: PrivacyPolicy | null): void;
}

/** Binds `[data-testid="ip-mode"]` (with `data-mode` set to the mode shown). */
export function createPrivacyNoteView(root: ParentNode): PrivacyNoteView {
  const note = byTestId(root, 'ip-mode');
  return {
    show(policy) {
      note.hidden = policy === null;
      setText(note, policy === null ? '' : IP_MODE_LABELS[policy.ipMode]);
      setAttr(note, 'title', policy === null ? null : privacyDetail(policy));
      setAttr(note, 'data-mode', policy?.ipMode ?? null);
    },
  };
}
