/** A hash router: #/jobs/abc → ['jobs', 'abc'] (works behind any path and on reload). */
import { useEffect, useState, type ReactNode } from 'react';

function parse(): { parts: string[]; query: URLSearchParams } {
  const [p, q] = window.location.hash.replace(/^#\/?/, '').split('?');
  return { parts: p ? p.split('/').map(decodeURIComponent) : [], query: new URLSearchParams(q ?? '') };
}

export function useRoute() {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;

export function go(...parts: string[]): void {
  window.location.hash = href(...parts);
}

export function Link({ to, children, testId }: { to: string[]; children: ReactNode; testId?: string }) {
  return <a href={href(...to)} data-testid={testId}>{children}</a>;
}
