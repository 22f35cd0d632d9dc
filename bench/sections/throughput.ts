import { closedLoopSubmit, countsText, cpuSpan, waitNoneApproved } from '../lib/drive.js';
import { fmt, summarize } from '../lib/stats.js';
import type { Section } from '../lib/types.js';

const CLIENTS = 16;

/** 4. Sustained POST /requests (auto-approved) for 30 s with 16 closed-loop clients. */
export const throughput: Section = {
  id: 'throughput',
  title: 'sustained request rate',
  method:
    `Scale 1, bench catalog. ${CLIENTS} clients in a closed loop POST /requests (alice, prod-readonly PT1H, auto-approved) for 30 s and send nothing else. ` +
    'Then one GET /requests?status=APPROVED&limit=1 every 25 ms until no request is waiting for its grant, and the ACTIVE requests are counted.',
  defaultRun: true,
  async run(ctx) {
    const server = await ctx.startServer({ scale: 1, catalog: ctx.benchCatalog });
    const { api } = server;
    const body = { entitlement: 'prod-readonly', duration: 'PT1H', justification: 'bench: throughput' };
    const warm = ctx.quick ? 5 : 20;
    for (let i = 0; i < warm; i++) await api.submit('alice', body);
    await waitNoneApproved(api, 30_000);

    const seconds = ctx.quick ? 5 : 30;
    ctx.log(`throughput: ${CLIENTS} clients for ${seconds} s`);
    const cpu = cpuSpan(server);
    const load = await closedLoopSubmit(api, { who: 'alice', body, clients: CLIENTS, durationMs: seconds * 1000, maxRequests: 1_000_000 });
    const loadCpuMs = cpu();
    const backlog = await api.countStatus('APPROVED');
    ctx.log(`throughput: ${load.created.length} created, ${backlog} still waiting for their grant`);
    const drainedAt = await waitNoneApproved(api, 180_000);
    const totalCpuMs = cpu();
    const active = await api.countStatus('ACTIVE');
    const failed = await api.countStatus('GRANT_FAILED');
    const ok = load.created.length;
    const errors = [...load.statusCounts.entries()].filter(([k]) => k !== '201').reduce((a, [, v]) => a + v, 0);
    const rssKb = server.memory().rssKb;
    const notes: string[] = [];
    if (load.errors.length) notes.push(`throughput: first errors: ${load.errors.join(' | ')}`);
    if (active !== ok + warm) notes.push(`throughput: ${active} ACTIVE but ${ok + warm} created (incl. ${warm} warm-up); GRANT_FAILED ${failed}`);
    return {
      rows: [
        { kind: 'value', metric: `achieved POST /requests rate (201s), ${CLIENTS} clients`, value: `${fmt(ok / (load.elapsedMs / 1000))} req/s`, n: ok, note: `responses: ${countsText(load.statusCounts)}` },
        { kind: 'value', metric: 'errors (non-201 or network)', value: String(errors) },
        { kind: 'dist', metric: 'POST /requests → 201 under load', unit: 'ms', dist: summarize(load.postMs) },
        { kind: 'value', metric: 'grants still pending when the load stopped', value: String(backlog) },
        {
          kind: 'value',
          metric: 'last 201 → all ACTIVE',
          value: `${fmt((drainedAt - load.lastCreatedAtMs) / 1000)} s`,
          note: `ACTIVE ${active} of ${ok + warm} (incl. ${warm} warm-up), GRANT_FAILED ${failed}`,
        },
        { kind: 'value', metric: 'end-to-end rate: ACTIVE / (first POST → all ACTIVE)', value: `${fmt(ok / ((drainedAt - load.startedAtMs) / 1000))} req/s` },
        {
          kind: 'value',
          metric: 'server CPU per request (POST + workflow)',
          value: `${fmt(totalCpuMs / ok)} ms`,
          note: `during the load ${fmt((loadCpuMs / load.elapsedMs) * 100)}% of one core; RSS after ${fmt(rssKb / 1024)} MiB`,
        },
      ],
      notes,
    };
  },
};

