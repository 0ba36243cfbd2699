import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { notificationSettings } from './notification-rule.ts';

test('notification settings come from the environment, parsed once', () => {
  assert.deepEqual(notificationSettings({}), {});
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ca-'));
  writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
  assert.deepEqual(notificationSettings({ VIGIL_CONSOLE_URL: 'https://console.example/signals', VIGIL_NOTIFY_CA_FILE: join(dir, 'ca.pem'), VIGIL_NOTIFY_TIMEOUT_MS: '5000' }), {
    consoleUrl: 'https://console.example/signals', ca: '-----BEGIN CERTIFICATE-----\n', sendTimeoutMs: 5000,
  });
  assert.throws(() => notificationSettings({ VIGIL_NOTIFY_TIMEOUT_MS: 'soon' }));
  assert.throws(() => notificationSettings({ VIGIL_CONSOLE_URL: 'not a url' }));
});
