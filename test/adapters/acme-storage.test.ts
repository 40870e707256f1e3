import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AcmeStorage } from '../../src/adapters/acme/acme-storage';

describe('ACME storage', () => {
  const root = (): string => join(mkdtempSync(join(tmpdir(), 'prox-acme-store-')), 'store');
  const storageAt = (dir: string): AcmeStorage => new AcmeStorage(dir, 'https://ca.example/dir', ['a.example', 'b.example']);

  it('writes keys 0600 in 0700 directories, atomically (no temp files left), and reads them back', () => {
    const dir = root();
    const storage = storageAt(dir);
    storage.writeAccountKey(Buffer.from('ACCOUNT'));
    storage.writeCertificate({ cert: 'CHAIN', key: 'KEY' });
    storage.writeState({ failures: { count: 2, lastFailureMs: 1234, recentFailuresMs: [1000, 1234] }, lastError: 'boom' });
    expect(storage.readAccountKey()!.toString()).toBe('ACCOUNT');
    expect(storage.readCertificate()).toEqual({ cert: 'CHAIN', key: 'KEY' });
    expect(storage.readState()).toEqual({ failures: { count: 2, lastFailureMs: 1234, recentFailuresMs: [1000, 1234] }, lastError: 'boom' });
    expect(statSync(join(storage.certificateDir, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(storage.accountDir, 'account.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(storage.certificateDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(storage.certificateDir).sort()).toEqual(['cert.pem', 'key.pem', 'state.json']);
  });

  it('separates name sets and CAs; a corrupt state file reads as no failures', () => {
    const dir = root();
    expect(storageAt(dir).certificateDir).not.toBe(new AcmeStorage(dir, 'https://other.example/dir', ['a.example', 'b.example']).certificateDir);
    expect(storageAt(dir).certificateDir).toBe(new AcmeStorage(dir, 'https://ca.example/dir', ['a.example', 'b.example']).certificateDir);
    const storage = storageAt(dir);
    storage.writeState({ failures: { count: 1, lastFailureMs: 1 }, lastError: null });
    writeFileSync(join(storage.certificateDir, 'state.json'), '{not json');
    expect(storage.readState()).toEqual({ failures: { count: 0, lastFailureMs: 0, recentFailuresMs: [] }, lastError: null });
  });

  it('the order lock: one holder at a time; released on release; a dead holder\'s lock is taken over', () => {
    const storage = storageAt(root());
    const release = storage.tryLock();
    expect(release).not.toBeNull();
    // This process already holds it: a second take is refused only for another live pid, so
    // simulate one with the parent of this process (alive for the whole test).
    writeFileSync(join(storage.certificateDir, 'order.lock'), `${process.ppid}\n`);
    expect(storage.tryLock()).toBeNull();
    // A process that has exited: its lock is stale.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(storage.certificateDir, 'order.lock'), `${dead}\n`);
    const again = storage.tryLock();
    expect(again).not.toBeNull();
    again!();
    expect(readdirSync(storage.certificateDir)).not.toContain('order.lock');
    release!();
  });
});
