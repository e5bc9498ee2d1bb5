/**
 * MLflow's auth REST API — users and per-experiment / per-registered-model permissions — at
 * MLflow's paths and in its shapes, so `mlflow.server.get_app_client("basic-auth")` works against
 * Stratus unchanged (the workspace's roles decide who may call each: route-actions.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Workspace } from '../../workspace.ts';
import type { Principal } from '../../access/authenticator.ts';
import { allows, checkPermission, checkResourceType, type ResourceType } from '../../access/mlflow-permissions.ts';
import { notFound, StratusError } from '../../util/errors.ts';
import { requestArgs, requiredText as str } from './request.ts';

/** The routes below, for docs/rest-api.md. */
export const MLFLOW_AUTH_ROUTES: [string, string, string][] = [
  ['POST', '/api/2.0/mlflow/users/create', 'MLflow: create a user `{username, password}` (role AzureML Data Scientist) → `{user}`'],
  ['GET', '/api/2.0/mlflow/users/get?username=', 'MLflow: `{user: {id, username, is_admin, experiment_permissions, registered_model_permissions}}`'],
  ['GET', '/api/2.0/mlflow/users/current', 'MLflow: the caller as `{user}`'],
  ['GET', '/api/2.0/mlflow/users/list', 'MLflow: `{users}`'],
  ['PATCH', '/api/2.0/mlflow/users/update-password', 'MLflow: `{username, password, current_password}` (your own with your current one; admins anyone\'s)'],
  ['PATCH', '/api/2.0/mlflow/users/update-admin', 'MLflow: `{username, is_admin}`'],
  ['DELETE', '/api/2.0/mlflow/users/delete', 'MLflow: `{username}`'],
  ['POST', '/api/2.0/mlflow/experiments/permissions/create', 'MLflow: `{experiment_id, username, permission}` → `{experiment_permission}`'],
  ['GET', '/api/2.0/mlflow/experiments/permissions/get?experiment_id=&username=', 'MLflow: `{experiment_permission: {experiment_id, user_id, permission}}`'],
  ['PATCH', '/api/2.0/mlflow/experiments/permissions/update', 'MLflow: `{experiment_id, username, permission}`'],
  ['DELETE', '/api/2.0/mlflow/experiments/permissions/delete', 'MLflow: `{experiment_id, username}`'],
  ['POST', '/api/2.0/mlflow/registered-models/permissions/create', 'MLflow: `{name, username, permission}` → `{registered_model_permission}`'],
  ['GET', '/api/2.0/mlflow/registered-models/permissions/get?name=&username=', 'MLflow: `{registered_model_permission: {name, user_id, permission}}`'],
  ['PATCH', '/api/2.0/mlflow/registered-models/permissions/update', 'MLflow: `{name, username, permission}`'],
  ['DELETE', '/api/2.0/mlflow/registered-models/permissions/delete', 'MLflow: `{name, username}`'],
  ['POST', '/api/3.0/mlflow/users/permissions/grant', 'MLflow 3: `{username, resource_type: experiment|registered_model, resource_id, permission}`'],
  ['POST', '/api/3.0/mlflow/users/permissions/revoke', 'MLflow 3: `{username, resource_type, resource_id}`'],
  ['GET', '/api/3.0/mlflow/users/permissions/get?username=&resource_type=&resource_id=', 'MLflow 3: `{allowed, permission}` (the permission in force)'],
];

/** MLflow's role for users its API creates: they can use the workspace as data scientists do. */
const MLFLOW_USER_ROLE = 'AzureML Data Scientist';

