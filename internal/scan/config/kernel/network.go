package kernel

import "github.com/secpipe/secpipe/internal/pipeline"

// cisNet names a section of the CIS benchmarks' network configuration
// chapter.
func cisNet(section string) string {
	return "CIS Linux Benchmarks, Network Kernel Parameters: " + section
}

// networkRules are the CIS network parameters. Where the kernel default
// is already safe, an image that sets nothing is Undetermined (the host
// or a container runtime may change it); where the default is unsafe it
// fails.
func networkRules() []sysctlRule {
	return append(routingRules(), filterRules()...)
}

// routingRules are the CIS parameters on forwarding and redirects.
func routingRules() []sysctlRule {
	return []sysctlRule{{
		id: "kernel-ip-forward", title: "IP forwarding is disabled", sev: pipeline.SeverityMedium,
		keys: []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"}, want: []string{"0"}, def: "0",
		rationale: "A host that forwards packets acts as a router between its networks, bypassing the " +
			"segmentation they were meant to enforce. The kernel default is 0, but container runtimes " +
			"often enable it at run time.",
		remediation: "Set net.ipv4.ip_forward = 0 and net.ipv6.conf.all.forwarding = 0 in /etc/sysctl.d/60-hardening.conf " +
			"(hosts that route or run containers need it: document the exception).",
		refs: []string{cisNet("Ensure IP forwarding is disabled")},
	}, {
		id: "kernel-send-redirects", title: "Sending ICMP redirects is disabled", sev: pipeline.SeverityMedium,
		keys: []string{"net.ipv4.conf.all.send_redirects", "net.ipv4.conf.default.send_redirects"},
		want: []string{"0"}, def: "1",
		rationale: "Only routers send ICMP redirects; a host that sends them can be used to steer " +
			"other hosts' traffic. The kernel default is 1.",
		remediation: "Set net.ipv4.conf.all.send_redirects = 0 and net.ipv4.conf.default.send_redirects = 0.",
		refs:        []string{cisNet("Ensure packet redirect sending is disabled")},
	}, {
		id: "kernel-accept-source-route", title: "Source-routed packets are refused", sev: pipeline.SeverityMedium,
		keys: []string{"net.ipv4.conf.all.accept_source_route", "net.ipv4.conf.default.accept_source_route",
			"net.ipv6.conf.all.accept_source_route", "net.ipv6.conf.default.accept_source_route"},
		want: []string{"0"}, def: "0",
		rationale: "Source routing lets the sender choose the path a packet takes, e.g. through a host " +
			"that reaches networks the sender cannot. Hosts refuse it by default.",
		remediation: "Set accept_source_route = 0 for net.ipv4.conf.all/default and net.ipv6.conf.all/default.",
		refs:        []string{cisNet("Ensure source routed packets are not accepted")},
	}, {
		id: "kernel-accept-redirects", title: "ICMP redirects are refused", sev: pipeline.SeverityMedium,
		keys: []string{"net.ipv4.conf.all.accept_redirects", "net.ipv4.conf.default.accept_redirects",
			"net.ipv6.conf.all.accept_redirects", "net.ipv6.conf.default.accept_redirects"},
		want: []string{"0"}, def: "1",
		rationale: "Accepted ICMP redirects rewrite the routing table; a forged one sends traffic " +
			"through an attacker. The kernel default is 1.",
		remediation: "Set accept_redirects = 0 for net.ipv4.conf.all/default and net.ipv6.conf.all/default.",
		refs:        []string{cisNet("Ensure ICMP redirects are not accepted")},
	}, {
		id: "kernel-secure-redirects", title: "Secure ICMP redirects are refused", sev: pipeline.SeverityMedium,
		keys: []string{"net.ipv4.conf.all.secure_redirects", "net.ipv4.conf.default.secure_redirects"},
		want: []string{"0"}, def: "1",
		rationale: "Secure redirects are redirects from the listed gateways; a compromised or spoofed " +
			"gateway can still use them to reroute traffic. The kernel default is 1.",
		remediation: "Set net.ipv4.conf.all.secure_redirects = 0 and net.ipv4.conf.default.secure_redirects = 0.",
		refs:        []string{cisNet("Ensure secure ICMP redirects are not accepted")},
	}}
}

