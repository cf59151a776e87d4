import type { RepliesCell, RepliesResults, Spread } from "./replies.ts";

export interface RepliesTarget {
  target: string;
  measured: string;
  pass: boolean;
}

const find = (r: RepliesResults, system: RepliesCell["system"], instances: number, n: number) =>
  r.cells.find((c) => c.system === system && c.instances === instances && c.replies === n);
const fmt = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
const times = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null || b === 0 ? "–" : `${(a / b).toFixed(2)}×`;

/** The issue's targets, each measured in this run. */
export function repliesTargets(r: RepliesResults): RepliesTarget[] {
  const t: RepliesTarget[] = [];
  const at100 = find(r, "wavelength", 1, 100);
  const peer100 = find(r, "peer", 1, 100);
  const at300 = find(r, "wavelength", 1, 300);
  const multi = r.cells.find((c) => c.system === "wavelength" && c.instances === 3);
  const ours = r.cells.filter((c) => c.system === "wavelength");
  if (at100) {
    t.push({
      target: "replies: completion lag p99 ≤ 1 s at 100 concurrent replies, one instance",
      measured: `${fmt(at100.lagS.p99)} s`,
      pass: at100.lagS.p99 <= 1,
    });
    t.push({
      target: "replies: first text p99 ≤ 1 s at 100, one instance",
      measured: `${fmt(at100.firstTextS.p99)} s`,
      pass: at100.firstTextS.p99 <= 1,
    });
    t.push({
      target: "replies: chat.send p99 ≤ 250 ms at 100, one instance",
      measured: `${fmt(at100.startMs.p99, 0)} ms`,
      pass: at100.startMs.p99 <= 250,
    });
    if (peer100)
      t.push({
        target: "replies: completion lag p99 at 100 at least as good as the peer's in the same run",
        measured: `${fmt(at100.lagS.p99)} s vs the peer's ${fmt(peer100.lagS.p99)} s`,
        pass: at100.lagS.p99 <= peer100.lagS.p99,
      });
  }
  if (at300)
    t.push({
      target: "replies: completion lag p99 ≤ 3 s at 300, one instance",
      measured: `${fmt(at300.lagS.p99)} s`,
      pass: at300.lagS.p99 <= 3,
    });
  const reply = r.settings.replyBytes;
  const worstBytes = Math.max(...ours.map((c) => c.bytesPerReply));
  t.push({
    target: "replies: bytes a client reads per reply ≤ 3× the reply",
    measured: `${worstBytes} B at worst for a ${reply} B reply (${times(worstBytes, reply)})`,
    pass: worstBytes <= 3 * reply,
  });
  const wal = ours.map((c) => c.walBytesPerReply ?? Number.POSITIVE_INFINITY);
  const worstWal = Math.max(...wal);
  t.push({
    target: "replies: WAL per reply ≤ 20 KB",
    measured: `${fmt(worstWal / 1024, 1)} KB at worst`,
    pass: worstWal <= 20 * 1024,
  });
  if (multi)
    t.push({
      target: `replies: ${multi.instances} instances serve ${multi.replies} with no gap or repeat in any client's text`,
      measured: `${multi.exact}/${multi.replies} exact, ${multi.cursorViolations} cursor violations, ${multi.failed} failed`,
      pass: multi.exact === multi.replies && multi.cursorViolations === 0 && multi.failed === 0,
    });
  t.push({
    target: "replies: every reply settled once, to the token (ledger = hourly records = tasks)",
    measured: ours.map((c) => `${c.instances}×N=${c.replies} ${c.accounting?.ok ? "ok" : "NOT OK"}`).join(", "),
    pass: ours.every((c) => c.accounting?.ok === true),
  });
  return t;
}

const s = (x: Spread, digits = 2) => `${fmt(x.p50, digits)} / ${fmt(x.p99, digits)}`;

