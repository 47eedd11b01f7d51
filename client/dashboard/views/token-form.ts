import { byTestId } from '../dom.js';

/** The token form, shown when there is no usable token. */
export interface TokenFormView {
  /** Shows or hides the form; showing it focuses the input. */
  show(visible: boolean): void;
}

/**
 * Binds `[data-testid="token-form"]` and its input; a submitted, non-empty
 * token goes to `onToken` and the input is cleared, so the token does not
 * linger in the page.
 */
export function createTokenFormView(root: ParentNode, onToken: (token: string) => void): TokenFormView {
  const form = byTestId<HTMLFormElement>(root, 'token-form');
  const input = byTestId<HTMLInputElement>(form, 'token-input');
  const section = byTestId(root, 'token-panel');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token === '') {
      input.focus();
      return;
    }
    input.value = '';
    onToken(token);
  });
  return {
    show(visible) {
      section.hidden = !visible;
      if (visible) input.focus();
    },
  };
}