// filterRules are the CIS parameters on logging and filtering packets.
func filterRules() []sysctlRule {
	return []sysctlRule{{
		id: "kernel-log-martians", title: "Martian packets are logged", sev: pipeline.SeverityLow,
		keys: []string{"net.ipv4.conf.all.log_martians", "net.ipv4.conf.default.log_martians"},
		want: []string{"1"}, def: "0",
		rationale: "Packets with impossible source addresses are a sign of spoofing; logging them " +
			"gives early warning. The kernel default is 0.",
		remediation: "Set net.ipv4.conf.all.log_martians = 1 and net.ipv4.conf.default.log_martians = 1.",
		refs:        []string{cisNet("Ensure suspicious packets are logged")},
	}, {
		id: "kernel-icmp-echo-ignore-broadcasts", title: "Broadcast ICMP echo requests are ignored", sev: pipeline.SeverityLow,
		keys: []string{"net.ipv4.icmp_echo_ignore_broadcasts"}, want: []string{"1"}, def: "1",
		rationale:   "Answering broadcast pings makes the host an amplifier in Smurf attacks.",
		remediation: "Set net.ipv4.icmp_echo_ignore_broadcasts = 1.",
		refs:        []string{cisNet("Ensure broadcast ICMP requests are ignored")},
	}, {
		id: "kernel-icmp-ignore-bogus-errors", title: "Bogus ICMP error responses are ignored", sev: pipeline.SeverityLow,
		keys: []string{"net.ipv4.icmp_ignore_bogus_error_responses"}, want: []string{"1"}, def: "1",
		rationale:   "Logging malformed ICMP error responses lets anyone fill the logs.",
		remediation: "Set net.ipv4.icmp_ignore_bogus_error_responses = 1.",
		refs:        []string{cisNet("Ensure bogus ICMP responses are ignored")},
	}, {
		id: "kernel-rp-filter", title: "Strict reverse-path filtering is enabled", sev: pipeline.SeverityMedium,
		keys: []string{"net.ipv4.conf.all.rp_filter", "net.ipv4.conf.default.rp_filter"}, want: []string{"1"}, def: "0",
		rationale: "Strict reverse-path filtering drops packets whose source address would not be " +
			"routed back through the interface they arrived on, which defeats most spoofing. The kernel " +
			"default is 0; systemd's 50-default.conf sets loose mode (2), which does not meet the benchmark.",
		remediation: "Set net.ipv4.conf.all.rp_filter = 1 and net.ipv4.conf.default.rp_filter = 1 in a file " +
			"sorting after 50-default.conf (e.g. /etc/sysctl.d/60-hardening.conf).",
		refs: []string{cisNet("Ensure Reverse Path Filtering is enabled")},
	}, {
		id: "kernel-tcp-syncookies", title: "TCP SYN cookies are enabled", sev: pipeline.SeverityMedium,
		keys: []string{"net.ipv4.tcp_syncookies"}, want: []string{"1"}, def: "1",
		rationale:   "SYN cookies keep the host answering legitimate clients during a SYN flood.",
		remediation: "Set net.ipv4.tcp_syncookies = 1.",
		refs:        []string{cisNet("Ensure TCP SYN Cookies is enabled")},
	}, {
		id: "kernel-ipv6-accept-ra", title: "IPv6 router advertisements are refused", sev: pipeline.SeverityMedium,
		keys: []string{"net.ipv6.conf.all.accept_ra", "net.ipv6.conf.default.accept_ra"}, want: []string{"0"}, def: "1",
		rationale: "Accepting router advertisements lets anyone on the link become the host's IPv6 " +
			"router. The kernel default is 1; servers should use static IPv6 configuration.",
		remediation: "Set net.ipv6.conf.all.accept_ra = 0 and net.ipv6.conf.default.accept_ra = 0 (or disable IPv6).",
		refs:        []string{cisNet("Ensure IPv6 router advertisements are not accepted")},
	}}
}
