import { z } from 'zod';

// The saved form of a simulated account (local mode's data dir): read back with zod because the
// file may be old, edited by hand, or from another version.

const Tags = z.array(z.object({ Key: z.string(), Value: z.string() })).default([]);

const Identity = {
  name: z.string(),
  id: z.string(),
  path: z.string(),
  createDate: z.iso.datetime(),
  attachedPolicies: z.array(z.string()).default([]),
  inlinePolicies: z.record(z.string(), z.string()).default({}),
};

export const SavedIamAccount = z.object({
  format: z.literal('grantline-simulated-iam/1'),
  accountId: z.string().regex(/^\d{12}$/),
  sequence: z.number().int().nonnegative(),
  policies: z
    .array(
      z.object({
        name: z.string(),
        id: z.string(),
        path: z.string(),
        description: z.string().optional(),
        awsManaged: z.boolean(),
        createDate: z.iso.datetime(),
        updateDate: z.iso.datetime(),
        nextVersion: z.number().int().positive(),
        versions: z
          .array(
            z.object({
              versionId: z.string(),
              document: z.string(),
              isDefault: z.boolean(),
              createDate: z.iso.datetime(),
            }),
          )
          .min(1),
      }),
    )
    .default([]),
  groups: z.array(z.object(Identity)).default([]),
  users: z.array(z.object({ ...Identity, tags: Tags, groups: z.array(z.string()).default([]) })).default([]),
  roles: z
    .array(
      z.object({
        ...Identity,
        tags: Tags,
        trustPolicy: z.string(),
        description: z.string().optional(),
        maxSessionDuration: z.number().int(),
      }),
    )
    .default([]),
});

export type SavedIamAccount = z.infer<typeof SavedIamAccount>;
