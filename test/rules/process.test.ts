// The process rules of the default ruleset against the real kernel: for each rule a safe
// trigger (renamed copies of /usr/bin/true carry the command lines; "containers" are
// kubelet-named cgroups) and a benign near-miss.
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { describe } from 'node:test';
import { privateFs, ruleTest, run, skipReason, trigger, useRuleSuite } from './harness.ts';

const skip = skipReason();

describe('process rules', { skip: skip ?? false }, () => {
  const t = useRuleSuite({ container: true });
  const inContainer = (ev: { container?: { id: string } }): void => assert.equal(ev.container?.id, t.container.id);

  ruleTest(t, {
    rule: 'vigil_shell_in_container',
    trigger: () => t.container.run(t.scratch.tool('bash'), ['-i']),
    nearMiss: () => t.container.run(t.scratch.tool('bash'), ['-c', 'true']),
    check: (ev) => {
      inContainer(ev);
      assert.equal(ev.process.file.name, 'bash');
    },
  });
  ruleTest(t, {
    rule: 'vigil_reverse_shell_dev_tcp',
    trigger: () => run(t.scratch.tool('bash'), ['-c', 'bash -i >& /dev/tcp/127.0.0.1/9 0>&1']),
    nearMiss: () => run(t.scratch.tool('bash'), ['-c', 'cat /dev/null']),
    check: (ev) => assert.deepEqual(ev.process.argv, ['-c', 'bash -i >& /dev/tcp/127.0.0.1/9 0>&1']),
  });
  ruleTest(t, {
    rule: 'vigil_netcat_shell',
    trigger: () => run(t.scratch.tool('nc'), ['-e', '/bin/sh', '127.0.0.1', '9']),
    nearMiss: () => run(t.scratch.tool('nc'), ['-z', '127.0.0.1', '9']),
    check: (ev) => assert.equal(ev.process.file.name, 'nc'),
  });
  ruleTest(t, {
    rule: 'vigil_socat_shell',
    trigger: () => run(t.scratch.tool('socat'), ['exec:bash -li,pty,stderr,setsid', 'tcp:127.0.0.1:9']),
    nearMiss: () => run(t.scratch.tool('socat'), ['TCP-LISTEN:18080,fork', 'TCP:127.0.0.1:80']),
  });
  ruleTest(t, {
    rule: 'vigil_interpreter_reverse_shell',
    trigger: () => run(t.scratch.tool('python3'), ['-c', 'import socket,os,pty;s=socket.socket();s.connect(("127.0.0.1",9));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/sh")']),
    nearMiss: () => run(t.scratch.tool('python3'), ['-c', 'import socket;print(socket.gethostname())']),
  });
  ruleTest(t, {
    rule: 'vigil_network_tool_in_container',
    trigger: () => t.container.run(t.scratch.tool('tcpdump'), ['-i', 'any']),
    nearMiss: () => run(t.scratch.tool('tcpdump'), ['-i', 'any']),
    check: inContainer,
  }, 'fires in a container, quiet on the host');
  ruleTest(t, {
    rule: 'vigil_network_scanner',
    trigger: () => run(t.scratch.tool('nmap'), ['-sS', '127.0.0.1']),
    nearMiss: () => run(t.scratch.tool('ss'), ['-tln']),
  });
  ruleTest(t, {
    rule: 'vigil_package_manager_in_container',
    trigger: () => t.container.run(t.scratch.tool('apt-get'), ['install', '-y', 'nmap']),
    nearMiss: () => run(t.scratch.tool('apt-get'), ['install', '-y', 'nmap']),
    check: inContainer,
  }, 'fires in a container, quiet on the host');
  ruleTest(t, {
    rule: 'vigil_compiler_in_container',
    trigger: () => t.container.run(t.scratch.tool('gcc'), ['-o', 'a.out', 't.scratch.c']),
    nearMiss: () => run(t.scratch.tool('gcc'), ['-o', 'a.out', 't.scratch.c']),
    check: inContainer,
  }, 'fires in a container, quiet on the host');
  ruleTest(t, {
    rule: 'vigil_exec_from_tmp',
    trigger: () => run(t.scratch.tool('payload')),
    nearMiss: () => run('/usr/bin/true'),
    check: (ev) => assert.equal(ev.process.file.path, t.scratch.path('bin', 'payload')),
  });
  ruleTest(t, {
    rule: 'vigil_exec_from_dev_shm',
    trigger: () => privateFs(t.scratch, 'cp /usr/bin/true /dev/shm/vigil-payload && /dev/shm/vigil-payload', { tmpfs: ['/dev/shm'] }),
    nearMiss: () => privateFs(t.scratch, 'cp /usr/bin/true /dev/shm/vigil-payload && /usr/bin/true', { tmpfs: ['/dev/shm'] }),
    check: (ev) => assert.equal(ev.process.file.path, '/dev/shm/vigil-payload'),
  }, 'fires on a program run from /dev/shm (a private tmpfs), quiet when one is only copied there');
  ruleTest(t, {
    rule: 'vigil_fileless_memfd_exec',
    trigger: () => trigger('memfd-exec'),
    nearMiss: () => trigger('fd-exec', '/usr/bin/true'),
    check: (ev) => assert.equal(ev.process.file.name, 'memfd:vigil-fileless'),
  }, 'fires on fexecve of a memfd, quiet on fexecve of a regular file');
  ruleTest(t, {
    rule: 'vigil_fileless_memfd_exec',
    trigger: () => trigger('memfd-exec-path'),
    nearMiss: () => run('/usr/bin/true'),
    check: (ev) => {
      assert.equal(ev.process.file.name, 'memfd:vigil-fileless');
      assert.equal(ev.process.file.path, '');
    },
  }, 'fires on a memfd executed through /proc/self/fd/N (as interpreters do), quiet on /usr/bin/true');
  ruleTest(t, {
    rule: 'vigil_hidden_executable',
    trigger: () => run(t.scratch.tool('.hidden-payload')),
    nearMiss: () => run(t.scratch.tool('visible-payload')),
  });
  ruleTest(t, {
    rule: 'vigil_new_executable_run',
    trigger: () => run(t.scratch.tool('fresh-download')),
    nearMiss: () => run('/usr/bin/true'),
    check: (ev) => assert.ok(Date.now() * 1e6 - ev.process.file.change_time < 30e9, 'the file changed in the last 30 s'),
  }, 'fires on a binary copied a moment ago, quiet on an old one');
  ruleTest(t, {
    rule: 'vigil_container_drift_exec',
    trigger: () => t.container.run(t.scratch.tool('dropped-in-container')),
    nearMiss: () => t.container.run('/usr/bin/true'),
    check: (ev) => {
      inContainer(ev);
      assert.ok(ev.process.file.change_time > (ev.container?.created_at ?? 0));
    },
  }, 'fires on a binary newer than its container, quiet on one from the image');
  ruleTest(t, {
    rule: 'vigil_masquerading_system_name',
    trigger: () => run(t.scratch.tool('sshd')),
    nearMiss: () => run('/lib/systemd/systemd', ['--version']),
  }, 'fires on "sshd" run from /tmp, quiet on systemd from /usr/lib');
  ruleTest(t, {
    rule: 'vigil_fake_kernel_thread_argv0',
    trigger: () => run('/bin/bash', ['-c', `exec -a '[kworker/0:1]' ${t.scratch.tool('kw')}`]),
    nearMiss: () => run('/bin/bash', ['-c', `exec -a 'kworker-report' ${t.scratch.tool('kw')}`]),
    check: (ev) => assert.equal(ev.process.argv0, '[kworker/0:1]'),
  });
  ruleTest(t, {
    rule: 'vigil_kubectl_in_container',
    trigger: () => t.container.run(t.scratch.tool('kubectl'), ['get', 'secrets', '-A']),
    nearMiss: () => run(t.scratch.tool('kubectl'), ['get', 'secrets', '-A']),
    check: inContainer,
  }, 'fires in a container, quiet on the host');
  ruleTest(t, {
    rule: 'vigil_cloud_cli_in_container',
    trigger: () => t.container.run(t.scratch.tool('aws'), ['sts', 'get-caller-identity']),
    nearMiss: () => run(t.scratch.tool('aws'), ['sts', 'get-caller-identity']),
    check: inContainer,
  }, 'fires in a container, quiet on the host');
  ruleTest(t, {
    rule: 'vigil_credential_dumping_tool',
    trigger: () => run(t.scratch.tool('python3'), [t.scratch.path('laZagne.py'), 'all']),
    nearMiss: () => run(t.scratch.tool('python3'), [t.scratch.path('report.py')]),
  }, 'fires on LaZagne given to an interpreter, quiet on another script');
  ruleTest(t, {
    rule: 'vigil_password_cracker',
    trigger: () => run(t.scratch.tool('john'), ['--wordlist=words.txt', 'hashes.txt']),
    nearMiss: () => run(t.scratch.tool('hash-report'), ['hashes.txt']),
  });
  ruleTest(t, {
    rule: 'vigil_shell_history_disabled',
    trigger: () => run('/usr/bin/env', ['HISTFILE=/dev/null', '/usr/bin/true']),
    nearMiss: () => run('/usr/bin/env', [`HISTFILE=${t.scratch.path('.bash_history')}`, '/usr/bin/true']),
    check: (ev) => assert.ok(ev.process.envp.includes('HISTFILE=/dev/null')),
  });
  ruleTest(t, {
    rule: 'vigil_nsenter_host_pid1',
    trigger: () => run(t.scratch.tool('nsenter'), ['-t', '1', '-m', '-u', '-i', '-n', '-p', 'sh']),
    nearMiss: () => run(t.scratch.tool('nsenter'), ['-t', '4242', '-n', 'ip', 'addr']),
  }, 'fires on nsenter -t 1, quiet on another target');
  ruleTest(t, {
    rule: 'vigil_chroot_host_filesystem',
    trigger: () => run(t.scratch.tool('chroot'), ['/host', '/bin/sh']),
    nearMiss: () => run(t.scratch.tool('chroot'), ['/srv/jail', '/bin/sh']),
  }, 'fires on chroot /host, quiet on chroot into a jail');
  ruleTest(t, {
    rule: 'vigil_namespace_tool_in_container',
    trigger: () => t.container.run(t.scratch.tool('unshare'), ['-r', 'sh']),
    nearMiss: () => run(t.scratch.tool('unshare'), ['-r', 'sh']),
    check: inContainer,
  }, 'fires in a container, quiet on the host');
  ruleTest(t, {
    rule: 'vigil_scheduled_job_edit',
    trigger: () => run(t.scratch.tool('crontab'), [t.scratch.file('job', '* * * * * /tmp/x\n')]),
    nearMiss: () => run(t.scratch.tool('crontab'), ['-l']),
  }, 'fires on installing a crontab, quiet on listing it');
  ruleTest(t, {
    rule: 'vigil_web_server_spawned_shell',
    trigger: () => run(t.scratch.tool('nginx', '/usr/bin/dash'), ['-c', '/bin/sh -c true; true']),
    nearMiss: () => run(t.scratch.tool('nginx', '/usr/bin/dash'), ['-c', '/usr/bin/true; true']),
    check: (ev) => assert.equal(ev.process.ancestors[0]?.file.name, 'nginx'),
  }, 'fires on a shell whose parent is "nginx", quiet on another child');
  ruleTest(t, {
    rule: 'vigil_ld_preload_from_writable_dir',
    trigger: () => run('/usr/bin/env', [`LD_PRELOAD=${t.scratch.path('libhook.so')}`, '/usr/bin/true']),
    nearMiss: () => run('/usr/bin/env', ['LD_PRELOAD=/usr/lib/vigil-none.so', '/usr/bin/true']),
  }, 'fires on LD_PRELOAD from /tmp, quiet on one from /usr/lib');
  ruleTest(t, {
    rule: 'vigil_decoded_payload_to_shell',
    trigger: () => run(t.scratch.tool('bash'), ['-c', 'echo ZWNobyBoaQ== | base64 -d | bash']),
    nearMiss: () => run(t.scratch.tool('bash'), ['-c', 'echo aGk= | base64 -d']),
  });
  ruleTest(t, {
    rule: 'vigil_download_piped_to_shell',
    trigger: () => run(t.scratch.tool('bash'), ['-c', 'curl -fsSL http://127.0.0.1:9/install.sh | sh']),
    nearMiss: () => run(t.scratch.tool('bash'), ['-c', 'curl -fsSL http://127.0.0.1:9/install.sh -o install.sh']),
  });
  ruleTest(t, {
    rule: 'vigil_account_created',
    trigger: () => run(t.scratch.tool('useradd'), ['-m', 'vigil-test']),
    nearMiss: () => run(t.scratch.tool('id'), ['vigil-test']),
  });
  ruleTest(t, {
    rule: 'vigil_log_clearing_command',
    trigger: () => run(t.scratch.tool('journalctl'), ['--vacuum-time=1s']),
    nearMiss: () => run(t.scratch.tool('journalctl'), ['--disk-usage']),
  });
  ruleTest(t, {
    rule: 'vigil_unexpected_suid_root_exec',
    trigger: () => {
      const p = t.scratch.tool('suid-helper', '/usr/bin/true', 'suid');
      chmodSync(t.scratch.dir, 0o755);
      chmodSync(t.scratch.path('suid'), 0o755);
      chmodSync(p, 0o4755);
      return run('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', p]);
    },
    nearMiss: () => run('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/passwd', '--help']),
    check: (ev) => {
      assert.equal(ev.process.euid, 0);
      assert.equal(ev.process.uid, 65534);
    },
  }, 'fires on an unknown setuid-root copy run by nobody, quiet on passwd');
});
