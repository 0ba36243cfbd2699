// The file-integrity rules of the default ruleset against the real kernel. Writes to system
// paths happen in a private mount namespace over an overlay whose upper layer is a tmpfs
// (privateFs): the kernel sees /etc/passwd being written, the real file never changes.
// Reads of real credential files open them read-only and discard the bytes.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { SeclEvent } from '@vigil/operator/secl';
import { opsBinary, privateFs, ruleTest, run, sh, skipReason, useRuleSuite } from './harness.ts';

const skip = skipReason();
const O_WRONLY = 0o1;
const O_TRUNC = 0o1000;
const S_ISUID = 0o4000;

/** The file an event is about (open.file, chmod.file, ...; rename: the destination). */
function fileOf(ev: SeclEvent): { path: string } | undefined {
  if (ev.type === 'rename') return ev.rename?.file.destination;
  return (ev as unknown as Record<string, { file?: { path: string } } | undefined>)[ev.type]?.file;
}

/** Asserts the event's file; a function path is read when the check runs (after before()). */
const onFile = (path: string | (() => string)) => (ev: SeclEvent): void =>
  assert.equal(fileOf(ev)?.path, typeof path === 'function' ? path() : path);

describe('file-integrity rules', { skip: skip ?? false }, () => {
  const t = useRuleSuite();
  const inEtc = (script: string) => privateFs(t.scratch, script, { overlay: ['/etc'] });

  ruleTest(t, {
    rule: 'vigil_passwd_file_modified',
    trigger: () => inEtc(`echo 'vigil-test:x:4242:4242::/nonexistent:/usr/sbin/nologin' >> /etc/passwd`),
    nearMiss: () => sh('cat /etc/passwd > /dev/null'),
    check: (ev) => {
      onFile('/etc/passwd')(ev);
      assert.ok(((ev.open?.flags ?? 0) & O_WRONLY) !== 0);
    },
  }, 'fires on a line appended to /etc/passwd (private overlay), quiet on a read');
  ruleTest(t, {
    rule: 'vigil_shadow_file_modified',
    trigger: () => inEtc(`echo 'vigil-test:!:19000::::::' >> /etc/shadow`),
    nearMiss: () => inEtc(`cp /usr/bin/dash "$T/passwd" && "$T/passwd" -c "echo 'vigil-test:!:19000::::::' >> /etc/shadow"`),
    check: onFile('/etc/shadow'),
  }, 'fires on a write to /etc/shadow, quiet when passwd writes it');
  ruleTest(t, {
    rule: 'vigil_shadow_file_access',
    trigger: () => sh('cat /etc/shadow > /dev/null'),
    nearMiss: () => sh('cat /etc/passwd > /dev/null'),
    check: onFile('/etc/shadow'),
  }, 'fires on cat /etc/shadow (read-only), quiet on cat /etc/passwd');
  ruleTest(t, {
    rule: 'vigil_sudoers_modified',
    trigger: () => inEtc(`mkdir -p /etc/sudoers.d && echo 'vigil ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/vigil`),
    nearMiss: () => inEtc('mkdir -p /etc/sudoers.d && ls /etc/sudoers.d > /dev/null'),
    check: onFile('/etc/sudoers.d/vigil'),
  });
  ruleTest(t, {
    rule: 'vigil_pam_config_modified',
    trigger: () => inEtc(`echo 'auth sufficient pam_permit.so' >> /etc/pam.d/common-auth`),
    nearMiss: () => sh('cat /etc/pam.d/common-auth > /dev/null'),
    check: onFile('/etc/pam.d/common-auth'),
  });
  ruleTest(t, {
    rule: 'vigil_pam_module_written',
    trigger: () => privateFs(t.scratch, 'cp /usr/bin/true /usr/lib/x86_64-linux-gnu/security/pam_vigil.so', { overlay: ['/usr/lib/x86_64-linux-gnu/security'] }),
    nearMiss: () => sh('cat /usr/lib/x86_64-linux-gnu/security/pam_unix.so > /dev/null'),
    check: onFile('/usr/lib/x86_64-linux-gnu/security/pam_vigil.so'),
  });
  ruleTest(t, {
    rule: 'vigil_ld_so_preload_modified',
    trigger: () => inEtc(': > /etc/ld.so.preload && rm /etc/ld.so.preload'),
    nearMiss: () => sh('cat /etc/ld.so.preload 2>/dev/null || true'),
    check: onFile('/etc/ld.so.preload'),
  });
  ruleTest(t, {
    rule: 'vigil_dynamic_linker_config_modified',
    trigger: () => inEtc('echo /tmp/vigil-lib > /etc/ld.so.conf.d/vigil.conf'),
    nearMiss: () => sh('cat /etc/ld.so.conf > /dev/null'),
    check: onFile('/etc/ld.so.conf.d/vigil.conf'),
  });
  ruleTest(t, {
    rule: 'vigil_ssh_authorized_keys_modified',
    trigger: () => sh(`mkdir -p ${t.scratch.path('home', '.ssh')} && echo 'ssh-ed25519 AAAAC3 vigil' >> ${t.scratch.path('home', '.ssh', 'authorized_keys')}`),
    nearMiss: () => sh(`mkdir -p ${t.scratch.path('home', '.ssh')} && echo 'host ssh-ed25519 AAAAC3' >> ${t.scratch.path('home', '.ssh', 'known_hosts')}`),
    check: onFile(() => t.scratch.path('home', '.ssh', 'authorized_keys')),
  });
  ruleTest(t, {
    rule: 'vigil_sshd_config_modified',
    trigger: () => inEtc(`mkdir -p /etc/ssh && echo 'PermitRootLogin yes' >> /etc/ssh/sshd_config`),
    nearMiss: () => inEtc(`mkdir -p /etc/ssh && echo 'Host *' >> /etc/ssh/ssh_config`),
    check: onFile('/etc/ssh/sshd_config'),
  }, 'fires on sshd_config, quiet on the client ssh_config');
  ruleTest(t, {
    rule: 'vigil_systemd_unit_modified',
    trigger: () => inEtc(`printf '[Service]\\nExecStart=/tmp/x\\n' > /etc/systemd/system/vigil-test.service`),
    nearMiss: () => inEtc(`echo '# vigil' >> /etc/systemd/journald.conf`),
    check: onFile('/etc/systemd/system/vigil-test.service'),
  });
  ruleTest(t, {
    rule: 'vigil_cron_file_modified',
    trigger: () => inEtc(`echo '* * * * * root /tmp/x' > /etc/cron.d/vigil`),
    nearMiss: () => sh('cat /etc/cron.d/* > /dev/null'),
    check: onFile('/etc/cron.d/vigil'),
  });
  ruleTest(t, {
    rule: 'vigil_kernel_module_config_modified',
    trigger: () => inEtc(`mkdir -p /etc/modprobe.d && echo 'install usb-storage /tmp/x' > /etc/modprobe.d/vigil.conf`),
    nearMiss: () => sh('cat /etc/modules 2>/dev/null || true'),
    check: onFile('/etc/modprobe.d/vigil.conf'),
  });
  ruleTest(t, {
    rule: 'vigil_ca_certificates_modified',
    trigger: () => inEtc('cp /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/vigil-evil.pem'),
    nearMiss: () => inEtc(`cp /usr/bin/dash "$T/update-ca-certificates" && "$T/update-ca-certificates" -c 'cat /etc/ssl/certs/ca-certificates.crt > /etc/ssl/certs/vigil-evil.pem'`),
    check: onFile('/etc/ssl/certs/vigil-evil.pem'),
  }, 'fires on a certificate dropped in /etc/ssl/certs, quiet when update-ca-certificates writes it');
  ruleTest(t, {
    rule: 'vigil_nsswitch_modified',
    trigger: () => inEtc(`echo 'hosts: files vigil' >> /etc/nsswitch.conf`),
    nearMiss: () => sh('cat /etc/nsswitch.conf > /dev/null'),
    check: onFile('/etc/nsswitch.conf'),
  });
  ruleTest(t, {
    rule: 'vigil_hosts_file_modified',
    trigger: () => inEtc(`echo '127.0.0.1 update.example' >> /etc/hosts`),
    nearMiss: () => sh('cat /etc/hosts > /dev/null'),
    check: onFile('/etc/hosts'),
  });
  ruleTest(t, {
    rule: 'vigil_ssh_private_key_read',
    trigger: () => {
      t.scratch.file('home/.ssh/id_ed25519', '-----BEGIN OPENSSH PRIVATE KEY-----\nvigil\n', 0o600);
      return sh(`cat ${t.scratch.path('home', '.ssh', 'id_ed25519')} > /dev/null`);
    },
    nearMiss: () => {
      t.scratch.file('home/.ssh/id_ed25519.pub', 'ssh-ed25519 AAAAC3 vigil\n');
      return sh(`cat ${t.scratch.path('home', '.ssh', 'id_ed25519.pub')} > /dev/null`);
    },
    check: onFile(() => t.scratch.path('home', '.ssh', 'id_ed25519')),
  }, 'fires on cat of a private key, quiet on its .pub');
  ruleTest(t, {
    rule: 'vigil_cloud_credentials_read',
    trigger: () => {
      t.scratch.file('home/.aws/credentials', '[default]\naws_access_key_id = AKIAVIGILTEST\n', 0o600);
      return sh(`cat ${t.scratch.path('home', '.aws', 'credentials')} > /dev/null`);
    },
    nearMiss: () => run(t.scratch.tool('aws', '/usr/bin/cat'), [t.scratch.path('home', '.aws', 'credentials')]),
    check: onFile(() => t.scratch.path('home', '.aws', 'credentials')),
  }, 'fires on cat of ~/.aws/credentials, quiet when the aws CLI reads it');
  ruleTest(t, {
    rule: 'vigil_service_account_token_read',
    trigger: () => privateFs(t.scratch, tokenLayout('cat /var/run/secrets/kubernetes.io/serviceaccount/token > /dev/null'), { tmpfs: ['/run'] }),
    nearMiss: () => privateFs(t.scratch, tokenLayout(`${t.scratch.tool('app', '/usr/bin/cat')} /var/run/secrets/kubernetes.io/serviceaccount/token > /dev/null`), { tmpfs: ['/run'] }),
    check: (ev) => assert.match(fileOf(ev)?.path ?? '', /^\/run\/secrets\/kubernetes\.io\/serviceaccount\/\.\.2026_01_01.*\/token$/),
  }, 'fires on cat of the pod token (kubelet layout on a private /run), quiet when the app reads it');
  ruleTest(t, {
    rule: 'vigil_kubeconfig_read',
    trigger: () => privateFs(t.scratch, `mkdir -p /root/.kube && echo 'apiVersion: v1' > /root/.kube/config && cat /root/.kube/config > /dev/null`, { overlay: ['/root'] }),
    nearMiss: () => privateFs(t.scratch, `mkdir -p /root/.kube && echo 'apiVersion: v1' > /root/.kube/config && ${t.scratch.tool('kubectl', '/usr/bin/cat')} /root/.kube/config > /dev/null`, { overlay: ['/root'] }),
    check: onFile('/root/.kube/config'),
  }, 'fires on cat ~/.kube/config, quiet when kubectl reads it');
  ruleTest(t, {
    rule: 'vigil_setuid_bit_set',
    trigger: () => run(opsBinary(), ['chmod', t.scratch.tool('suid-me', '/usr/bin/true', 'files'), '04755']),
    nearMiss: () => run(opsBinary(), ['chmod', t.scratch.tool('plain', '/usr/bin/true', 'files'), '0755']),
    check: (ev) => assert.ok(((ev.chmod?.file.destination.mode ?? 0) & S_ISUID) !== 0),
  }, 'fires on chmod 04755, quiet on chmod 0755');
  ruleTest(t, {
    rule: 'vigil_file_capabilities_set',
    trigger: () => run('/usr/sbin/setcap', ['cap_net_raw+ep', t.scratch.tool('capped', '/usr/bin/true', 'files')]),
    nearMiss: () => run(opsBinary(), ['setxattr', t.scratch.tool('tagged', '/usr/bin/true', 'files'), 'user.vigil', 'x']),
    check: (ev) => assert.equal(ev.setxattr?.file.destination.name, 'security.capability'),
  }, 'fires on setcap, quiet on a user.* attribute');
  ruleTest(t, {
    rule: 'vigil_system_binary_written',
    trigger: () => privateFs(t.scratch, 'cp /usr/bin/true /usr/local/sbin/vigil-test', { overlay: ['/usr/local/sbin'] }),
    nearMiss: () => sh('cat /usr/bin/true > /dev/null'),
    check: onFile('/usr/local/sbin/vigil-test'),
  });
  ruleTest(t, {
    rule: 'vigil_system_binary_replaced',
    trigger: () => privateFs(t.scratch, 'cp /usr/bin/true /usr/local/sbin/.vigil-new && mv /usr/local/sbin/.vigil-new /usr/local/sbin/vigil-test', { overlay: ['/usr/local/sbin'] }),
    nearMiss: () => sh(`cp /usr/bin/true ${t.scratch.path('a')} && mv ${t.scratch.path('a')} ${t.scratch.path('b')}`),
    check: onFile('/usr/local/sbin/vigil-test'),
  }, 'fires on a rename into /usr/local/sbin, quiet on one in a scratch dir');
  ruleTest(t, {
    rule: 'vigil_shell_profile_modified',
    trigger: () => inEtc(`echo 'export VIGIL=1' >> /etc/profile.d/vigil.sh`),
    nearMiss: () => sh('cat /etc/profile > /dev/null'),
    check: onFile('/etc/profile.d/vigil.sh'),
  });
  ruleTest(t, {
    rule: 'vigil_init_script_modified',
    trigger: () => inEtc(`printf '#!/bin/sh\\n/tmp/x &\\n' > /etc/rc.local`),
    nearMiss: () => sh('cat /etc/init.d/* > /dev/null'),
    check: onFile('/etc/rc.local'),
  });
  ruleTest(t, {
    rule: 'vigil_sensitive_file_permissions_changed',
    trigger: () => inEtc('chmod 0644 /etc/shadow'),
    nearMiss: () => inEtc('chmod 0644 /etc/hostname'),
    check: onFile('/etc/shadow'),
  }, 'fires on chmod of /etc/shadow, quiet on /etc/hostname');
  ruleTest(t, {
    rule: 'vigil_system_binary_timestomped',
    trigger: () => privateFs(t.scratch, 'cp /usr/bin/true /usr/local/sbin/vigil-test && touch -d 2019-01-01 /usr/local/sbin/vigil-test', { overlay: ['/usr/local/sbin'] }),
    nearMiss: () => sh(`touch -d 2019-01-01 ${t.scratch.file('notes.txt')}`),
    check: onFile('/usr/local/sbin/vigil-test'),
  });
  ruleTest(t, {
    rule: 'vigil_shell_history_deleted',
    trigger: () => sh(`rm ${t.scratch.file('home/.bash_history', 'ls\n')}`),
    nearMiss: () => sh(`rm ${t.scratch.file('home/notes.txt')}`),
    check: onFile(() => t.scratch.path('home', '.bash_history')),
  });
  ruleTest(t, {
    rule: 'vigil_shell_history_truncated',
    trigger: () => run('/usr/bin/truncate', ['-s', '0', t.scratch.file('home/.zsh_history', ': 1:0;ls\n')]),
    nearMiss: () => sh(`echo ': 2:0;id' >> ${t.scratch.path('home', '.zsh_history')}`),
    check: (ev) => {
      onFile(() => t.scratch.path('home', '.zsh_history'))(ev);
      assert.ok(((ev.open?.flags ?? 0) & O_TRUNC) !== 0);
    },
  }, 'fires on truncate -s 0, quiet on an append');
  ruleTest(t, {
    rule: 'vigil_log_file_deleted',
    trigger: () => privateFs(t.scratch, 'touch /var/log/vigil-test.log && rm /var/log/vigil-test.log', { overlay: ['/var/log'] }),
    nearMiss: () => privateFs(t.scratch, `touch /var/log/vigil-test.log && ${t.scratch.tool('logrotate', '/usr/bin/rm')} /var/log/vigil-test.log`, { overlay: ['/var/log'] }),
    check: onFile('/var/log/vigil-test.log'),
  }, 'fires on rm in /var/log, quiet when logrotate deletes');
  ruleTest(t, {
    rule: 'vigil_log_file_truncated',
    trigger: () => privateFs(t.scratch, 'echo x >> /var/log/vigil-test.log && : > /var/log/vigil-test.log', { overlay: ['/var/log'] }),
    nearMiss: () => privateFs(t.scratch, 'echo x >> /var/log/vigil-test.log', { overlay: ['/var/log'] }),
    check: onFile('/var/log/vigil-test.log'),
  }, 'fires on emptying a log, quiet on an append');
  ruleTest(t, {
    rule: 'vigil_sensitive_file_replaced',
    trigger: () => inEtc(`sed -i 's/^root:/root:/' /etc/passwd`),
    nearMiss: () => inEtc(`sed -i 's/^#//' /etc/hostname`),
    check: onFile('/etc/passwd'),
  }, 'fires on sed -i /etc/passwd (a rename over it), quiet on /etc/hostname');
  ruleTest(t, {
    rule: 'vigil_cgroup_release_agent_write',
    trigger: () => sh(`echo /tmp/x > ${t.scratch.file('cgroup/release_agent', '')}`),
    nearMiss: () => sh(`cat ${t.scratch.file('cgroup/release_agent', '')}`),
    check: onFile(() => t.scratch.path('cgroup', 'release_agent')),
  });
  ruleTest(t, {
    rule: 'vigil_kernel_helper_path_modified',
    trigger: () => privateFs(t.scratch, `echo '|/tmp/x %p' > /proc/sys/kernel/core_pattern`, { tmpfs: ['/proc/sys/kernel'] }),
    nearMiss: () => sh('cat /proc/sys/kernel/core_pattern > /dev/null'),
    check: onFile('/proc/sys/kernel/core_pattern'),
  }, 'fires on a write to core_pattern (a private tmpfs over /proc/sys/kernel), quiet on a read');
});

/** A kubelet-style projected token under /run/secrets (run on a private /run), then `then`. */
function tokenLayout(then: string): string {
  const d = '/run/secrets/kubernetes.io/serviceaccount';
  const ts = '..2026_01_01_00_00_00.000000001';
  return [`mkdir -p ${d}/${ts}`, `printf 'eyJhbGciOi.vigil' > ${d}/${ts}/token`, `ln -s ${ts} ${d}/..data`, `ln -s ..data/token ${d}/token`, then].join(' && ');
}