export function repliesMarkdown(r: RepliesResults): { markdown: string; summary: string[] } {
  const o = r.settings;
  const lines: string[] = [];
  lines.push(
    `${r.description}. Reply: ${o.words} tokens, ${o.replyBytes} bytes; the provider's own streaming time ${o.nominalSeconds} s (lag is measured from it). Server defaults: replies flushed to \`reply_deltas\` every second, heartbeats every 2 s, a pool of ${o.serverPool} connections per instance. Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}, load average ${r.machine.loadAtStart} at the start and ${r.machine.loadAtEnd} at the end; the clients, the provider, PostgreSQL and the servers share its cores.`,
    "",
  );
  lines.push(
    "| system | instances | replies | lag p50 / p99 s | first text p50 / p99 s | send or headers p50 / p99 ms | bytes read per reply | WAL per reply | server CPU per reply | exact texts | accounting |",
  );
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
  for (const c of r.cells) {
    lines.push(
      `| ${c.system} | ${c.instances || "–"} | ${c.replies} | ${s(c.lagS)} | ${s(c.firstTextS)} | ${s(c.startMs, 0)} | ${c.bytesPerReply} (${times(c.bytesPerReply, o.replyBytes)}) | ${c.walBytesPerReply === null ? "–" : `${fmt(c.walBytesPerReply / 1024, 1)} KB`} | ${c.serverCpuUsPerReply === null ? "–" : `${fmt(c.serverCpuUsPerReply / 1000, 1)} ms`} | ${c.exact}/${c.replies}${c.failed ? ` (${c.failed} failed: ${c.firstError})` : ""}${c.cursorViolations ? ` (${c.cursorViolations} cursor violations)` : ""} | ${c.accounting ? (c.accounting.ok ? "ok" : `**NO** ${c.accounting.violations ?? `${c.accounting.settledExactly} settled exactly`}`) : "–"} |`,
    );
  }
  lines.push("", "**Against the peer, same run, same N** (Wavelength ÷ peer; below 1× is better):", "");
  lines.push("| replies | lag p99 | first text p99 | bytes read per reply | server CPU per reply |");
  lines.push("|---:|---:|---:|---:|---:|");
  const ratios: string[] = [];
  for (const n of o.counts) {
    const w = find(r, "wavelength", 1, n);
    const p = find(r, "peer", 1, n);
    if (!w || !p) continue;
    const row = [
      times(w.lagS.p99, p.lagS.p99),
      times(w.firstTextS.p99, p.firstTextS.p99),
      times(w.bytesPerReply, p.bytesPerReply),
      times(w.serverCpuUsPerReply, p.serverCpuUsPerReply),
    ];
    lines.push(`| ${n} | ${row.join(" | ")} |`);
    ratios.push(`N=${n}: lag p99 ${row[0]}, first text p99 ${row[1]}, bytes ${row[2]}, CPU ${row[3]}`);
  }
  lines.push(
    "",
    '- **lag**: when the client has the whole reply (Wavelength: the poll that says it is over; the peer and the provider: the end of the stream), minus the provider\'s own streaming time. The provider read directly ("direct") shows what the machine itself adds at that load.',
    "- **first text**: from the client's first request to the first text it holds. **send or headers**: `chat.send` answered (admission and the task's creation; the reply runs in the background), or the peer's and provider's response headers.",
    "- **bytes read per reply**: response bodies the client downloaded for its reply (the send and every poll; the peer's whole UI message stream; the provider's SSE), against the reply's own size.",
    "- **WAL per reply**: `pg_stat_wal.wal_bytes` over the cell, through settlement, ÷ replies. It is the whole PostgreSQL server's WAL: anything else writing to it at the time counts too.",
    "- **server CPU per reply**: user + system CPU of the Wavelength processes (or the peer's) from /proc over the cell, ÷ replies; the provider and the clients are other processes.",
    "- **accounting**: every task of the cell completed, its ledger row settled once with exactly the provider's reported usage (not an estimate), and the ledger, hourly records, tasks and quota counters agree (the reliability suite's invariants).",
    "",
  );
  const summary = repliesTargets(r).map((t) => `${t.pass ? "PASS" : "**MISS**"} ${t.target}: ${t.measured}`);
  summary.push(`replies vs the peer (Wavelength ÷ peer, one instance): ${ratios.join("; ")}`);
  lines.push("Targets:", "");
  for (const t of repliesTargets(r)) lines.push(`- ${t.pass ? "PASS" : "**MISS**"} ${t.target}: ${t.measured}`);
  lines.push("");
  return { markdown: lines.join("\n"), summary };
}
