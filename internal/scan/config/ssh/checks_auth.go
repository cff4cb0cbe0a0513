package ssh

import (
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
	"github.com/secpipe/secpipe/internal/rootfs"
	"github.com/secpipe/secpipe/internal/scan/config"
)

// authChecks cover who may log in and how.
func authChecks() []config.Check {
	rootLogin := sshdCheck("ssh-root-login", "Root login over SSH is disabled", pipeline.SeverityMedium,
		"Logging in as root directly leaves no record of which administrator acted and gives an attacker "+
			"who guesses or steals one credential full control. Only PermitRootLogin no passes: "+
			"prohibit-password (the OpenSSH default) and forced-commands-only still let root log in "+
			"with a key, which is not \"disabled\"; administrators log in as themselves and use sudo.",
		"Set PermitRootLogin no in etc/ssh/sshd_config before any Include and Match block, remove "+
			"weaker values from drop-in files and Match blocks, and give administrators their own "+
			"accounts with sudo.",
		[]string{cis("Ensure sshd PermitRootLogin is disabled")})
	rootLogin.Run = runSettings(setting{name: "PermitRootLogin", def: "prohibit-password",
		judge: oneOf([]string{"no"}, map[string]string{
			"yes":                  "root may log in, with a password too",
			"prohibit-password":    "root may still log in with a key",
			"without-password":     "root may still log in with a key (without-password is the old name of prohibit-password)",
			"forced-commands-only": "root may still log in with a key limited to forced commands",
		})})

	password := sshdCheck("ssh-password-auth", "SSH password authentication is disabled", pipeline.SeverityMedium,
		"Passwords can be guessed, sprayed and phished; keys cannot be brute-forced over the network. "+
			"OpenSSH allows passwords by default (PasswordAuthentication yes), and with UsePAM yes "+
			"keyboard-interactive authentication asks PAM for the same password, so both must be off.",
		"Set PasswordAuthentication no and KbdInteractiveAuthentication no in etc/ssh/sshd_config "+
			"(before any Include), check drop-ins and Match blocks, and distribute public keys instead.",
		[]string{cis("Ensure sshd PasswordAuthentication is disabled")})
	password.Run = runWith(passwordResults)

	empty := sshdCheck("ssh-empty-passwords", "SSH refuses accounts with empty passwords", pipeline.SeverityHigh,
		"With PermitEmptyPasswords yes, any account whose password field is empty can be logged into "+
			"over the network by anyone who knows its name.",
		"Set PermitEmptyPasswords no (the default) and remove any other value from sshd_config, its "+
			"drop-ins and Match blocks.",
		[]string{cis("Ensure sshd PermitEmptyPasswords is disabled")})
	empty.Run = runSettings(setting{name: "PermitEmptyPasswords", def: "no",
		judge: boolIs("no", "accounts with empty passwords may log in")})

	return append([]config.Check{rootLogin, password, empty}, trustChecks()...)
}

// trustChecks cover what else sshd trusts: other hosts, users' files,
// repeated attempts and PAM.
func trustChecks() []config.Check {
	hostbased := sshdCheck("ssh-hostbased-auth", "SSH host-based authentication is disabled", pipeline.SeverityMedium,
		"Host-based authentication trusts another machine's word for who the user is: compromising "+
			"one host gives access to every host that trusts it.",
		"Set HostbasedAuthentication no (the default) and remove other values.",
		[]string{cis("Ensure sshd HostbasedAuthentication is disabled")})
	hostbased.Run = runSettings(setting{name: "HostbasedAuthentication", def: "no",
		judge: boolIs("no", "logins are accepted on the word of a trusted host")})

	rhosts := sshdCheck("ssh-ignore-rhosts", "SSH ignores .rhosts and .shosts files", pipeline.SeverityMedium,
		"Users' .rhosts and .shosts files let them grant password-less access to other hosts' users, "+
			"outside administrators' control.",
		"Set IgnoreRhosts yes (the default).",
		[]string{cis("Ensure sshd IgnoreRhosts is enabled")})
	rhosts.Run = runSettings(setting{name: "IgnoreRhosts", def: "yes",
		judge: oneOf([]string{"yes"}, map[string]string{
			"no":          "users' .rhosts and .shosts files are honoured",
			"shosts-only": "users' .shosts files are honoured",
		})})

	userEnv := sshdCheck("ssh-permit-user-env", "SSH ignores users' environment files", pipeline.SeverityMedium,
		"PermitUserEnvironment lets users set variables such as LD_PRELOAD through ~/.ssh/environment "+
			"and authorized_keys options, which can bypass ForceCommand and other restrictions.",
		"Set PermitUserEnvironment no (the default).",
		[]string{cis("Ensure sshd PermitUserEnvironment is disabled")})
	userEnv.Run = runSettings(setting{name: "PermitUserEnvironment", def: "no",
		judge: func(_ rootfs.Root, args []string) string {
			if strings.EqualFold(args[0], "no") {
				return ""
			}
			return "users may set environment variables for their sessions"
		}})

	tries := sshdCheck("ssh-max-auth-tries", "SSH limits authentication attempts to 4", pipeline.SeverityMedium,
		"Fewer attempts per connection slow password guessing and make it visible in the logs; the "+
			"OpenSSH default is 6.",
		"Set MaxAuthTries 4 or lower.",
		[]string{cis("Ensure sshd MaxAuthTries is configured")})
	tries.Run = runSettings(setting{name: "MaxAuthTries", def: "6", judge: intBetween(1, 4)})

	pam := sshdCheck("ssh-use-pam", "SSH uses PAM", pipeline.SeverityLow,
		"With UsePAM yes, sshd applies the system's PAM account and session rules (lockout, "+
			"password expiry, limits) to SSH logins too; upstream OpenSSH defaults to no.",
		"Set UsePAM yes.",
		[]string{cis("Ensure sshd UsePAM is enabled")})
	pam.Run = runSettings(setting{name: "UsePAM", def: "no",
		judge: boolIs("yes", "PAM account and session rules do not apply to SSH logins")})

	return []config.Check{hostbased, rhosts, userEnv, tries, pam}
}

// passwordResults judges PasswordAuthentication and, when PAM is in use,
// keyboard-interactive authentication, which asks PAM for the password.
func passwordResults(r rootfs.Root, srv *server) []config.Result {
	out := setting{name: "PasswordAuthentication", def: "yes",
		judge: boolIs("no", "users may log in with a password")}.eval(r, srv)
	usePAM := "no"
	if d, ok := srv.cfg.global("usepam"); ok {
		usePAM = strings.ToLower(d.Args[0])
	}
	if usePAM != "yes" {
		return out
	}
	kbd := setting{name: "KbdInteractiveAuthentication", def: "yes", aliases: []string{"challengeresponseauthentication"},
		judge: boolIs("no", "with UsePAM yes, PAM asks for the password over keyboard-interactive authentication")}
	return append(out, kbd.eval(r, srv)...)
}
