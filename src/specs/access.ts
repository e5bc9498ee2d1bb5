/** The REST shapes of users, groups, role assignments, personal access tokens and the audit log. */
import { z } from 'zod';

/** Azure ML's built-in workspace roles (access/roles.ts says what each may do). */
export const ROLE_NAMES = ['Owner', 'Contributor', 'Reader', 'AzureML Data Scientist', 'AzureML Compute Operator'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

const role = z.enum(ROLE_NAMES);

export const CreateUser = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
  display_name: z.string().max(200).optional(),
  is_admin: z.boolean().optional(),
  roles: z.array(role).optional(),
});
export const UpdateUser = z.strictObject({ display_name: z.string().max(200).optional(), is_admin: z.boolean().optional() });
export const SetPassword = z.strictObject({ password: z.string().min(1).max(1024) });
export const CreateGroup = z.strictObject({ name: z.string().min(1).max(64), description: z.string().max(500).optional() });
export const GroupMember = z.strictObject({ username: z.string().min(1) });
export const RoleAssignment = z.strictObject({ principal_type: z.enum(['user', 'group']), principal: z.string().min(1), role });
export const CreateToken = z.strictObject({ name: z.string().min(1).max(100), lifetime_days: z.number().positive().max(366).optional() });

export const UserReply = z.looseObject({ id: z.number(), username: z.string(), is_admin: z.boolean(), roles: z.array(z.string()), groups: z.array(z.string()) });
export const GroupReply = z.looseObject({ name: z.string(), members: z.array(z.string()), roles: z.array(z.string()) });
export const RoleAssignmentReply = z.looseObject({ principal_type: z.string(), principal: z.string(), role: z.string() });
export const RoleReply = z.looseObject({ name: z.string(), description: z.string() });
export const TokenReply = z.looseObject({ id: z.string(), name: z.string(), username: z.string(), state: z.string(), created_at: z.string() });
export const NewTokenReply = TokenReply.extend({ token: z.string() });
export const AuditReply = z.looseObject({ time: z.string(), action: z.string(), method: z.string(), route: z.string(), status: z.number(), outcome: z.string() });
