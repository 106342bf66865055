// Run by `npm run bench` (node --expose-gc --import tsx): the resident memory of a process holding the
// core's code and the inventory recorded by the benchmark scaled up to 10 hosts × 500 containers × 50
// snapshots, as the Electron main process holds it (its own objects and strings, as parsed from JSON).
// Prints `{"before": bytes, "after": bytes}`: before is the code alone (tsx's loader included).
import { readFileSync } from 'node:fs';
import '../src/main/app/core';
import type { HostOverview } from '../src/shared/model';
import { scale } from './bench-inventory';

const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with node --expose-gc');
collect();
const before = process.memoryUsage().rss;
const recorded = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as HostOverview;
const inventory = JSON.parse(JSON.stringify(scale(recorded, 10, 500, 50))) as HostOverview[];
collect();
const after = process.memoryUsage().rss;
const snapshots = inventory.reduce((sum, host) => sum + host.containers.reduce((n, container) => n + container.snapshots.length, 0), 0);
process.stdout.write(`${JSON.stringify({ before, after, snapshots })}\n`);
