import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FtpscopeError, SessionStory } from '@ftpscope/shared';
import { Type as T } from '@sinclair/typebox';
import { rulesFor } from '../../investigate/load-history.ts';
import { sessionStory } from '../../investigate/session-story.ts';
import { errors, secured } from './schemas.ts';

/** GET /api/sessions/:id/story: the dialogue, each data channel with its rule named, the ruleset in force. */
const story: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/sessions/:id/story',
    {
      schema: {
        tags: ['sessions'],
        security: secured,
        description:
          'What the Session view tells beyond the session: the FTP dialogue from the server log (PASS and ACCT ' +
          'arguments masked on the host and again by the hub), each data channel with the rule that dropped it in ' +
          'words and the command that used it, the last ruleset change before the session (the ruleset in force) ' +
          'and the changes made while it was open.',
        params: T.Object({ id: T.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: SessionStory, ...errors },
      },
    },
    async (req) => {
      const s = await app.store.sessions.get(req.params.id);
      if (!s) throw new FtpscopeError('FTPSCOPE_ERR_NOT_FOUND', `session ${req.params.id}`);
      const started = s.startedAt;
      const ended = s.endedAt ?? app.now();
      const ruleIds = [...new Set(s.attempts.map((a) => a.ruleId).filter((r) => r !== null))];
      const q = app.store.investigate;
      return sessionStory({
        host: s.host,
        attempts: s.attempts,
        dialogue: await app.store.sessions.dialogue(s.host, s.id),
        rules: await rulesFor(q, s.host, ruleIds),
        before: await q.lastChangeBefore(s.host, started),
        during: await app.store.rules.changes(s.host, started + 1, ended),
      });
    },
  );
};
export default story;
