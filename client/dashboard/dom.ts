/** Tiny DOM helpers: the dashboard needs keyed, in-place updates, not a framework. */

/**
 * The element a `data-testid` names inside `root`. The DOM contract that the
 * browser tests read is the same one the views bind to.
 * @throws Error when index.html lacks it (a build mistake, not a runtime state)
 */
export function byTestId<T extends Element = HTMLElement>(root: ParentNode, testId: string): T {
  const found = root.querySelector<T & Element>(`[data-testid="${testId}"]`);
  if (!found) throw new Error(`dashboard markup lacks [data-testid="${testId}"]`);
  return found;
}

/** Sets text only when it differs, so an unchanged cell costs no layout or paint. */
export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** Sets or removes an attribute, touching the DOM only on change. */
export function setAttr(node: Element, name: string, value: string | null): void {
  if (value === null) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== value) {
    node.setAttribute(name, value);
  }
}

/** Creates an HTML element with a class and optional text. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** Creates an SVG element (SVG needs its namespace; `createElement` would make inert HTML). */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string> = {}): SVGElementTagNameMap[K] {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

/**
 * Puts `children` into `parent` in this order, moving only the nodes that
 * are out of place: a node keeps its identity (and its focus, selection and
 * running animation) when the order changes. Children not listed are left
 * after them; the caller removes the ones it dropped.
 */
export function placeInOrder(parent: Element, children: readonly Element[]): void {
  let cursor = parent.firstElementChild;
  for (const child of children) {
    if (child === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(child, cursor);
  }
}

/** A short highlight on a node whose data just changed; no-op where Web Animations are missing. */
export function flash(node: Element): void {
  if (typeof node.animate !== 'function') return;
  node.animate([{ backgroundColor: 'var(--flash)' }, { backgroundColor: 'transparent' }], { duration: 900, easing: 'ease-out' });
}
