/**
 * Workspace roles with Azure ML's names and meanings, and the actions they allow. An action is
 * `<area>/<verb>`: what a request does to which part of the workspace (server/route-actions.ts
 * maps every route to one).
 */
import { ROLE_NAMES, type RoleName } from '../specs/access.ts';

export const AREAS = [
  'workspace', 'experiments', 'models', 'artifacts', 'jobs', 'assets', 'endpoints', 'computes', 'sql', 'files', 'notebooks', 'spark', 'access', 'self',
] as const;
export type Area = (typeof AREAS)[number];
/** read; write (create, change, delete); operate (start/stop a compute); execute (run code or queries); keys (read an endpoint's secrets). */
export type Verb = 'read' | 'write' | 'operate' | 'execute' | 'keys';
export interface Action { area: Area; verb: Verb }

export const actionName = (a: Action) => `${a.area}/${a.verb}`;

export { ROLE_NAMES, type RoleName };

/** What each role may do (Azure ML's built-in roles, as their documentation describes them). */
const ALLOWS: Record<RoleName, (a: Action) => boolean> = {
  // Everything, including who may do what.
  Owner: () => true,
  // Everything but managing access.
  Contributor: (a) => a.area !== 'access',
  // Reads everything but access and secrets; runs nothing.
  Reader: (a) => a.area === 'self' || (a.verb === 'read' && a.area !== 'access'),
  // Everything in the workspace except creating, changing or deleting computes, and managing access.
  'AzureML Data Scientist': (a) => a.area !== 'access' && !(a.area === 'computes' && a.verb === 'write'),
  // Computes only: create, change, start, stop and delete them.
  'AzureML Compute Operator': (a) => a.area === 'self' || a.area === 'computes' || (a.area === 'workspace' && a.verb === 'read'),
};

export const ROLE_DESCRIPTIONS: Record<RoleName, string> = {
  Owner: 'Full access, including managing users, groups, roles and the audit log.',
  Contributor: 'Full access except managing access.',
  Reader: 'Read-only: sees everything except access settings and secrets; runs nothing.',
  'AzureML Data Scientist': 'Everything in the workspace except creating or deleting computes and managing access.',
  'AzureML Compute Operator': 'Creates, manages and deletes computes.',
};

export function isRoleName(s: string): s is RoleName {
  return (ROLE_NAMES as readonly string[]).includes(s);
}

export function rolesAllow(roles: readonly RoleName[], action: Action): boolean {
  return roles.some((r) => ALLOWS[r](action));
}

/** The roles that would allow an action (for a denial's message). */
export const rolesAllowing = (action: Action) => ROLE_NAMES.filter((r) => ALLOWS[r](action));
