// The channel settings schema as JSON Schema (from the one zod schema), for forms generated from it:
// the web UI's channel form (docs/web-ui.md). Types, defaults, ranges and descriptions per key.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { channelSettingsSchema } from '../channels/channel-settings.js';
import type { HttpContext } from './http-context.js';
import { errors } from './schemas.js';

export function registerSchemaRoutes(app: FastifyInstance, _ctx: HttpContext): void {
  // Built once: the schema is fixed for the life of the process.
  const channelSettings = z.toJSONSchema(channelSettingsSchema, { io: 'input', unrepresentable: 'any' });
  app.get(
    '/api/schema/channel-settings',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['admin'],
        summary: 'The channel settings as JSON Schema (type, default, range, description per key)',
        response: { ...errors(401, 403) },
      },
    },
    async () => channelSettings,
  );
}
