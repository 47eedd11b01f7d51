import type { PrivacyPolicy } from '../lib/operations.js';
import type { PrivacyNoteView } from './views/privacy-note.js';

/** Options of {@link createPrivacyPolicyReader}. */
export interface PrivacyPolicyReaderOptions {
  /** Asks Pulse (`Query.privacy`); resolves with the policy, or with what went wrong. */
  readonly read: () => Promise<PrivacyPolicy | { readonly problem: string }>;
  readonly view: PrivacyNoteView;
  /** Told when the policy could not be read; the label stays hidden. */
  readonly onProblem: (problem: string) => void;
}

/** Reads the privacy policy for the label, once per token. */
export interface PrivacyPolicyReader {
  /** Asks for the policy unless it is known or being asked for already. */
  ensure(): void;
  /** Hides the label and forgets the policy (a new token, or none); an answer still on its way is dropped. */
  forget(): void;
}

/**
 * The policy does not change while Pulse runs, so it is read once per
 * token, not per (re)connection. A failed read is tried again at the next
 * {@link PrivacyPolicyReader.ensure}.
 */
export function createPrivacyPolicyReader({ read, view, onProblem }: PrivacyPolicyReaderOptions): PrivacyPolicyReader {
  /** The read whose answer may still be shown; a new object per read, so a stale answer is recognised. */
  let current: object | null = null;
  let known = false;
  return {
    ensure() {
      if (known || current !== null) return;
      const round = {};
      current = round;
      const answered = read().catch((error: unknown) => ({ problem: error instanceof Error ? error.message : String(error) }));
      void answered.then((answer) => {
        if (current !== round) return;
        current = null;
        if ('problem' in answer) {
          onProblem(`privacy policy not read: ${answer.problem}`);
          return;
        }
        known = true;
        view.show(answer);
      });
    },
    forget() {
      current = null;
      known = false;
      view.show(null);
    },
  };
}