export function mlflowAuthRoutes(app: FastifyInstance, ws: Workspace): void {
  const { accounts, permissions } = ws.access;
  const mlflowUser = async (username: string) => {
    const u = await accounts.show(username);
    const mine = await permissions.ofUser(username);
    return {
      id: u.id, username: u.username, is_admin: u.is_admin,
      experiment_permissions: mine.experiments.map((e) => ({ experiment_id: String(e.experiment_id), user_id: u.id, permission: e.permission })),
      registered_model_permissions: mine.models.map((m) => ({ name: m.name, user_id: u.id, permission: m.permission })),
    };
  };
  const permissionJson = async (type: ResourceType, id: string, username: string) => {
    const p = await permissions.explicit(type, id, username);
    if (!p) throw notFound(`No ${type === 'experiment' ? 'experiment' : 'registered model'} permission for '${username}' on '${id}'.`);
    const userId = (await accounts.show(username)).id;
    return type === 'experiment'
      ? { experiment_permission: { experiment_id: id, user_id: userId, permission: p } }
      : { registered_model_permission: { name: id, user_id: userId, permission: p } };
  };
  const resourceId = (type: ResourceType, args: Record<string, unknown>) => str(args, type === 'experiment' ? 'experiment_id' : 'name');

  for (const v2 of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
    const v3 = v2.replace('2.0', '3.0');
    app.post(`${v2}/users/create`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      await accounts.create({ username: str(a, 'username'), password: str(a, 'password'), roles: [MLFLOW_USER_ROLE] }, req.principal?.name);
      return { user: await mlflowUser(str(a, 'username')) };
    });
    app.get(`${v2}/users/get`, async (req) => ({ user: await mlflowUser(str(requestArgs(req) as Record<string, unknown>, 'username')) }));
    app.get(`${v2}/users/current`, async (req) => ({ user: await mlflowUser(ownAccount(req.principal!)) }));
    app.get(`${v2}/users/list`, async () => ({ users: await Promise.all((await accounts.list()).map((u) => mlflowUser(u.username))) }));
    app.patch(`${v2}/users/update-password`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      const username = str(a, 'username');
      const p = req.principal!;
      // Anyone may change their own password, knowing the current one; only admins change others'.
      if (!p.admin) {
        if (username !== p.name) throw new StratusError('PERMISSION_DENIED', `Permission denied: only an admin may change the password of '${username}'.`);
        if (!(await accounts.checkPassword(username, String(a.current_password ?? '')))) throw new StratusError('PERMISSION_DENIED', 'Changing your own password needs your current one (current_password), and it did not match.');
      }
      await accounts.setPassword(username, str(a, 'password'));
      return {};
    });
    app.patch(`${v2}/users/update-admin`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      await accounts.update(str(a, 'username'), { is_admin: a.is_admin === true || a.is_admin === 'true' });
      return {};
    });
    app.delete(`${v2}/users/delete`, async (req) => {
      await accounts.delete(str(requestArgs(req) as Record<string, unknown>, 'username'));
      return {};
    });
    for (const [segment, type] of [['experiments', 'experiment'], ['registered-models', 'registered_model']] as const) {
      app.post(`${v2}/${segment}/permissions/create`, async (req) => {
        const a = requestArgs(req) as Record<string, unknown>;
        const id = resourceId(type, a);
        const username = str(a, 'username');
        await accounts.show(username);
        if (await permissions.explicit(type, id, username)) throw new StratusError('RESOURCE_ALREADY_EXISTS', `'${username}' already has a permission on '${id}': update it instead.`);
        await permissions.set(type, id, username, str(a, 'permission'));
        return permissionJson(type, id, username);
      });
      app.get(`${v2}/${segment}/permissions/get`, async (req) => {
        const a = requestArgs(req) as Record<string, unknown>;
        return permissionJson(type, resourceId(type, a), str(a, 'username'));
      });
      app.patch(`${v2}/${segment}/permissions/update`, async (req) => {
        const a = requestArgs(req) as Record<string, unknown>;
        const id = resourceId(type, a);
        await permissionJson(type, id, str(a, 'username'));
        await permissions.set(type, id, str(a, 'username'), str(a, 'permission'));
        return {};
      });
      app.delete(`${v2}/${segment}/permissions/delete`, async (req) => {
        const a = requestArgs(req) as Record<string, unknown>;
        if (!(await permissions.remove(type, resourceId(type, a), str(a, 'username')))) throw notFound(`No permission for '${str(a, 'username')}' on '${resourceId(type, a)}'.`);
        return {};
      });
    }
    // MLflow 3's unified per-user grants.
    app.post(`${v3}/users/permissions/grant`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      await accounts.show(str(a, 'username'));
      await permissions.set(checkResourceType(str(a, 'resource_type')), str(a, 'resource_id'), str(a, 'username'), checkPermission(str(a, 'permission')));
      return {};
    });
    app.post(`${v3}/users/permissions/revoke`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      await accounts.show(str(a, 'username'));
      await permissions.remove(checkResourceType(str(a, 'resource_type')), str(a, 'resource_id'), str(a, 'username'));
      return {};
    });
    app.get(`${v3}/users/permissions/get`, async (req) => {
      const a = requestArgs(req) as Record<string, unknown>;
      const username = str(a, 'username');
      const { admin } = await accounts.effectiveRoles(username);
      await accounts.show(username);
      const p = admin ? 'MANAGE' : await permissions.effective(checkResourceType(str(a, 'resource_type')), str(a, 'resource_id'), username);
      // MLflow's `allowed` is its can_use: USE and above.
      return { allowed: p === 'USE' || allows(p, 'update'), permission: p };
    });
  }
}

function ownAccount(p: Principal): string {
  if (p.via === 'open' || p.via === 'workspace-token' || p.via === 'jobs') throw notFound(`'${p.name}' is not a user account (it is the ${p.via === 'open' ? 'open server\'s local user' : 'workspace\'s shared credential'}).`);
  return p.name;
}
