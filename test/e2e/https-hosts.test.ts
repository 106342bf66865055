import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shot, staysAcrossRefreshes, useWebWorld } from '../helpers/browser';
import { CLUSTER_SOCKET, CLUSTER_URL, clusterIncus, HTTPS_URL, requireHttps, serverFingerprint, trustToken, untrust } from '../helpers/https';
import { TEST_IMAGE, testName } from '../helpers/incus';

const world = useWebWorld('uitls');

const onCluster: string[] = [];

beforeAll(async () => {
  await requireHttps();
});
afterAll(async () => {
  if (world.started) {
    await untrust(world.home.configDir);
    await untrust(world.home.configDir, CLUSTER_SOCKET);
  }
  await Promise.all(onCluster.map((name) => clusterIncus('delete', '-f', name).catch(() => undefined)));
});

const { open } = world;

/** Fills the Incus (HTTPS) form of the Add host dialog. */
async function addIncusHost(page: Page, name: string, url: string, token: string, project?: string) {
  await page.getByRole('button', { name: 'Add host' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add host' });
  await dialog.getByRole('tab', { name: 'Incus (HTTPS)' }).click();
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByLabel('Address').fill(url);
  await dialog.getByLabel(/Trust token/).fill(token);
  if (project) await dialog.getByLabel(/Project/).fill(project);
  return dialog;
}

describe('Incus servers over HTTPS in the UI', () => {
  it('adds a server with a trust token, showing the certificate fingerprint to compare first', async () => {
    const container = await world.own.launch(testName('uitls'), { stopped: true });
    const page = await open('#/');
    const dialog = await addIncusHost(page, 'tls', HTTPS_URL, await trustToken('ui'), world.own.project);
    const fingerprint = await serverFingerprint();
    await expect(dialog.getByRole('note', { name: 'Server certificate' }).textContent()).resolves.toContain(fingerprint);
    await shot(page, 'add-host-https');
    await dialog.getByRole('button', { name: 'Join and add' }).click();

    await page.getByRole('heading', { name: 'tls' }).waitFor();
    await page.getByRole('main').getByText(/^Online · \d+ ms$/).waitFor({ timeout: 10_000 });
    await page.getByRole('main').getByText(`${HTTPS_URL} (HTTPS)`).waitFor();
    await page.getByRole('table', { name: 'Containers on tls' }).getByRole('button', { name: container, exact: true }).waitFor({ timeout: 10_000 });
    expect(world.core.registry.get('tls')).toMatchObject({ kind: 'incus', serverCertFingerprint: fingerprint });
    await page.close();
  });

  it('a server whose certificate changed: its warning and "Forget the old certificate…" stay in place while the pages read every host again', async () => {
    await world.core.registry.add({ kind: 'incus', name: 'swapped', url: HTTPS_URL, serverCertFingerprint: 'ab'.repeat(32) });
    try {
      const page = await open('#/host/swapped');
      await page.getByRole('heading', { name: 'swapped' }).waitFor();
      // The user's own test ends before the button is watched: while it runs the host is "connecting" and its
      // alert goes (the page's first read may already have shown it).
      const tested = page.waitForResponse((response) => response.url().endsWith('/api/call/hosts.test'));
      await page.getByRole('button', { name: 'Test connection' }).click();
      await tested;
      const alert = page.getByRole('main').getByRole('alert');
      await alert.getByText(/CHANGED/).waitFor({ timeout: 10_000 });
      expect(await staysAcrossRefreshes(page, world.core, alert.getByRole('button', { name: 'Forget the old certificate…' }))).toBe(true);
      await page.close();
    } finally {
      await world.core.registry.remove('swapped');
    }
  });

  it('shows a cluster: its members, and where each container is', async () => {
    const container = testName('uicl');
    onCluster.push(container);
    await clusterIncus('init', TEST_IMAGE, container, '-q');
    const page = await open('#/');
    const dialog = await addIncusHost(page, 'cluster', CLUSTER_URL, await trustToken('uicl', CLUSTER_SOCKET));
    await dialog.getByRole('button', { name: 'Join and add' }).click();
    await page.getByRole('heading', { name: 'cluster', exact: true }).waitFor();
    const members = page.getByRole('list', { name: 'Cluster members of cluster' });
    await members.getByText('member1').waitFor({ timeout: 10_000 });
    await expect(members.textContent()).resolves.toMatch(/member1\s*Online\s*database-leader, database\s*Fully operational/);
    const row = page.getByRole('row').filter({ has: page.getByRole('button', { name: container, exact: true }) });
    await expect(row.getByRole('cell').nth(2).textContent()).resolves.toBe('member1');
    await shot(page, 'host-page-cluster');
    await page.getByRole('button', { name: 'Overview', exact: true }).click();
    await expect(page.getByLabel('Cluster members of cluster').textContent()).resolves.toMatch(/Cluster · 1 member online/);
    await shot(page, 'overview-cluster');
    await page.getByRole('table', { name: 'Containers' }).getByText('cluster · member1').waitFor();
    await page.close();
  });
});
