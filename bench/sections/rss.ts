import { closedLoopSubmit, countsText, waitNoneApproved } from '../lib/drive.js';
import { fmt } from '../lib/stats.js';
import { pool, sleep } from '../lib/time.js';
import type { Section } from '../lib/types.js';

const REQUESTS = 1000;
const READS = 5000;

/** 5. RSS of the real local server (child process) after 1000 requests reached ACTIVE. */
export const rss: Section = {
  id: 'rss',
  title: 'server memory',
  method:
    `The real server as a child process (node --import tsx local/main.ts, PORT=0, scale 1, example catalog, in-memory dynalite). ` +
    `16 closed-loop clients submit ${REQUESTS} auto-approved requests (alice, prod-readonly PT1H); once none is APPROVED any more, VmRSS/VmHWM are read from /proc/<pid>/status. ` +
    `Then ${READS} GET /requests/{id} of one request (8 at a time) and RSS again, then SIGINT.`,
  defaultRun: true,
  async run(ctx) {
    const n = ctx.quick ? 100 : REQUESTS;
    const server = await ctx.startServer({ scale: 1, mode: 'child' });
    const { api } = server;
    await sleep(500);
    const idle = server.memory();
    const body = { entitlement: 'prod-readonly', duration: 'PT1H', justification: 'bench: memory' };
    const load = await closedLoopSubmit(api, { who: 'alice', body, clients: 16, durationMs: 120_000, maxRequests: n });
    await waitNoneApproved(api, 120_000);
    const active = await api.countStatus('ACTIVE');
    await sleep(500);
    const after = server.memory();
    // Reads only: the same request, GET /requests/{id} over and over. Live data does not change.
    const reads = ctx.quick ? 1000 : READS;
    await pool(reads, 8, () => api.get('alice', load.created[0]!));
    await sleep(500);
    const afterReads = server.memory();
    const stop = await server.stop();
    const grew = after.rssKb - idle.rssKb;
    return {
      rows: [
        { kind: 'value', metric: 'server RSS idle after start-up', value: `${fmt(idle.rssKb / 1024)} MiB` },
        {
          kind: 'value',
          metric: `server RSS after ${active} requests ACTIVE`,
          value: `${fmt(after.rssKb / 1024)} MiB`,
          n: active,
          note: `peak (VmHWM) ${fmt(after.hwmKb / 1024)} MiB; +${fmt(grew / Math.max(1, active))} KiB per ACTIVE request; POSTs: ${countsText(load.statusCounts)}`,
        },
        {
          kind: 'value',
          metric: `server RSS after ${reads} more GET /requests/{id} (reads only)`,
          value: `${fmt(afterReads.rssKb / 1024)} MiB`,
          n: reads,
          note: `${afterReads.rssKb >= after.rssKb ? '+' : ''}${fmt(((afterReads.rssKb - after.rssKb) / reads) * 1000 / 1024)} MiB per 1000 reads; peak ${fmt(afterReads.hwmKb / 1024)} MiB`,
        },
        { kind: 'value', metric: 'SIGINT → exit', value: `${fmt(stop.ms)} ms`, note: `exit code ${stop.exitCode ?? `signal ${stop.signal}`}` },
      ],
      notes: stop.exitCode === 0 ? [] : [`rss: server did not exit cleanly on SIGINT (exit ${stop.exitCode}, signal ${stop.signal})`],
    };
  },
};
